-- One participation for the explorer's record view (?: its id): its text, where and when it came,
-- its labels with their confidence and source, the screens that fired, and what links it to others
-- (the record it repeats, how many repeat it, its campaign and the campaign's size).
select
    participation.participation_id,
    participation.text_redacted,
    participation.channel,
    participation.tool,
    participation.region,
    participation.language,
    participation.submitted_at,
    participation.moderated_at,
    participation.responded_at,
    participation.rating,
    participation.theme,
    participation.theme_confidence,
    participation.theme_source,
    participation.sentiment,
    participation.sentiment_confidence,
    participation.sentiment_source,
    participation.moderation_status,
    participation.moderation_control,
    participation.screening_rules,
    participation.duplicate_of,
    participation.duplicate_kind,
    (select count(*) from participation as repeat where repeat.duplicate_of = participation.participation_id)
        as repeated_by,
    participation.campaign_id,
    campaign.participations as campaign_participations,
    campaign.senders as campaign_senders
from participation
left join campaign on campaign.campaign_id = participation.campaign_id
where participation.participation_id = ?
