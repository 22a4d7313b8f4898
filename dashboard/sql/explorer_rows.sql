-- The matching participations, newest first: one page of them (?: search twice, limit, offset).
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
    sentiment_confidence,
    sentiment_source,
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
