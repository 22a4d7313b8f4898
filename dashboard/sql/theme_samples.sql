-- A sample of redacted texts on one theme (?: theme code), newest first.
select submitted_at, sentiment, text_redacted
from participation
where {where} and theme = ? and text_redacted is not null
order by submitted_at desc, participation_id
limit 20
