-- Participations per week and channel. Parameters: the week's shift (as in weekly_volume.sql), the
-- language for the names, then the filters.
with week_start as (select cast(? as integer) as shift),

names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
)

select
    cast(date_trunc('week', participation.day + week_start.shift) as date) - week_start.shift as week,
    names.name as channel,
    sum(participation.participations) as participations
from mart_daily as participation
cross join week_start
inner join names on names.code = participation.channel
where {where}
group by all
order by week, channel
