-- An append (etl/delta.py): the narrow keys, as record_links.sql reads them, of the records whose
-- links the new records (_new) can change, in one time order (pos), the new records among them.
-- Repeats are found within a group of one sender and one cluster (or one exact text when in no
-- cluster), campaigns within a cluster: a group or cluster that holds no new record, no stored
-- record whose cluster cluster_map now gives differently, and none of the records a re-exported file
-- took away (gone_keys, etl/delta.py forget) keeps its links, so its records are left out (a daily
-- run's cost then follows the day's records, not the history's). The sender's hash and
-- a 64-bit hash of the normalised text stand for the numbers a build gives them (text_id null for an
-- empty text, as a build's). pos orders the records as a build's does: only their order counts.
with stored as materialized (
    select
        p.participation_id,
        p.submitted_at,
        p.sender_hash,
        m.cluster,
        p.text_cluster as stored_cluster,
        h.text_hash,
        coalesce(p.text_normalized, '') <> '' as worded
    from participation as p,
        lateral (select hash(coalesce(p.text_normalized, '')) as text_hash) as h
    left join cluster_map as m on m.h = h.text_hash
),

new as (
    select
        participation_id,
        submitted_at,
        cast(sender_hash as varchar) as sender_hash,
        cast(cluster as varchar) as cluster,
        hash(coalesce(cast(text_normalized as varchar), '')) as text_hash,
        coalesce(cast(text_normalized as varchar), '') <> '' as worded
    from _new
),

-- the stored records whose cluster the new texts changed: both their clusters are reached
moved as (
    select * from stored where cluster is distinct from stored_cluster
),

reached_cluster as (
    select cluster from new where cluster is not null
    union
    select cluster from moved where cluster is not null
    union
    select stored_cluster from moved where stored_cluster is not null
    union
    select cluster from gone_keys where cluster is not null
),

-- a text in no cluster: repeats are found among one sender's records of that exact text
reached_text as (
    select distinct sender_hash, text_hash
    from (
        select sender_hash, cluster, text_hash, worded from new
        union all
        select sender_hash, cluster, text_hash, worded from moved
        union all
        select sender_hash, cluster, text_hash, worded from gone_keys
    )
    where cluster is null and sender_hash is not null and worded
),

-- the stored records reached: by their cluster now, by the one they leave (their own cluster then
-- changes), or by their group of one sender and exact text
reached as (
    select s.* from stored as s semi join reached_cluster as r on r.cluster = s.cluster
    union
    select s.* from stored as s semi join reached_cluster as r on r.cluster = s.stored_cluster
    union
    select s.*
    from stored as s
    semi join reached_text as r on r.sender_hash = s.sender_hash and r.text_hash = s.text_hash
    where s.cluster is null and s.worded
),

every as (
    select participation_id, submitted_at, sender_hash, cluster, text_hash, worded, false as new
    from reached
    union all
    select participation_id, submitted_at, sender_hash, cluster, text_hash, worded, true
    from new
)

select
    row_number() over (order by submitted_at, participation_id) - 1 as pos,
    participation_id,
    submitted_at,
    sender_hash as sender_no,
    cluster,
    case when worded then text_hash end as text_id,
    new
from every
