-- The headline figures that do not add up across days: distinct senders, median time to answer.
select
    count(distinct sender_hash) as senders,
    median(hours_to_answer) as median_hours_to_answer
from participation
where {where}
