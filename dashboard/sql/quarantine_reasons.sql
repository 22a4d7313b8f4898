-- Why rows were quarantined in the last run (reasons name fields, never row content).
with last_run as (
    select max(run_id) as run_id from etl_run where status = 'success'  -- the last load, not a reclassification
)

select source, reason, count(*) as rows, min(line) as first_line, min(file) as example_file
from quarantine
semi join last_run using (run_id)
group by all
order by rows desc, source, reason
