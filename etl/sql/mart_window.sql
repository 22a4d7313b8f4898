-- The figures that do not add up across days (distinct senders, medians, a percentile) for the app's
-- default view, computed once here: the last $days days (DEFAULT_PERIOD_DAYS) up to the newest
-- participation ('current') and the $days days before them ('previous'), with no other filter. The app reads a row here only when its
-- filters are exactly one of these periods; any other period or filter computes the same figures
-- from participation (same definitions, checked in checks.py).
with bounds as (
    select cast(max(submitted_at) as date) as last_day from participation
),

periods as (
    select 'current' as period, last_day - ($days - 1) as period_start, last_day as period_end from bounds
    union all
    select 'previous' as period, last_day - (2 * $days - 1) as period_start, last_day - $days as period_end
    from bounds
),

rows as (
    select
        periods.period,
        periods.period_start,
        periods.period_end,
        participation.channel,
        participation.moderation_status,
        participation.sender_hash,
        participation.hours_to_answer,
        case when participation.moderated_at is not null and participation.moderation_status <> 'pending'
            then participation.hours_to_decision end as decided_hours
    from periods
    inner join participation
        on participation.submitted_at >= periods.period_start
        and participation.submitted_at < periods.period_end + 1
)

select
    period,
    period_start,
    period_end,
    case
        when grouping(channel) = 0 then 'channel'
        when grouping(moderation_status) = 0 then 'status'
        else 'all'
    end as dimension,
    coalesce(channel, moderation_status) as code,
    count(distinct sender_hash) as senders,
    median(hours_to_answer) as median_hours_to_answer,
    count(decided_hours) as decisions,
    median(decided_hours) as median_hours_to_decision,
    quantile_cont(decided_hours, 0.9) as p90_hours_to_decision
from rows
group by grouping sets (
    (period, period_start, period_end),
    (period, period_start, period_end, channel),
    (period, period_start, period_end, moderation_status)
)
order by period, dimension, code
