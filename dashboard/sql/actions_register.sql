-- The improvement-action register in the interface language (?: language, four times), with how
-- many participations each action answers and the days from the first of them to the proposal.
with theme_names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
),

status_names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_action_status
),

answered as (
    select
        action_id,
        count(*) as participations,
        min(submitted_at) as first_participation
    from action_participation
    group by all
)

select
    improvement_action.action_id,
    improvement_action.status as status_code,
    case when ? = 'ar' then improvement_action.title_ar else coalesce(improvement_action.title_en, improvement_action.title_ar) end as title,
    case when ? = 'ar' then improvement_action.description_ar
        else coalesce(improvement_action.description_en, improvement_action.description_ar) end as description,
    theme_names.name as theme,
    status_names.name as status,
    improvement_action.owner_unit,
    strftime(improvement_action.proposed_at, '%Y-%m-%d') as proposed_at,
    strftime(improvement_action.completed_at, '%Y-%m-%d') as completed_at,
    improvement_action.is_public,
    coalesce(answered.participations, 0) as participations,
    date_diff('day', cast(answered.first_participation as date), improvement_action.proposed_at)
        as days_from_first_participation
from improvement_action
left join theme_names on theme_names.code = improvement_action.theme
left join status_names on status_names.code = improvement_action.status
left join answered on answered.action_id = improvement_action.action_id
order by improvement_action.proposed_at desc, improvement_action.action_id
