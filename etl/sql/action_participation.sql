-- Which participations each action answers: those on the action's themes in the 90 days before it
-- was proposed (the evidence behind "you said, we did").
with action_themes as (
    select action_id, proposed_at, unnest(list_distinct(list_append(linked_themes, theme))) as theme
    from improvement_action
),

linked as (
    select distinct
        action_themes.action_id,
        participation.participation_id,
        'theme' as link_type,
        participation.submitted_at  -- kept here so the app never joins the participation table for it
    from action_themes
    inner join participation
        on participation.theme = action_themes.theme
        and participation.submitted_at >= action_themes.proposed_at - interval 90 day
        and participation.submitted_at < action_themes.proposed_at
)

select * from linked
order by action_id, participation_id
