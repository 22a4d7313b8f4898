-- The app's pre-aggregated mart: additive figures per day and per value of every filter dimension,
-- in day order. Pages that only count or sum read this instead of the participation table
-- (screened_N and agreed_N: flagged by the automatic screen for control N, and removed citing it too;
-- medians and distinct senders are not additive: those queries read participation, which is
-- stored in time order so a period reads only its own row groups).
-- moderation_status and moderation_control are keys: within a group a record is removed, and
-- removed citing control N, all together or not at all, so `removed` and agreed_N follow from the
-- group's keys and counts (ten aggregates fewer over a million rows).
-- The counts are INTEGER (a group of one day never holds 2^31 records): half the bytes of BIGINT to
-- sort and store. sum() over them is HUGEINT either way.
select
    day,
    channel,
    tool,
    region,
    theme,
    moderation_status,
    language,
    sentiment,
    beneficiary_type,
    moderation_control,
    participations,
    answerable,
    answered,
    rated,
    rating_sum,
    case when removed_group then participations else 0 end as removed,
    screened_1,
    case when removed_group and moderation_control = 1 then screened_1 else 0 end as agreed_1,
    screened_2,
    case when removed_group and moderation_control = 2 then screened_2 else 0 end as agreed_2,
    screened_3,
    case when removed_group and moderation_control = 3 then screened_3 else 0 end as agreed_3,
    screened_4,
    case when removed_group and moderation_control = 4 then screened_4 else 0 end as agreed_4,
    screened_5,
    case when removed_group and moderation_control = 5 then screened_5 else 0 end as agreed_5,
    screened_6,
    case when removed_group and moderation_control = 6 then screened_6 else 0 end as agreed_6,
    screened_7,
    case when removed_group and moderation_control = 7 then screened_7 else 0 end as agreed_7,
    screened_8,
    case when removed_group and moderation_control = 8 then screened_8 else 0 end as agreed_8,
    screened_9,
    case when removed_group and moderation_control = 9 then screened_9 else 0 end as agreed_9
from (
    select
        cast(submitted_at as date) as day,
        channel,
        tool,
        region,
        theme,
        moderation_status,
        language,
        sentiment,
        beneficiary_type,
        moderation_control,
        moderation_status in ('hidden', 'deleted') as removed_group,
        cast(count(*) as integer) as participations,
        cast(count(*) filter (where not is_poll_answer) as integer) as answerable,
        cast(count(*) filter (where not is_poll_answer and responded_at is not null) as integer) as answered,
        cast(count(rating) as integer) as rated,
        cast(coalesce(sum(rating), 0) as integer) as rating_sum,
        cast(count(*) filter (where list_contains(screening_controls, 1)) as integer) as screened_1,
        cast(count(*) filter (where list_contains(screening_controls, 2)) as integer) as screened_2,
        cast(count(*) filter (where list_contains(screening_controls, 3)) as integer) as screened_3,
        cast(count(*) filter (where list_contains(screening_controls, 4)) as integer) as screened_4,
        cast(count(*) filter (where list_contains(screening_controls, 5)) as integer) as screened_5,
        cast(count(*) filter (where list_contains(screening_controls, 6)) as integer) as screened_6,
        cast(count(*) filter (where list_contains(screening_controls, 7)) as integer) as screened_7,
        cast(count(*) filter (where list_contains(screening_controls, 8)) as integer) as screened_8,
        cast(count(*) filter (where list_contains(screening_controls, 9)) as integer) as screened_9
    from participation
    group by all
)
order by day
