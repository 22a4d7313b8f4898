-- What links a record to others, per record of `records` in its order (pos): its near-identical
-- cluster (as `records` gives it), the first participation it repeats (control 7), the campaign it
-- belongs to, and the analyst's theme for it.
-- pos is the time order, by (submitted_at, participation_id): "first" and "before" compare pos.
-- Narrow: no text or hash is carried through the aggregates (text_id numbers the distinct
-- normalised texts of this run, null for an empty text; sender_no numbers the senders' hashes). A
-- campaign: $min_senders or more senders, near-identical text, no gap over $window_hours, a week at
-- most, most of its text's volume.
with keys as (
    select pos, participation_id, submitted_at, sender_no, cluster as text_cluster, text_id
    from records
),

-- The first participation of each sender and (near-)identical text: an aggregate, not a window.
-- A text in a near-duplicate cluster is grouped by its cluster, any other by its exact text.
firsts as (
    select
        sender_no,
        text_cluster,
        case when text_cluster is null then text_id end as exact_text,
        arg_min(participation_id, pos) as first_of_kind,
        arg_min(text_id, pos) as first_text_id
    from keys
    where sender_no is not null and text_id is not null
    group by all
    having count(*) > 1
),

repeats as (
    select
        keys.pos,
        nullif(firsts.first_of_kind, keys.participation_id) as duplicate_of,
        case
            when firsts.first_of_kind = keys.participation_id then null
            when firsts.first_text_id = keys.text_id then 'exact'
            else 'near'
        end as duplicate_kind
    from keys
    inner join firsts
        on firsts.sender_no = keys.sender_no
        and firsts.text_cluster is not distinct from keys.text_cluster
        and firsts.exact_text is not distinct from (case when keys.text_cluster is null then keys.text_id end)
    where keys.text_id is not null
),

-- Campaign candidates: clusters where some two adjacent weeks hold half the cluster's volume (a
-- cheap aggregate that rules out texts people write all year round before any window runs).
weekly as (
    select text_cluster, date_trunc('week', submitted_at) as week, count(*) as n
    from keys
    where text_cluster is not null
    group by all
),

candidates as (
    select text_cluster
    from (
        select
            text_cluster,
            n + coalesce(lead(n) over (partition by text_cluster order by week), 0) as two_weeks,
            sum(n) over (partition by text_cluster) as cluster_n
        from weekly
    )
    group by text_cluster
    having max(two_weeks) * 2 >= max(cluster_n)
),

gaps as (
    select
        pos,
        participation_id,
        text_cluster,
        submitted_at,
        sender_no,
        case when submitted_at - lag(submitted_at) over (
            partition by text_cluster order by pos
        ) > to_hours(cast($window_hours as bigint)) then 1 else 0 end as new_island
    from keys
    semi join candidates using (text_cluster)
),

islands as (
    select
        *,
        sum(new_island) over (
            partition by text_cluster order by pos rows unbounded preceding
        ) as island
    from gaps
),

island_sizes as (
    select
        text_cluster,
        island,
        count(*) as n,
        sum(count(*)) over (partition by text_cluster) as cluster_n,
        count(distinct sender_no) as senders,
        min(submitted_at) as first_at,
        max(submitted_at) as last_at
    from islands
    group by text_cluster, island
),

-- A burst, not a text people often write: the island holds most of its cluster's volume.
campaigns as (
    select text_cluster, island, text_cluster || '-' || strftime(first_at, '%Y%m%d') as campaign_id
    from island_sizes
    where senders >= $min_senders
        and last_at - first_at <= interval 7 day
        and n * 2 >= cluster_n
),

in_campaign as (
    select islands.pos, campaigns.campaign_id
    from islands
    inner join campaigns on campaigns.text_cluster = islands.text_cluster and campaigns.island = islands.island
)

select
    keys.pos,
    keys.text_cluster as cluster,
    repeats.duplicate_of,
    repeats.duplicate_kind,
    in_campaign.campaign_id,
    override.theme as override_theme,
    override.sentiment as override_sentiment
from keys
left join repeats on repeats.pos = keys.pos
left join in_campaign on in_campaign.pos = keys.pos
left join label_override as override on override.participation_id = keys.participation_id
order by keys.pos
