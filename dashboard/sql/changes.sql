-- What changed: participations per theme, channel and region now and in the previous period.
-- Parameters: the language three times, then the current filters, then the previous ones.
-- One scan of the mart over both periods, grouped three ways at once.
with names as (
    select 'theme' as dimension, code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
    union all
    select 'channel', code, case when ? = 'ar' then name_ar else name_en end from ref_channel
    union all
    select 'region', code, case when ? = 'ar' then name_ar else name_en end from ref_region
),

rows as (
    select
        theme,
        channel,
        region,
        case when {where_current} then participations else 0 end as now,
        case when {where_previous} then participations else 0 end as before
    from mart_daily as participation
    where ({where_current}) or ({where_previous})
),

grouped as (
    select theme, channel, region, sum(now) as now, sum(before) as before
    from rows
    group by grouping sets ((theme), (channel), (region))
)

select
    names.dimension,
    names.code,
    names.name,
    grouped.now,
    grouped.before
from grouped
inner join names
    on (names.dimension = 'theme' and names.code = grouped.theme)
    or (names.dimension = 'channel' and names.code = grouped.channel)
    or (names.dimension = 'region' and names.code = grouped.region)
