-- Per channel: volume, rating, share answered, median hours to answer, and how fresh it is
-- (days since its last participation, against the newest participation anywhere; quiet: more than
-- the last parameter's days).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
),

newest as (
    select max(submitted_at) as newest from participation
),

per_channel as (
    select
        channel,
        count(*) as participations,
        round(avg(rating), 2) as average_rating,
        round(avg(case when responded_at is not null then 1.0 else 0.0 end), 3) as share_answered,
        round(median(hours_to_answer), 1) as median_hours_to_answer,
        max(submitted_at) as last_participation
    from participation
    where {where}
    group by channel
)

select
    names.name as channel,
    per_channel.participations,
    per_channel.average_rating,
    per_channel.share_answered,
    per_channel.median_hours_to_answer,
    per_channel.last_participation,
    date_diff('day', per_channel.last_participation, newest.newest) as days_quiet,
    date_diff('day', per_channel.last_participation, newest.newest) > ? as quiet
from per_channel
inner join names on names.code = per_channel.channel
cross join newest
order by per_channel.participations desc
