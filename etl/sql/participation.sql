-- The participation mart: one row per accepted record, text redacted, sender hashed, classified
-- and screened. Inputs: stg_identified, text_stage (redacted text, keys, personal-data types),
-- classified (theme, sentiment, offensive terms). $salt: the sender-hash salt.
with records as (
    select * from stg_identified where occurrence = 1
),

texts as (
    select * from text_stage
),

senders as (
    select
        row_id,
        regexp_replace(
            regexp_replace(
                lower(trim(translate(sender, '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '01234567890123456789'))),
                '[\s\-().\x{200B}-\x{200F}]', '', 'g'
            ),
            '^(?:\+?966|00966|0)(5\d{8})$', '+966\1'
        ) as sender_key
    from records
    where sender is not null
),

joined as (
    select
        records.participation_id,
        records.source,
        records.record_key as source_record_id,
        records.channel,
        records.tool,
        records.submitted_at,
        coalesce(
            records.language_code,
            case
                when texts.arabic_letters = 0 and texts.latin_letters = 0 then 'other'
                when texts.arabic_letters >= texts.latin_letters then 'ar'
                else 'en'
            end
        ) as language,
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
        case when senders.sender_key is not null and senders.sender_key <> ''
            then sha256($salt || senders.sender_key) end as sender_hash,
        classified.theme,
        classified.theme_confidence,
        classified.sentiment,
        classified.offensive_terms,
        records.poll_id
    from records
    inner join texts on texts.row_id = records.row_id
    inner join classified on classified.row_id = records.row_id
    left join senders on senders.row_id = records.row_id
),

repeated as (
    select
        *,
        case when sender_hash is not null and text_normalized <> '' then
            first_value(participation_id) over (
                partition by sender_hash, text_normalized order by submitted_at, participation_id
            )
        end as first_of_kind
    from joined
),

screened as (
    select
        * exclude (first_of_kind),
        nullif(first_of_kind, participation_id) as duplicate_of
    from repeated
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
    sentiment,
    pii_types,
    duplicate_of,
    list_sort(list_filter([
        case when offensive_terms > 0 then 2 end,
        case when channel = 'other' then 5 end,
        case when duplicate_of is not null then 7 end,
        case when list_has_any(attachment_types,
            ['exe', 'bat', 'cmd', 'com', 'js', 'vbs', 'scr', 'msi', 'jar', 'ps1', 'sh', 'apk', 'dll'])
            then 8 end,
        case when len(pii_types) > 0 then 9 end
    ], lambda x: x is not null)) as screening_controls,
    moderation_status,
    moderation_control,
    moderated_at,
    responded_at,
    sender_hash,
    attachments_count,
    attachment_types,
    poll_id is not null as is_poll_answer
from screened
order by submitted_at, participation_id
