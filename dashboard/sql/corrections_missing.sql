-- How many of the corrected records (?: their ids, from the analysts' store) this warehouse does not
-- hold: kept in the store, applied if the record is loaded again.
select count(*) as missing
from (select unnest(?) as participation_id) as corrected
where corrected.participation_id not in (select participation.participation_id from participation)
