-- The warehouse's headline figures (from mart_summary, which the ETL computes once).
with last_run as (
    select run_id, rows_read, rows_quarantined, rows_duplicate
    from etl_run
    where status = 'success'  -- the last load, not a reclassification
    order by run_id desc
    limit 1
)

select
    mart_summary.*,
    last_run.run_id,
    last_run.rows_read,
    last_run.rows_quarantined,
    last_run.rows_duplicate,
    meta.built_at
from mart_summary
cross join last_run
cross join warehouse_meta as meta
