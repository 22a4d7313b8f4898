-- Participations per week.
select cast(date_trunc('week', submitted_at) as date) as week, count(*) as participations
from participation
where {where}
group by all
order by week
