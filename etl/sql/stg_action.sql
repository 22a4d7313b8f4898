-- The improvement-actions register, typed, coded and checked; occurrence > 1 marks a duplicate row.
-- Inputs: raw_action, parsed_action_dates, code_lookup, source_config. $now: the run's clock.
with raw as (
    select * from raw_action
),

coded as (
    select
        raw.row_id,
        raw.source,
        raw.mapping,
        raw.file,
        raw.line,
        raw.action_id,
        raw.title_ar,
        raw.title_en,
        raw.description_ar,
        raw.description_en,
        raw.owner_unit,
        raw.theme as theme_raw,
        theme.code as theme,
        raw.status as status_raw,
        status.code as status,
        raw.proposed_at as proposed_at_raw,
        cast(dates.proposed_at as date) as proposed_at,
        raw.approved_at as approved_at_raw,
        cast(dates.approved_at as date) as approved_at,
        raw.started_at as started_at_raw,
        cast(dates.started_at as date) as started_at,
        raw.completed_at as completed_at_raw,
        cast(dates.completed_at as date) as completed_at,
        coalesce(lower(trim(raw.is_public)) in ('yes', 'true', '1', 'y', 'نعم'), false) as is_public,
        list_filter(
            list_transform(regexp_split_to_array(coalesce(raw.linked_themes, ''), '[;,|]'), lambda x: trim(x)),
            lambda x: x <> ''
        ) as linked_themes,
        config.required
    from raw
    left join parsed_action_dates as dates on dates.row_id = raw.row_id
    left join source_config as config on config.mapping = raw.mapping
    left join code_lookup as theme
        on theme.mapping = raw.mapping and theme.field = 'theme' and theme.raw = raw.theme
    left join code_lookup as status
        on status.mapping = raw.mapping and status.field = 'status' and status.raw = raw.status
),

checked as (
    select
        *,
        list_filter([
            case when action_id is null then 'action_id: missing' end,
            case when title_ar is null then 'title_ar: missing' end,
            case when status_raw is null then 'status: missing' end,
            case when status_raw is not null and status is null
                then 'status: unknown code (see data/reference/action_statuses.csv)' end,
            case when theme_raw is not null and theme is null
                then 'theme: unknown code (see data/reference/themes.csv)' end,
            case when proposed_at_raw is null then 'proposed_at: missing' end,
            case when proposed_at_raw is not null and proposed_at is null
                then 'proposed_at: not a date in the expected format' end,
            case when approved_at_raw is not null and approved_at is null
                then 'approved_at: not a date in the expected format' end,
            case when started_at_raw is not null and started_at is null
                then 'started_at: not a date in the expected format' end,
            case when completed_at_raw is not null and completed_at is null
                then 'completed_at: not a date in the expected format' end,
            case when proposed_at > cast($now as date) + 1 then 'proposed_at: in the future' end
        ], lambda x: x is not null) as reasons
    from coded
)

select
    *,
    case when len(reasons) = 0 then
        row_number() over (partition by source, action_id, len(reasons) = 0 order by file, line)
    end as occurrence
from checked
