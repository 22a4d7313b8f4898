-- Median hours to answer per channel, from the rows.
select channel, median(hours_to_answer) as median_hours_to_answer
from participation
where {where}
group by channel
