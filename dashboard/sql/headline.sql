-- The overview's headline figures over the whole warehouse.
with participations as (
    select
        count(*) as participations,
        count(distinct sender_hash) as senders,
        count(distinct channel) as channels,
        min(submitted_at) as first_at,
        max(submitted_at) as last_at
    from participation
),

last_run as (
    select run_id, rows_read, rows_quarantined, rows_duplicate
    from etl_run
    order by run_id desc
    limit 1
)

select
    participations.*,
    last_run.run_id,
    last_run.rows_read,
    last_run.rows_quarantined,
    last_run.rows_duplicate,
    meta.built_at
from participations
cross join last_run
cross join warehouse_meta as meta
