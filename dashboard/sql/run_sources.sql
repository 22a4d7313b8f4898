-- Rows read, loaded, quarantined and duplicated per source in the run that built this warehouse.
with last_run as (
    select max(run_id) as run_id from etl_run
)

select source, files, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
    round(rows_quarantined / nullif(rows_read, 0), 4) as share_quarantined
from etl_run_source
semi join last_run using (run_id)
order by rows_read desc
