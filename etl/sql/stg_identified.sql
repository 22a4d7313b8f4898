-- Accepted rows with stable ids. A record without an id of its own gets a hash of its content and
-- its occurrence in the file (so identical reviews stay distinct, and a re-export maps to the same
-- ids); a record exported twice (same source and id) is numbered: occurrence > 1 is a duplicate row.
with accepted as (
    select * from stg_participation where len(reasons) = 0
),

hashed as (
    select
        *,
        md5(concat_ws(chr(31),
            coalesce(channel_raw, ''), coalesce(tool_raw, ''), coalesce(submitted_at_raw, ''),
            coalesce(text, ''), coalesce(rating_raw, ''), coalesce(language_raw, ''),
            coalesce(region_raw, ''), coalesce(beneficiary_type_raw, ''), coalesce(sender, ''),
            coalesce(moderation_status_raw, ''), coalesce(moderated_at_raw, ''),
            coalesce(responded_at_raw, ''), coalesce(poll_id, ''), coalesce(answer, '')
        )) as content_hash
    from accepted
),

keyed as (
    select
        *,
        coalesce(
            source_record_id,
            'h' || substr(content_hash, 1, 16) || '-'
            || row_number() over (partition by source, file, content_hash order by line)
        ) as record_key
    from hashed
),

identified as (
    select
        *,
        substr(sha256(source || chr(31) || record_key), 1, 20) as participation_id,
        row_number() over (partition by source, record_key order by file, line) as occurrence
    from keyed
)

select * from identified
