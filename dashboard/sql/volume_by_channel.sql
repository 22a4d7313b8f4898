-- Participations per channel; ?: interface language (ar or en) for the channel's name.
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as channel_name from ref_channel
),

counts as (
    select channel, sum(participations) as participations
    from mart_daily as participation
    where {where}
    group by channel
)

select
    counts.channel,
    names.channel_name,
    counts.participations
from counts
inner join names on names.code = counts.channel
order by counts.participations desc
