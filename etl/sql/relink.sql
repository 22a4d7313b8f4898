-- An incremental run (etl/delta.py): the stored records whose near-duplicate cluster, repeat or
-- campaign changed once new records came (relinked, by the rows it found them at). Their lists,
-- control 7's screen and rule, are set by relink_screens.sql: DuckDB updates a list column as a delete
-- and an insert of the whole row, which read every column of every stored record (1.1 s at 10M
-- records for seven rows), so only the few whose screen changes are updated so.
update participation
set
    text_cluster = relinked.cluster,
    duplicate_of = relinked.duplicate_of,
    duplicate_kind = relinked.duplicate_kind,
    campaign_id = relinked.campaign_id
from relinked
where participation.rowid = relinked.row_id
