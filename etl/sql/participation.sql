-- The participation table: one row per accepted record, text redacted, sender hashed, classified
-- and screened; a projection of `records` (the accepted records with the columns the text, sender
-- and classification stages and record_links.sql added).
-- Stored in time order, the order of `records` (the ETL keeps insertion order for this statement):
-- DuckDB's zone maps then skip every row group outside a chosen period.
with wide as (
    select
        records.participation_id,
        records.source,
        records.record_key as source_record_id,
        records.channel,
        records.tool,
        records.submitted_at,
        coalesce(records.language_code, records.script) as language,
        records.region,
        records.beneficiary_type,
        cast(records.rating as tinyint) as rating,
        records.text_redacted,
        records.text_normalized,
        records.pii_types,
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
        records.sender_hash,
        coalesce(records.override_theme, records.theme) as theme,
        case when records.override_theme is not null then 1.0 else records.theme_confidence end as theme_confidence,
        case when records.override_theme is not null then 'analyst' else 'rules' end as theme_source,
        coalesce(records.override_sentiment, records.sentiment) as sentiment,
        case when records.override_sentiment is not null then 'analyst' else records.sentiment_source end
            as sentiment_source,
        case when records.override_sentiment is not null then 1.0 else records.sentiment_confidence end
            as sentiment_confidence,
        records.offensive_term,
        records.security_rule,
        records.cluster as text_cluster,
        records.text_id as text_hash,
        records.poll_id,
        records.duplicate_of,
        records.duplicate_kind,
        records.campaign_id,
        records.offensive_term is not null or records.channel = 'other' or records.security_rule is not null
            or records.duplicate_of is not null or records.attachment_names is not null
            or coalesce(len(records.pii_types), 1) > 0 as flagged
    from records
)

select
    participation_id,
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
    sentiment_source,
    sentiment_confidence,
    pii_types,
    duplicate_of,
    duplicate_kind,
    text_cluster,
    text_hash,
    campaign_id,
    -- most records trip no screen: they skip building the lists
    case when not flagged then []::integer[] else list_sort(list_distinct(list_filter([
        case when offensive_term is not null then 2 end,
        case when channel = 'other' then 5 end,
        case when security_rule is not null then 6 end,
        case when duplicate_of is not null then 7 end,
        case when list_has_any(attachment_types,
            ['exe', 'bat', 'cmd', 'com', 'js', 'vbs', 'scr', 'msi', 'jar', 'ps1', 'sh', 'apk', 'dll'])
            then 8 end,
        case when len(pii_types) > 0 then 9 end
    ], lambda x: x is not null))) end as screening_controls,
    case when not flagged then []::varchar[] else list_filter(
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
    ) end as screening_rules,
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
from wide
