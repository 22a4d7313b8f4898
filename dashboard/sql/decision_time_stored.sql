-- decision_time for a period stored in mart_window. Parameters: the language, the period.
with statuses as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_moderation_status
)

select
    statuses.name as status,
    mart_window.decisions,
    round(mart_window.median_hours_to_decision, 1) as median_hours_decision,
    round(mart_window.p90_hours_to_decision, 1) as p90_hours
from mart_window
inner join statuses on statuses.code = mart_window.code
where mart_window.period = ? and mart_window.dimension = 'status' and mart_window.decisions > 0
order by mart_window.decisions desc, mart_window.code
