-- Participations per week and channel (? : language for the names).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
)

select cast(date_trunc('week', participation.day) as date) as week, names.name as channel, sum(participations) as participations
from mart_daily as participation
inner join names on names.code = participation.channel
where {where}
group by all
order by week
