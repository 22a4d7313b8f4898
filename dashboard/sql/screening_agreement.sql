-- Automatic screening against human decisions, per control: how many the screen flagged, how many
-- moderators removed citing it, how many both; precision, recall and agreement (both / either).
with chosen as (
    select screening_controls, moderation_status, moderation_control
    from participation
    where {where}
),

per_control as (
    select
        ref_control.code as control,
        case when ? = 'ar' then ref_control.name_ar else ref_control.name_en end as name,
        count(*) filter (where list_contains(chosen.screening_controls, ref_control.code)) as screened,
        count(*) filter (where chosen.moderation_status in ('hidden', 'deleted')
            and chosen.moderation_control = ref_control.code) as removed,
        count(*) filter (where list_contains(chosen.screening_controls, ref_control.code)
            and chosen.moderation_status in ('hidden', 'deleted')
            and chosen.moderation_control = ref_control.code) as both_agree
    from ref_control
    cross join chosen
    group by all
)

select
    control,
    name,
    screened,
    removed,
    both_agree,
    round(both_agree / nullif(screened, 0), 3) as precision,
    round(both_agree / nullif(removed, 0), 3) as recall,
    round(both_agree / nullif(screened + removed - both_agree, 0), 3) as agreement
from per_control
order by control
