-- The app's pre-aggregated mart: additive figures per day and per value of every filter dimension,
-- in day order. Pages that only count or sum read this instead of the participation table
-- (screened_N and agreed_N: flagged by the automatic screen for control N, and removed citing it too;
-- medians and distinct senders are not additive: those queries read participation, which is
-- stored in time order so a period reads only its own row groups).
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
    count(*) as participations,
    count(*) filter (where not is_poll_answer) as answerable,
    count(*) filter (where not is_poll_answer and responded_at is not null) as answered,
    count(rating) as rated,
    coalesce(sum(rating), 0) as rating_sum,
    count(*) filter (where moderation_status in ('hidden', 'deleted')) as removed,
    count(*) filter (where list_contains(screening_controls, 1)) as screened_1,
    count(*) filter (where list_contains(screening_controls, 1) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 1) as agreed_1,
    count(*) filter (where list_contains(screening_controls, 2)) as screened_2,
    count(*) filter (where list_contains(screening_controls, 2) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 2) as agreed_2,
    count(*) filter (where list_contains(screening_controls, 3)) as screened_3,
    count(*) filter (where list_contains(screening_controls, 3) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 3) as agreed_3,
    count(*) filter (where list_contains(screening_controls, 4)) as screened_4,
    count(*) filter (where list_contains(screening_controls, 4) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 4) as agreed_4,
    count(*) filter (where list_contains(screening_controls, 5)) as screened_5,
    count(*) filter (where list_contains(screening_controls, 5) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 5) as agreed_5,
    count(*) filter (where list_contains(screening_controls, 6)) as screened_6,
    count(*) filter (where list_contains(screening_controls, 6) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 6) as agreed_6,
    count(*) filter (where list_contains(screening_controls, 7)) as screened_7,
    count(*) filter (where list_contains(screening_controls, 7) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 7) as agreed_7,
    count(*) filter (where list_contains(screening_controls, 8)) as screened_8,
    count(*) filter (where list_contains(screening_controls, 8) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 8) as agreed_8,
    count(*) filter (where list_contains(screening_controls, 9)) as screened_9,
    count(*) filter (where list_contains(screening_controls, 9) and moderation_status in ('hidden', 'deleted')
        and moderation_control = 9) as agreed_9
from participation
group by all
order by day
