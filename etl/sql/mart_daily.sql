-- The app's pre-aggregated mart: additive figures per day and per value of every filter dimension,
-- in day order. Pages that only count or sum read this instead of the participation table
-- (medians and distinct senders are not additive: those queries read participation, which is
-- stored in time order so a period reads only its own row groups).
select
    cast(submitted_at as date) as day,
    channel,
    tool,
    region,
    theme,
    moderation_status,
    language,
    sentiment,
    beneficiary_type,
    moderation_control,
    count(*) as participations,
    count(*) filter (where not is_poll_answer) as answerable,
    count(*) filter (where not is_poll_answer and responded_at is not null) as answered,
    count(rating) as rated,
    coalesce(sum(rating), 0) as rating_sum,
    count(*) filter (where moderation_status in ('hidden', 'deleted')) as removed
from participation
group by all
order by day
