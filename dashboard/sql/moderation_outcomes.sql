-- Moderation outcomes per channel (?: language, twice: channel and status names).
with channel_names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
),

status_names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_moderation_status
)

select channel_names.name as channel, status_names.name as status, participation.moderation_status as status_code,
    sum(participations) as participations
from mart_daily as participation
inner join channel_names on channel_names.code = participation.channel
inner join status_names on status_names.code = participation.moderation_status
where {where}
group by all
order by channel, status
