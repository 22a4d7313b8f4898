-- The headline figures that do not add up across days: distinct senders, median time to answer.
select
    count(distinct sender_key) as senders,  -- 64-bit keys hash twice as fast as the 64-char strings
    median(hours_to_answer) as median_hours_to_answer
from participation
where {where}
