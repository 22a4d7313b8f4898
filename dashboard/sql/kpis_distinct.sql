-- The headline figures that do not add up across days: distinct senders, median time to answer.
select
    count(distinct sender_hash) as senders,
    median(epoch(responded_at - submitted_at) / 3600) as median_hours_to_answer
from participation
where {where}
