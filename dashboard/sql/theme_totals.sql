-- Participations per theme (?: language), largest first.
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
)

select names.name as theme, sum(participations) as participations
from mart_daily as participation
inner join names on names.code = participation.theme
where {where}
group by all
order by participations desc, names.name
