-- The overview's headline figures for the filtered participations.
with chosen as (
    select * from participation where {where}
)

select
    count(*) as participations,
    count(distinct sender_hash) as senders,
    avg(case when responded_at is not null then 1.0 else 0.0 end) filter (where not is_poll_answer) as share_answered,
    median(epoch(responded_at - submitted_at) / 3600) as median_hours_to_answer,
    avg(rating) as average_rating,
    avg(case when moderation_status in ('hidden', 'deleted') then 1.0 else 0.0 end) as share_removed
from chosen
