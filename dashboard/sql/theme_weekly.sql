-- Participations per week and theme. Parameters: the week's shift (as in weekly_volume.sql), the
-- language for the names, then the filters.
with week_start as (select cast(? as integer) as shift),

names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
)

select
    cast(date_trunc('week', participation.day + week_start.shift) as date) - week_start.shift as week,
    names.name as theme,
    sum(participation.participations) as participations
from mart_daily as participation
cross join week_start
inner join names on names.code = participation.theme
where {where}
group by all
order by week, theme
