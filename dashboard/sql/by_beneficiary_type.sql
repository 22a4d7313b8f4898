-- Participations per beneficiary_type (? : language for the names).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_beneficiary_type
)

select names.name, sum(participations) as participations
from mart_daily as participation
left join names on names.code = participation.beneficiary_type
where {where}
group by all
order by participations desc, names.name
