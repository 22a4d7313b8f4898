-- Improvement actions completed in the period (?: first day, last day; empty means open-ended).
select count(*) as actions_completed
from improvement_action
where status = 'done'
    and completed_at >= coalesce(cast(? as date), date '1900-01-01')
    and completed_at <= coalesce(cast(? as date), date '2999-12-31')
