-- The first and last day with participations (from mart_summary).
select cast(first_at as date) as first_day, cast(last_at as date) as last_day
from mart_summary
