-- Whole-warehouse figures the app shows on every visit, computed once here instead of per page view.
select
    count(*) as participations,
    count(distinct sender_hash) as senders,
    count(distinct channel) as channels,
    min(submitted_at) as first_at,
    max(submitted_at) as last_at
from participation
