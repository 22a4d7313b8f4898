-- An append (etl/delta.py): the narrow keys, as record_links.sql reads them, of the records whose
-- links the new records (_new) can change, in one time order (pos), the new records among them.
-- Repeats are found within a group of one sender and one cluster (or one exact text when in no
-- cluster), campaigns within a cluster: a group or cluster that holds no new record, no stored
-- record whose text's cluster changed (cluster_moved, etl/sketch.py: h, cluster now, before), and
-- none of the records a re-exported file took away (gone_keys, etl/delta.py forget) keeps its
-- links, so its records are left out (a daily run's cost then follows the day's records and the
-- clusters they reach, not the history's). Stored records are found by their narrow columns only
-- (text_cluster, sender_hash, text_hash: the 64-bit hash of the normalised text, null for an empty
-- one), never by reading their texts. pos orders the records as a build's does: only their order
-- counts.
with new as (
    select
        participation_id,
        submitted_at,
        cast(sender_hash as varchar) as sender_hash,
        cast(cluster as varchar) as cluster,
        text_hash
    from _new
),

-- the stored records whose text's cluster changed, with their cluster now
moved as materialized (
    select p.participation_id, p.sender_hash, m.cluster, p.text_hash
    from participation as p
    inner join cluster_moved as m on m.h = p.text_hash
),

-- both the clusters a moved text leaves and joins are reached
reached_cluster as (
    select cluster from new where cluster is not null
    union
    select cluster from cluster_moved where cluster is not null
    union
    select before from cluster_moved where before is not null
    union
    select cluster from gone_keys where cluster is not null
),

-- a text in no cluster: repeats are found among one sender's records of that exact text
reached_text as (
    select distinct sender_hash, text_hash
    from (
        select sender_hash, cluster, text_hash from new
        union all
        select sender_hash, cluster, text_hash from moved
        union all
        select sender_hash, cluster, text_hash from gone_keys
    )
    where cluster is null and sender_hash is not null and text_hash is not null
),

-- the stored records reached: by their cluster (before this run: a moved record's is reached), as
-- moved records, or by their group of one sender and exact text (in no cluster before this run:
-- one in a cluster now is a moved record)
reached as (
    select participation_id from participation semi join reached_cluster as r on r.cluster = participation.text_cluster
    union
    select participation_id from moved
    union
    select p.participation_id
    from participation as p
    semi join reached_text as r on r.sender_hash = p.sender_hash and r.text_hash = p.text_hash
    where p.text_cluster is null
),

stored as (
    select
        p.participation_id,
        p.submitted_at,
        p.sender_hash,
        coalesce(m.cluster, case when m.participation_id is null then p.text_cluster end) as cluster,
        p.text_hash
    from participation as p
    semi join reached using (participation_id)
    left join moved as m using (participation_id)
),

every as (
    select participation_id, submitted_at, sender_hash, cluster, text_hash, false as new
    from stored
    union all
    select participation_id, submitted_at, sender_hash, cluster, text_hash, true
    from new
)

select
    row_number() over (order by submitted_at, participation_id) - 1 as pos,
    participation_id,
    submitted_at,
    sender_hash as sender_no,
    cluster,
    text_hash as text_id,
    new
from every
