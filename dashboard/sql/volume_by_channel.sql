-- Participations per channel; $1: interface language (ar or en) for the channel's name.
with counts as (
    select channel, count(*) as participations
    from participation
    group by channel
)

select
    counts.channel,
    case when $1 = 'ar' then ref_channel.name_ar else ref_channel.name_en end as channel_name,
    counts.participations
from counts
inner join ref_channel on ref_channel.code = counts.channel
order by counts.participations desc
