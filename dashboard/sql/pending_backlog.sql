-- Participations still pending, by age on the newest day in the data.
with newest as (  -- the newest submission in the warehouse, stored by the ETL (a scan of every row on a lake)
    select last_at as newest from mart_summary
),

ages as (
    select date_diff('day', participation.submitted_at, newest.newest) as age_days
    from participation
    cross join newest
    where {where} and moderation_status = 'pending'
)

select
    case
        when age_days < 1 then '0-1'
        when age_days < 3 then '1-3'
        when age_days < 7 then '3-7'
        when age_days < 30 then '7-30'
        else '30+'
    end as age,
    min(age_days) as sort_key,
    count(*) as pending
from ages
group by all
order by sort_key
