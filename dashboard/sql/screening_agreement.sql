-- Automatic screening against human decisions, per control: how many the screen flagged, how many
-- moderators removed citing it, how many both; precision, recall and agreement (both / either).
-- From the mart. Parameters: the filters, then the language.
with totals as (
    select sum(screened_1) as s1, sum(agreed_1) as a1, sum(screened_2) as s2, sum(agreed_2) as a2, sum(screened_3) as s3, sum(agreed_3) as a3, sum(screened_4) as s4, sum(agreed_4) as a4, sum(screened_5) as s5, sum(agreed_5) as a5, sum(screened_6) as s6, sum(agreed_6) as a6, sum(screened_7) as s7, sum(agreed_7) as a7, sum(screened_8) as s8, sum(agreed_8) as a8, sum(screened_9) as s9, sum(agreed_9) as a9
    from mart_daily
    where {where}
),

removed as (
    select moderation_control as control, sum(participations) as removed
    from mart_daily
    where {where} and moderation_status in ('hidden', 'deleted') and moderation_control is not null
    group by all
),

per_control as (
    select unnest(range(1, 10)) as control,
        unnest([s1, s2, s3, s4, s5, s6, s7, s8, s9]) as screened,
        unnest([a1, a2, a3, a4, a5, a6, a7, a8, a9]) as both_agree
    from totals
)

select
    ref_control.code as control,
    case when ? = 'ar' then ref_control.name_ar else ref_control.name_en end as name,
    coalesce(per_control.screened, 0) as screened,
    coalesce(removed.removed, 0) as removed,
    coalesce(per_control.both_agree, 0) as both_agree,
    round(per_control.both_agree / nullif(per_control.screened, 0), 3) as precision,
    round(per_control.both_agree / nullif(removed.removed, 0), 3) as recall,
    round(per_control.both_agree / nullif(per_control.screened + coalesce(removed.removed, 0)
        - per_control.both_agree, 0), 3) as agreement
from ref_control
left join per_control on per_control.control = ref_control.code
left join removed on removed.control = ref_control.code
order by ref_control.code
