-- An append (etl/delta.py): every record's narrow keys as record_links.sql reads them, the stored
-- records' (with the clusters cluster_map gives their texts now) and the new ones' (_new), in one
-- time order (pos). The sender's hash and a 64-bit hash of the normalised text stand for the
-- numbers a build gives them (text_id null for an empty text, as a build's).
with every as (
    select
        p.participation_id,
        p.submitted_at,
        p.sender_hash,
        m.cluster,
        p.text_normalized,
        false as new
    from participation as p
    left join cluster_map as m on m.h = hash(coalesce(p.text_normalized, ''))
    union all
    select
        participation_id,
        submitted_at,
        cast(sender_hash as varchar),
        cast(cluster as varchar),
        cast(text_normalized as varchar),
        true
    from _new
)

select
    row_number() over (order by submitted_at, participation_id) - 1 as pos,
    participation_id,
    submitted_at,
    sender_hash as sender_no,
    cluster,
    case when coalesce(text_normalized, '') <> '' then hash(text_normalized) end as text_id,
    new
from every
