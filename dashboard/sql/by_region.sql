-- Participations per region (? : language for the names).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_region
)

select names.name, sum(participations) as participations
from mart_daily as participation
left join names on names.code = participation.region
where {where}
group by all
order by participations desc, names.name
