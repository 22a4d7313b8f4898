-- Per channel: volume, rating, share answered, median hours to answer, and how fresh it is
-- (days since its last participation, against the newest participation anywhere; quiet: more than
-- the last parameter's days). Counts from the mart; the medians CTE is filled in by queries.py with
-- channel_medians.sql (from the rows) or channel_medians_stored.sql.
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_channel
),

newest as (
    select cast(last_at as date) as newest from mart_summary
),

per_channel as (
    select
        channel,
        sum(participations) as participations,
        round(sum(rating_sum) / nullif(sum(rated), 0), 2) as average_rating,
        round(sum(answered) / nullif(sum(answerable), 0), 3) as share_answered,
        max(day) as last_participation
    from mart_daily
    where {where}
    group by channel
),

medians as (
    {medians}
)

select
    names.name as channel,
    per_channel.participations,
    per_channel.average_rating,
    per_channel.share_answered,
    round(medians.median_hours_to_answer, 1) as median_hours_to_answer,
    strftime(per_channel.last_participation, '%Y-%m-%d') as last_participation,
    date_diff('day', per_channel.last_participation, newest.newest) as days_quiet,
    date_diff('day', per_channel.last_participation, newest.newest) > ? as quiet
from per_channel
inner join names on names.code = per_channel.channel
left join medians on medians.channel = per_channel.channel
cross join newest
order by per_channel.participations desc, per_channel.channel
