-- The participation mart: one row per accepted record, text redacted, sender hashed, classified
-- and screened. Inputs: stg_identified, text_stage (redacted text, keys, personal-data types),
-- text_features (theme, sentiment, offensive term, security rule, near-duplicate cluster),
-- sender_stage (salted sender hashes), theme_override (the analyst's file). A campaign: $min_senders or more
-- senders, near-identical text, no gap over $window_hours, a week at most, most of its text's volume.
with records as (
    select * from stg_identified where occurrence = 1
),

joined as (
    select
        records.participation_id,
        records.source,
        records.record_key as source_record_id,
        records.channel,
        records.tool,
        records.submitted_at,
        coalesce(records.language_code, features.script) as language,
        records.region,
        records.beneficiary_type,
        cast(records.rating_number as tinyint) as rating,
        texts.text_redacted,
        texts.text_normalized,
        texts.pii_types,
        records.attachments_count,
        list_sort(list_distinct(list_filter(
            list_transform(string_split(lower(records.attachment_names), ';'),
                lambda x: regexp_extract(trim(x), '\.([a-z0-9]{1,8})$', 1)),
            lambda x: x <> ''
        ))) as attachment_types,
        records.moderation_status,
        case when records.moderation_status in ('hidden', 'deleted') then records.moderation_control end
            as moderation_control,
        records.moderated_at,
        case when records.responded_at >= records.submitted_at then records.responded_at end as responded_at,
        senders.sender_hash,
        coalesce(override.theme, features.theme) as theme,
        case when override.theme is not null then 1.0 else features.theme_confidence end as theme_confidence,
        case when override.theme is not null then 'analyst' else 'rules' end as theme_source,
        features.sentiment,
        features.offensive_term,
        features.security_rule,
        features.cluster as text_cluster,
        records.poll_id
    from records
    inner join text_stage as texts on texts.row_id = records.row_id
    inner join text_features as features on features.row_id = records.row_id
    left join sender_stage as senders on senders.row_id = records.row_id
    left join theme_override as override on override.participation_id = records.participation_id
),

-- The first participation of each sender and (near-)identical text: an aggregate, not a window.
firsts as (
    select
        sender_hash,
        coalesce(text_cluster, text_normalized) as kind,
        arg_min(participation_id, (submitted_at, participation_id)) as first_of_kind,
        arg_min(text_normalized, (submitted_at, participation_id)) as first_text
    from joined
    where sender_hash is not null and text_normalized <> ''
    group by all
    having count(*) > 1
),

repeated as (
    select joined.*, firsts.first_of_kind, firsts.first_text
    from joined
    left join firsts
        on firsts.sender_hash = joined.sender_hash
        and firsts.kind = coalesce(joined.text_cluster, joined.text_normalized)
        and joined.text_normalized <> ''
),

deduplicated as (
    select
        * exclude (first_of_kind, first_text),
        nullif(first_of_kind, participation_id) as duplicate_of,
        case
            when first_of_kind is null or first_of_kind = participation_id then null
            when first_text = text_normalized then 'exact'
            else 'near'
        end as duplicate_kind
    from repeated
),

-- Campaign candidates: clusters where some two adjacent weeks hold half the cluster's volume (a
-- cheap aggregate that rules out texts people write all year round before any window runs).
weekly as (
    select text_cluster, date_trunc('week', submitted_at) as week, count(*) as n
    from deduplicated
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
        participation_id,
        text_cluster,
        submitted_at,
        sender_hash,
        case when submitted_at - lag(submitted_at) over (
            partition by text_cluster order by submitted_at, participation_id
        ) > to_hours(cast($window_hours as bigint)) then 1 else 0 end as new_island
    from deduplicated
    semi join candidates using (text_cluster)
),

islands as (
    select
        *,
        sum(new_island) over (
            partition by text_cluster order by submitted_at, participation_id rows unbounded preceding
        ) as island
    from gaps
),

island_sizes as (
    select
        text_cluster,
        island,
        count(*) as n,
        sum(count(*)) over (partition by text_cluster) as cluster_n,
        count(distinct sender_hash) as senders,
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
    select islands.participation_id, campaigns.campaign_id
    from islands
    inner join campaigns on campaigns.text_cluster = islands.text_cluster and campaigns.island = islands.island
)

select
    deduplicated.participation_id,
    source,
    source_record_id,
    channel,
    tool,
    submitted_at,
    language,
    region,
    beneficiary_type,
    rating,
    text_redacted,
    text_normalized,
    theme,
    theme_confidence,
    theme_source,
    sentiment,
    pii_types,
    duplicate_of,
    duplicate_kind,
    text_cluster,
    in_campaign.campaign_id,
    list_sort(list_distinct(list_filter([
        case when offensive_term is not null then 2 end,
        case when channel = 'other' then 5 end,
        case when security_rule is not null then 6 end,
        case when duplicate_of is not null then 7 end,
        case when list_has_any(attachment_types,
            ['exe', 'bat', 'cmd', 'com', 'js', 'vbs', 'scr', 'msi', 'jar', 'ps1', 'sh', 'apk', 'dll'])
            then 8 end,
        case when len(pii_types) > 0 then 9 end
    ], lambda x: x is not null))) as screening_controls,
    list_filter(
        [
            case when offensive_term is not null then '2:offensive_term:' || offensive_term end,
            case when channel = 'other' then '5:unofficial_channel' end,
            case when security_rule is not null then '6:security:' || security_rule end,
            case when duplicate_of is not null then '7:repeated_' || duplicate_kind end
        ]
        || list_transform(
            list_filter(coalesce(attachment_types, []), lambda x: x in
                ('exe', 'bat', 'cmd', 'com', 'js', 'vbs', 'scr', 'msi', 'jar', 'ps1', 'sh', 'apk', 'dll')),
            lambda x: '8:attachment:' || x)
        || list_transform(coalesce(pii_types, []), lambda x: '9:personal_data:' || x),
        lambda x: x is not null
    ) as screening_rules,
    moderation_status,
    moderation_control,
    moderated_at,
    responded_at,
    round(epoch(responded_at - submitted_at) / 3600, 3) as hours_to_answer,
    round(epoch(moderated_at - submitted_at) / 3600, 3) as hours_to_decision,
    sender_hash,
    attachments_count,
    attachment_types,
    poll_id is not null as is_poll_answer
from deduplicated
left join in_campaign on in_campaign.participation_id = deduplicated.participation_id
-- Stored in time order: DuckDB's zone maps then skip every row group outside a chosen period.
order by submitted_at
