-- Participations per week and channel (? : language for the names).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
)

select cast(date_trunc('week', participation.submitted_at) as date) as week, names.name as channel, count(*) as participations
from participation
inner join names on names.code = participation.channel
where {where}
group by all
order by week
