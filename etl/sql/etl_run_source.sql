-- Per-source outcome counts of this run ($run_id); rows_read and files are filled in from extraction.
with sources as (
    select source, mapping from raw_sources
    union
    select distinct source, mapping from raw_action
    union
    select distinct source, mapping from extract_reject
),

loaded as (
    select source, count(*) as n from loaded_now group by source  -- the records this run added
),

quarantined as (
    select source, count(*) as n from quarantine where run_id = $run_id group by source
),

duplicated as (
    select source, count(*) as n from duplicate_row where run_id = $run_id group by source
)

select
    $run_id as run_id,
    sources.source,
    sources.mapping,
    0 as files,
    0 as rows_read,
    coalesce(loaded.n, 0) as rows_loaded,
    coalesce(quarantined.n, 0) as rows_quarantined,
    coalesce(duplicated.n, 0) as rows_duplicate
from sources
left join loaded on loaded.source = sources.source
left join quarantined on quarantined.source = sources.source
left join duplicated on duplicated.source = sources.source
order by sources.source
