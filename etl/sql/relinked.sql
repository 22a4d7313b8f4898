-- An append (etl/delta.py): the stored records whose cluster, repeat or campaign the links found
-- again (links, by pos) change, with their new values and their rows (row_id: relink.sql updates
-- by it, in the transaction that found it); screened: whether control 7 comes or goes (mart_daily
-- counts that, not clusters, repeats' kinds or campaigns); rescreened: whether control 7's rule
-- changes (it names the repeat's kind).
select
    p.rowid as row_id,
    k.participation_id,
    k.submitted_at,
    k.cluster,
    l.duplicate_of,
    l.duplicate_kind,
    l.campaign_id,
    (p.duplicate_of is null) <> (l.duplicate_of is null) as screened,
    p.duplicate_kind is distinct from l.duplicate_kind as rescreened
from link_keys as k
inner join links as l using (pos)
inner join participation as p using (participation_id)
where not k.new
    and (
        p.text_cluster is distinct from k.cluster
        or p.duplicate_of is distinct from l.duplicate_of
        or p.duplicate_kind is distinct from l.duplicate_kind
        or p.campaign_id is distinct from l.campaign_id
    )
