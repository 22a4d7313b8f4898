-- Poll and questionnaire answers, one per answering participation.
with answers as (
    select participation_id, poll_id, question, answer
    from stg_identified
    where occurrence = 1 and poll_id is not null
)

select answers.participation_id, answers.poll_id, answers.question, answers.answer
from answers
inner join participation on participation.participation_id = answers.participation_id
order by answers.poll_id, answers.participation_id
