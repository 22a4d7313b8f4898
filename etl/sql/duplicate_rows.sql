-- Rows carrying a record already loaded from an earlier row (same source and record id).
with repeated as (
    select source, file, line, participation_id as duplicate_of
    from stg_identified where occurrence > 1
    union all
    select source, file, line, action_id as duplicate_of
    from stg_action where occurrence > 1
)

select $run_id as run_id, source, file, line, duplicate_of
from repeated
order by source, file, line
