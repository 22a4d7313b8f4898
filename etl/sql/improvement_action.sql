-- The service-improvement actions register ("you said, we did"), one row per action.
-- Titles and descriptions pass through the same redaction as participations (action_text).
with actions as (
    select * from stg_action where occurrence = 1
)

select
    actions.action_id,
    actions.source,
    action_text.title_ar,
    action_text.title_en,
    action_text.description_ar,
    action_text.description_en,
    actions.theme,
    actions.owner_unit,
    actions.status,
    actions.proposed_at,
    actions.approved_at,
    actions.started_at,
    actions.completed_at,
    actions.is_public,
    actions.linked_themes
from actions
inner join action_text on action_text.row_id = actions.row_id
order by actions.action_id
