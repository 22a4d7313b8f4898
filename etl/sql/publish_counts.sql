-- Counts for the public snapshot, from the daily mart, for the days of one period (? = first day,
-- ? = last day). One row per channel, tool, region, theme, status and control with data.
select
    channel,
    tool,
    coalesce(region, 'unknown') as region,
    coalesce(theme, 'other') as theme,
    moderation_status,
    coalesce(moderation_control, 0) as control,
    sum(participations)::bigint as participations,
    sum(answerable)::bigint as answerable,
    sum(answered)::bigint as answered,
    sum(rated)::bigint as rated,
    sum(rating_sum)::double as rating_sum
from mart_daily
where day between ? and ?
group by all
