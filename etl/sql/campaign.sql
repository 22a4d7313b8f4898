-- Coordinated campaigns: many senders, near-identical text, a short window (see participation.sql).
with members as (
    select * from participation where campaign_id is not null
)

select
    campaign_id,
    any_value(text_cluster) as text_cluster,
    count(*) as participations,
    count(distinct sender_hash) as senders,
    min(submitted_at) as first_at,
    max(submitted_at) as last_at,
    round(epoch(max(submitted_at) - min(submitted_at)) / 3600, 1) as span_hours,
    mode(theme) as theme,
    mode(channel) as channel,
    arg_min(text_redacted, participation_id) as sample_text_redacted
from members
group by campaign_id
order by first_at
