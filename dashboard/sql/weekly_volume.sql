-- Participations per week. Parameters: the days from WEEK_START's day to the next Monday (weeks
-- start on WEEK_START, and a week is labelled by its first day), then the filters.
with week_start as (select cast(? as integer) as shift)

select
    cast(date_trunc('week', participation.day + week_start.shift) as date) - week_start.shift as week,
    sum(participation.participations) as participations
from mart_daily as participation
cross join week_start
where {where}
group by all
order by week
