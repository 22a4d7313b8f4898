-- The matching participations, newest first, from a warehouse built before schema 6 (no sentiment
-- source or confidence yet; explorer_rows.sql otherwise): one page (?: search twice, limit, offset).
-- The text comes third, so it is in view beside its date without scrolling the table.
select
    participation_id,
    submitted_at,
    text_redacted,
    channel,
    tool,
    region,
    theme,
    sentiment,
    cast(null as double) as sentiment_confidence,
    cast(null as varchar) as sentiment_source,
    rating,
    moderation_status,
    moderation_control,
    screening_controls,
    responded_at,
    language
from participation
where {where} and (? = '' or contains(text_normalized, ?))
order by submitted_at desc, participation_id
limit ? offset ?
