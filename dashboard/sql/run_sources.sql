-- Rows read, loaded, quarantined and duplicated per source in the loads this warehouse holds: the
-- last build and every append since (not reclassifications), with the source's latest names.
-- Columns a warehouse from an older schema lacks are read through to_json (null there): the kind
-- of a run (before schema 8 every load was a build) and the sources' names (before schema 3).
with loads as (
    select run_id
    from etl_run
    where status = 'success'
        and run_id >= (
            select max(run_id) from etl_run
            where status = 'success' and coalesce(to_json(etl_run) ->> 'kind', 'build') = 'build'
        )
),

per_source as (
    select
        source,
        arg_max(to_json(etl_run_source) ->> 'name_ar', run_id) as name_ar,
        arg_max(to_json(etl_run_source) ->> 'name_en', run_id) as name_en,
        cast(sum(files) as bigint) as files,
        cast(sum(rows_read) as bigint) as rows_read,
        cast(sum(rows_loaded) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined,
        cast(sum(rows_duplicate) as bigint) as rows_duplicate
    from etl_run_source
    semi join loads using (run_id)
    group by source
)

select *, round(rows_quarantined / nullif(rows_read, 0), 4) as share_quarantined
from per_source
order by rows_read desc, source
