-- Poll and questionnaire answers submitted in the period: one row per poll, answer and tool.
-- The question is the agency's own text (the poll's wording), not a participant's.
select a.poll_id, any_value(a.question) as question, p.tool, a.answer, count(*) as n
from poll_answer a
join participation p using (participation_id)
where p.submitted_at >= ? and p.submitted_at < ?
group by a.poll_id, p.tool, a.answer
order by a.poll_id, a.answer
