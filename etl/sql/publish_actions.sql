-- Improvement actions flagged public, proposed by the end of the period (? = last day), with how
-- many participations each answers. Only the agency's own texts: titles and descriptions.
select
    a.action_id, a.status, a.theme, a.title_ar, a.title_en, a.description_ar, a.description_en,
    a.proposed_at, a.completed_at,
    (select count(*) from action_participation l where l.action_id = a.action_id) as participations
from improvement_action a
where a.is_public and a.proposed_at <= ? and a.status in ('done', 'in_progress', 'approved')
order by a.completed_at desc nulls last, a.action_id
