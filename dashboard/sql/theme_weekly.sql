-- Participations per week and theme (?: language).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
)

select cast(date_trunc('week', submitted_at) as date) as week, names.name as theme, count(*) as participations
from participation
inner join names on names.code = participation.theme
where {where}
group by all
order by week
