-- Why rows were quarantined in the loads this warehouse holds (the last build and every append
-- since: the quarantine table holds theirs alone); reasons name fields, never row content.
select source, reason, count(*) as rows, min(line) as first_line, min(file) as example_file
from quarantine
group by all
order by rows desc, source, reason
