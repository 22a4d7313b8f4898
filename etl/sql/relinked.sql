-- An append (etl/delta.py): the stored records whose cluster, repeat or campaign the links found
-- again (links, by pos) change, with their new values; screened: whether control 7 comes or goes
-- (mart_daily counts that, not clusters, repeats' kinds or campaigns).
select
    k.participation_id,
    k.submitted_at,
    k.cluster,
    l.duplicate_of,
    l.duplicate_kind,
    l.campaign_id,
    (p.duplicate_of is null) <> (l.duplicate_of is null) as screened
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
