-- Participations per week.
select cast(date_trunc('week', day) as date) as week, sum(participations) as participations
from mart_daily as participation
where {where}
group by all
order by week
