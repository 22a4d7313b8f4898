-- The periods whose non-additive figures the ETL stored in mart_window (the default view and the
-- period before it).
select distinct period, period_start, period_end from mart_window
