-- The records this run loads, and the file each came from (record_file keeps them): a re-exported
-- file's earlier records are found here when an incremental run replaces them (etl/delta.py).
-- kind: participation (record_id is participation_id) or action (record_id is action_id).
select 'participation' as kind, participation_id as record_id, source, file
from stg_identified
where occurrence = 1
union all
select 'action' as kind, action_id as record_id, source, file
from stg_action
where occurrence = 1
order by kind, record_id
