-- Emerging themes: the last four weeks of the chosen period against each theme's own baseline
-- (the twelve weeks before them); weeks start on WEEK_START. Parameters: the week's shift (as in
-- weekly_volume.sql), the language, then the filters (period ignored: the weeks are taken back from
-- the period's end, given as the last parameter).
with week_start as (select cast(? as integer) as shift),

names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
),

weekly as (
    select
        participation.theme,
        date_trunc('week', participation.day + week_start.shift) as week,
        sum(participation.participations) as n
    from mart_daily as participation
    cross join week_start
    where {where}
    group by all
),

bounds as (
    select date_trunc('week', cast(? as date) + week_start.shift) as last_week
    from week_start
),

windows as (
    select
        weekly.theme,
        sum(n) filter (where week > bounds.last_week - interval 4 week) / 4.0 as recent_per_week,
        sum(n) filter (where week <= bounds.last_week - interval 4 week
            and week > bounds.last_week - interval 16 week) / 12.0 as baseline_per_week
    from weekly
    cross join bounds
    group by weekly.theme
)

select
    names.name as theme,
    round(coalesce(recent_per_week, 0), 1) as recent_per_week,
    round(coalesce(baseline_per_week, 0), 1) as baseline_per_week,
    round(coalesce(recent_per_week, 0) / nullif(baseline_per_week, 0), 2) as ratio
from windows
inner join names on names.code = windows.theme
-- A spike, not noise: at least five a week now, and beyond twice the Poisson noise of the baseline.
where coalesce(recent_per_week, 0) >= 5
    and coalesce(recent_per_week, 0) - coalesce(baseline_per_week, 0)
        > 2 * sqrt(greatest(coalesce(baseline_per_week, 0), 1) / 4)
order by ratio desc nulls first, names.name
