-- The matching participations, newest first: one page of them (?: search twice, limit, offset).
select
    participation_id,
    submitted_at,
    channel,
    tool,
    region,
    theme,
    sentiment,
    rating,
    moderation_status,
    moderation_control,
    screening_controls,
    responded_at,
    language,
    text_redacted
from participation
where {where} and (? = '' or contains(text_normalized, ?))
order by submitted_at desc, participation_id
limit ? offset ?
