-- kpis_distinct for a period stored in mart_window. Parameter: the period.
select senders, median_hours_to_answer
from mart_window
where period = ? and dimension = 'all'
