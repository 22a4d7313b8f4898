-- What changed: participations per theme, channel and region now and in the previous period.
-- Parameters: the language three times, then the current filters, then the previous ones.
with names as (
    select 'theme' as dimension, code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
    union all
    select 'channel', code, case when ? = 'ar' then name_ar else name_en end from ref_channel
    union all
    select 'region', code, case when ? = 'ar' then name_ar else name_en end from ref_region
),

current_counts as (
    select theme, channel, region, sum(participations) as n
    from mart_daily as participation
    where {where_current}
    group by all
),

previous_counts as (
    select theme, channel, region, sum(participations) as n
    from mart_daily as participation
    where {where_previous}
    group by all
),

both_periods as (
    select 'theme' as dimension, theme as code, sum(n) as now, 0 as before from current_counts group by all
    union all select 'channel', channel, sum(n), 0 from current_counts group by all
    union all select 'region', region, sum(n), 0 from current_counts where region is not null group by all
    union all select 'theme', theme, 0, sum(n) from previous_counts group by all
    union all select 'channel', channel, 0, sum(n) from previous_counts group by all
    union all select 'region', region, 0, sum(n) from previous_counts where region is not null group by all
)

select
    both_periods.dimension,
    both_periods.code,
    names.name,
    sum(now) as now,
    sum(before) as before
from both_periods
inner join names on names.dimension = both_periods.dimension and names.code = both_periods.code
group by all
