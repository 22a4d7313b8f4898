-- ETL runs, newest first. A successful append shows as appended (status success, kind append; kind
-- is read through to_json, so that a warehouse from before schema 8, all builds, reads too).
select
    run_id,
    started_at,
    case
        when status = 'success' and (to_json(etl_run) ->> 'kind') = 'append' then 'appended' else status
    end as status,
    files,
    rows_read,
    rows_loaded,
    rows_quarantined,
    rows_duplicate,
    round(seconds, 1) as seconds
from etl_run
order by run_id desc
