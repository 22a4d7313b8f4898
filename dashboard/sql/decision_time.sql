-- Time from submission to the moderation decision, per outcome (hours).
with statuses as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_moderation_status
)

select
    statuses.name as status,
    count(*) as decisions,
    round(median(hours_to_decision), 1) as median_hours_decision,
    round(quantile_cont(hours_to_decision, 0.9), 1) as p90_hours
from participation
inner join statuses on statuses.code = participation.moderation_status
where {where} and moderated_at is not null and moderation_status <> 'pending'
group by all
order by decisions desc, statuses.name
