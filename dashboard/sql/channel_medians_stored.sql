-- channel_medians for a period stored in mart_window. Parameter: the period.
select code as channel, median_hours_to_answer
from mart_window
where period = ? and dimension = 'channel'
