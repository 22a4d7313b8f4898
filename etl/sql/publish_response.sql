-- Median hours from submission to answer, per channel, for participations submitted in the period.
select channel, count(*) as answered, median(hours_to_answer) as median_hours
from participation
where submitted_at >= ? and submitted_at < ? and hours_to_answer is not null
group by channel
