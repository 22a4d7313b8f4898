-- Automatic screening against human decisions, per control: how many the screen flagged, how many
-- moderators removed citing it, how many both; precision, recall and agreement (both / either).
-- Parameters: the filters, then the language.
with chosen as (
    select screening_controls, moderation_status, moderation_control
    from participation
    where {where}
),

flags as (
    select unnest(screening_controls) as control,
        moderation_status in ('hidden', 'deleted') as removed, moderation_control
    from chosen
),

screened as (
    select control, count(*) as screened, count(*) filter (where removed and moderation_control = control) as both_agree
    from flags
    group by control
),

removed as (
    select moderation_control as control, count(*) as removed
    from chosen
    where moderation_status in ('hidden', 'deleted') and moderation_control is not null
    group by all
)

select
    ref_control.code as control,
    case when ? = 'ar' then ref_control.name_ar else ref_control.name_en end as name,
    coalesce(screened.screened, 0) as screened,
    coalesce(removed.removed, 0) as removed,
    coalesce(screened.both_agree, 0) as both_agree,
    round(screened.both_agree / nullif(screened.screened, 0), 3) as precision,
    round(screened.both_agree / nullif(removed.removed, 0), 3) as recall,
    round(screened.both_agree / nullif(screened.screened + coalesce(removed.removed, 0) - screened.both_agree, 0), 3)
        as agreement
from ref_control
left join screened on screened.control = ref_control.code
left join removed on removed.control = ref_control.code
order by ref_control.code
