-- How many of the corrected records (?: their ids, from the analysts' store) this warehouse does not
-- hold: kept in the store, applied if the record is loaded again.
-- An anti join, not NOT IN: no hash table of every participation (0.45 s against 0.18 s at 10M).
select count(*) as missing
from (select unnest(?) as participation_id) as corrected
anti join participation using (participation_id)
