-- The first and last day with participations.
select cast(min(submitted_at) as date) as first_day, cast(max(submitted_at) as date) as last_day
from participation
