-- Rows read, loaded, quarantined and duplicated per source in the run that built this warehouse,
-- with the source's names (a warehouse built before schema 3 has none: queries.run_sources copes).
with last_run as (
    select max(run_id) as run_id from etl_run where status = 'success'  -- the last load, not a reclassification
)

select * exclude (run_id, mapping), round(rows_quarantined / nullif(rows_read, 0), 4) as share_quarantined
from etl_run_source
semi join last_run using (run_id)
order by rows_read desc, source
