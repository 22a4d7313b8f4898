-- What this warehouse is: the run that built it, when, and the schema version.
create table warehouse_meta as
select
    cast($run_id as integer) as version,
    cast($built_at as timestamp) as built_at,
    cast($schema_version as integer) as schema_version
