-- Run bookkeeping: one row per run, its per-source counts, and where rows went that were not loaded
-- (file, line and reason only: never row content).
create table if not exists etl_run (
    run_id integer primary key,
    started_at timestamp,
    finished_at timestamp,
    status varchar,
    input_dir varchar,
    files bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_duplicate bigint,
    seconds double,
    stage_seconds varchar,
    schema_version integer,
    history_note varchar,  -- why the runs before this one are missing, when their history could not be copied
    load_fingerprint varchar,  -- what turned the exports into records (etl/fingerprint.py); a load's only
    rules_fingerprint varchar,  -- what labelled and screened the stored text, analysts' corrections included
    kind varchar,  -- of a load: build (every export, a new warehouse) or append (new and changed exports only)
    rows_replaced bigint  -- of an append: rows that re-exported (changed) files had brought before, removed
);

-- The manifest: every file each run loaded, whole (a run that refuses a file loads nothing), as it
-- was read. `purge-landing` deletes from the landing zone only files whose SHA-256 is here.
create table if not exists etl_file (
    run_id integer,
    file varchar,  -- its path under the input directory
    source varchar,
    bytes bigint,
    modified_at timestamp,
    sha256 varchar,
    rows_read bigint
);

create table if not exists etl_run_source (
    run_id integer,
    source varchar,
    mapping varchar,
    files bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_duplicate bigint,
    name_ar varchar,  -- how the source is shown to people (data/sources.yaml when the run read it)
    name_en varchar
);

create table if not exists quarantine (
    run_id integer,
    source varchar,
    file varchar,
    line bigint,
    reason varchar
);

create table if not exists duplicate_row (
    run_id integer,
    source varchar,
    file varchar,
    line bigint,
    duplicate_of varchar
);

-- Which export brought each loaded record (etl/sql/loaded_now.sql fills it): an incremental run
-- replaces a re-exported file's records by it. Empty in a warehouse from before schema 8.
create table if not exists record_file (
    kind varchar,  -- participation or action
    record_id varchar,  -- its participation_id or action_id
    source varchar,
    file varchar  -- its path under the input directory
);
