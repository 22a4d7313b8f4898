-- Every row that was read but not accepted, with the reasons; $run_id: this run.
with rejected as (
    select source, file, line, reason from extract_reject
    union all
    select source, file, line, array_to_string(reasons, '; ') as reason
    from stg_rejected
    union all
    select source, file, line, array_to_string(reasons, '; ') as reason
    from stg_action where len(reasons) > 0
)

select $run_id as run_id, source, file, line, reason
from rejected
order by source, file, line
