-- Improvement actions per status and theme (?: language, twice), statuses in their lifecycle order:
-- the order of data/reference/action_statuses.csv (proposed ... dropped), which ref_action_status keeps.
with theme_names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
),

status_names as (
    select code, rowid as stage, case when ? = 'ar' then name_ar else name_en end as name from ref_action_status
)

select status_names.name as status, coalesce(theme_names.name, '—') as theme, count(*) as n
from improvement_action
left join theme_names on theme_names.code = improvement_action.theme
left join status_names on status_names.code = improvement_action.status
group by all
order by min(status_names.stage), theme
