-- Coordinated campaigns that started in the chosen period (?: first day, last day).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
)

select campaign.first_at, campaign.participations, campaign.senders, campaign.span_hours, names.name as theme,
    campaign.sample_text_redacted
from campaign
left join names on names.code = campaign.theme
where campaign.first_at >= coalesce(cast(? as timestamp), timestamp '1900-01-01')
    and campaign.first_at < coalesce(cast(? as timestamp) + interval 1 day, timestamp '2999-01-01')
order by campaign.first_at desc, campaign.campaign_id
