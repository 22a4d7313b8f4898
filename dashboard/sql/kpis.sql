-- The overview's additive headline figures (from the mart).
select
    coalesce(sum(participations), 0) as participations,
    sum(answered) / nullif(sum(answerable), 0) as share_answered,
    sum(rating_sum) / nullif(sum(rated), 0) as average_rating,
    sum(removed) / nullif(sum(participations), 0) as share_removed
from mart_daily
where {where}
