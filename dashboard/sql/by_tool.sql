-- Participations per tool (? : language for the names).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_tool
)

select names.name, sum(participations) as participations
from mart_daily as participation
left join names on names.code = participation.tool
where {where}
group by all
order by participations desc, names.name
