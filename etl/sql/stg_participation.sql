-- Typed, coded and checked participation rows: one per extracted row, with every reason it fails.
-- Inputs (temporary): raw_participation (a view: strings as extracted), parsed_dates (timestamps per
-- row, Asia/Riyadh), code_lookup (raw value -> reference code per mapping and field), source_config.
-- $now: the run's clock, for the date range check. translate() (Arabic-Indic digits) is slow: only
-- values with a non-ASCII character go through it.
with raw as (
    select * from raw_participation
),

coded as (
    select
        raw.row_id,
        raw.source,
        raw.mapping,
        raw.file,
        raw.line,
        raw.source_record_id,
        raw.text,
        raw.sender,
        raw.attachment_names,
        raw.poll_id,
        raw.question,
        raw.answer,
        raw.channel as channel_raw,
        channel.code as channel,
        raw.tool as tool_raw,
        tool.code as tool,
        raw.region as region_raw,
        region.code as region,
        raw.beneficiary_type as beneficiary_type_raw,
        beneficiary.code as beneficiary_code,
        raw.language as language_raw,
        language.code as language_code,
        raw.moderation_status as moderation_status_raw,
        moderation.code as moderation_code,
        raw.rating as rating_raw,
        try_cast(case when strlen(raw.rating) = length(raw.rating) then trim(raw.rating)
            else translate(trim(raw.rating), '٠١٢٣٤٥٦٧٨٩', '0123456789') end as double) as rating_number,
        raw.moderation_control as moderation_control_raw,
        try_cast(case when strlen(raw.moderation_control) = length(raw.moderation_control) then trim(raw.moderation_control)
            else translate(trim(raw.moderation_control), '٠١٢٣٤٥٦٧٨٩', '0123456789') end as integer)
            as moderation_control,
        raw.attachments_count as attachments_count_raw,
        coalesce(
            try_cast(raw.attachments_count as integer),
            len(list_filter(string_split(raw.attachment_names, ';'), lambda x: trim(x) <> ''))
        ) as attachments_count,
        raw.submitted_at as submitted_at_raw,
        dates.submitted_at,
        raw.moderated_at as moderated_at_raw,
        dates.moderated_at,
        raw.responded_at as responded_at_raw,
        dates.responded_at,
        config.required
    from raw
    left join parsed_dates as dates on dates.row_id = raw.row_id
    left join source_config as config on config.mapping = raw.mapping
    left join code_lookup as channel
        on channel.mapping = raw.mapping and channel.field = 'channel' and channel.raw = raw.channel
    left join code_lookup as tool
        on tool.mapping = raw.mapping and tool.field = 'tool' and tool.raw = raw.tool
    left join code_lookup as region
        on region.mapping = raw.mapping and region.field = 'region' and region.raw = raw.region
    left join code_lookup as beneficiary
        on beneficiary.mapping = raw.mapping and beneficiary.field = 'beneficiary_type'
        and beneficiary.raw = raw.beneficiary_type
    left join code_lookup as language
        on language.mapping = raw.mapping and language.field = 'language' and language.raw = raw.language
    left join code_lookup as moderation
        on moderation.mapping = raw.mapping and moderation.field = 'moderation_status'
        and moderation.raw = raw.moderation_status
),

checked as (
    select
        *,
        list_filter([
            case when submitted_at_raw is null then 'submitted_at: missing' end,
            case when submitted_at_raw is not null and submitted_at is null
                then 'submitted_at: not a date in the expected format' end,
            case when submitted_at < timestamp '2000-01-01' or submitted_at > $now::timestamp + interval 1 day
                then 'submitted_at: outside 2000-01-01 to tomorrow' end,
            case when moderated_at_raw is not null and moderated_at is null
                then 'moderated_at: not a date in the expected format' end,
            case when responded_at_raw is not null and responded_at is null
                then 'responded_at: not a date in the expected format' end,
            case when channel_raw is null then 'channel: missing' end,
            case when channel_raw is not null and channel is null
                then 'channel: unknown code (see data/reference/channels.csv)' end,
            case when tool_raw is null then 'tool: missing' end,
            case when tool_raw is not null and tool is null
                then 'tool: unknown code (see data/reference/tools.csv)' end,
            case when region_raw is not null and region is null
                then 'region: unknown code (see data/reference/regions.csv)' end,
            case when beneficiary_type_raw is not null and beneficiary_code is null
                then 'beneficiary_type: unknown code (see data/reference/beneficiary_types.csv)' end,
            case when moderation_status_raw is not null and moderation_code is null
                then 'moderation_status: unknown code (see data/reference/moderation_statuses.csv)' end,
            case when language_raw is not null and language_code is null
                then 'language: unknown code (see data/reference/languages.csv)' end,
            case when rating_raw is not null
                and (rating_number is null or rating_number not in (1, 2, 3, 4, 5))
                then 'rating: not a whole number from 1 to 5' end,
            case when moderation_control_raw is not null
                and (moderation_control is null or moderation_control not between 1 and 9)
                then 'moderation_control: not a control number from 1 to 9' end,
            case when attachments_count_raw is not null and try_cast(attachments_count_raw as integer) is null
                then 'attachments_count: not a whole number' end,
            case when list_contains(required, 'source_record_id') and source_record_id is null
                then 'source_record_id: missing' end,
            case when list_contains(required, 'text') and text is null then 'text: missing' end,
            case when length(text) > 100000 then 'text: too long (over 100,000 characters)' end,
            case when list_contains(required, 'rating') and rating_raw is null then 'rating: missing' end,
            case when list_contains(required, 'region') and region_raw is null then 'region: missing' end,
            case when list_contains(required, 'sender') and sender is null then 'sender: missing' end,
            case when list_contains(required, 'answer') and answer is null then 'answer: missing' end
        ], lambda x: x is not null) as reasons
    from coded
)

-- Only what later steps read is kept (the table is a copy of every row): the raw strings of coded
-- and typed fields go once the reasons are known, except as the content hash of a record without
-- an id of its own (stg_identified.sql numbers those).
select
    row_id,
    source,
    file,
    line,
    source_record_id,
    text,
    sender,
    attachment_names,
    poll_id,
    question,
    answer,
    channel,
    tool,
    region,
    language_code,
    rating_number,
    moderation_control,
    attachments_count,
    submitted_at,
    moderated_at,
    responded_at,
    reasons,
    coalesce(beneficiary_code, 'unknown') as beneficiary_type,
    coalesce(moderation_code, 'pending') as moderation_status,
    case when source_record_id is null then md5(concat_ws(chr(31),
        coalesce(channel_raw, ''), coalesce(tool_raw, ''), coalesce(submitted_at_raw, ''),
        coalesce(text, ''), coalesce(rating_raw, ''), coalesce(language_raw, ''),
        coalesce(region_raw, ''), coalesce(beneficiary_type_raw, ''), coalesce(sender, ''),
        coalesce(moderation_status_raw, ''), coalesce(moderated_at_raw, ''),
        coalesce(responded_at_raw, ''), coalesce(poll_id, ''), coalesce(answer, '')
    )) end as content_hash
from checked
