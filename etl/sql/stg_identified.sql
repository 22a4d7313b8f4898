-- The stable id of every accepted row, narrow (the wide typed rows stay in stg_participation and
-- are joined by row_id once, when the records are read: materialising them again cost more than
-- the rest of the step). A record without an id of its own gets a hash of its content and its
-- occurrence in the file (so identical reviews stay distinct, and a re-export maps to the same
-- ids); a record exported twice (same source and id) is numbered: occurrence > 1 is a duplicate
-- row. Only rows that need it pay for it: the content hash (stg_participation.sql) and its numbering
-- for rows without an id, the numbering of occurrences for ids that appear more than once. Poll
-- answers come along (poll_answer.sql reads them here).
with accepted as (
    select * from stg_participation where len(reasons) = 0
),

keyed as materialized (
    select row_id, source, file, line, poll_id, question, answer, source_record_id as record_key
    from accepted
    where source_record_id is not null
    union all
    select
        row_id,
        source,
        file,
        line,
        poll_id,
        question,
        answer,
        'h' || substr(content_hash, 1, 16) || '-'
        || row_number() over (partition by source, file, content_hash order by line) as record_key
    from accepted
    where source_record_id is null
),

repeated_keys as (
    select source, record_key
    from keyed
    group by source, record_key
    having count(*) > 1
),

numbered as (
    select keyed.*, 1 as occurrence
    from keyed
    anti join repeated_keys using (source, record_key)
    union all
    select
        keyed.*,
        row_number() over (partition by keyed.source, keyed.record_key order by keyed.file, keyed.line)
            as occurrence
    from keyed
    semi join repeated_keys using (source, record_key)
)

select
    row_id,
    source,
    file,
    line,
    poll_id,
    question,
    answer,
    record_key,
    occurrence,
    substr(md5(source || chr(31) || record_key), 1, 20) as participation_id
from numbered
