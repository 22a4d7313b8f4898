-- ETL runs, newest first.
select run_id, started_at, status, files, rows_read, rows_loaded, rows_quarantined, rows_duplicate,
    round(seconds, 1) as seconds
from etl_run
order by run_id desc
