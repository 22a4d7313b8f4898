-- Hidden and deleted participations by the control their removal cites, with the control's text.
with controls as (
    select
        code,
        case when ? = 'ar' then name_ar else name_en end as name,
        case when ? = 'ar' then text_ar else text_en end as control_text
    from ref_control
),

removed as (
    select moderation_control as code, sum(participations) as removals
    from mart_daily as participation
    where {where} and moderation_status in ('hidden', 'deleted') and moderation_control is not null
    group by all
)

select controls.code as control, controls.name, coalesce(removed.removals, 0) as removals, controls.control_text
from controls
left join removed on removed.code = controls.code
order by controls.code
