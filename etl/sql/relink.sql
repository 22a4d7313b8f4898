-- An incremental run (etl/delta.py): the stored records whose near-duplicate cluster, repeat or
-- campaign changed once new records came, with control 7's screen and rule placed as
-- participation.sql places them (rules are ordered by their control's number: 2, 5, 6, then 7,
-- then 8 and 9).
update participation
set
    text_cluster = relinked.cluster,
    duplicate_of = relinked.duplicate_of,
    duplicate_kind = relinked.duplicate_kind,
    campaign_id = relinked.campaign_id,
    screening_controls = list_sort(list_distinct(
        list_filter(participation.screening_controls, lambda x: x <> 7)
        || case when relinked.duplicate_of is not null then [7] else []::integer[] end
    )),
    screening_rules = list_filter(participation.screening_rules, lambda x: x < '7')
        || case when relinked.duplicate_of is not null
            then ['7:repeated_' || relinked.duplicate_kind] else []::varchar[] end
        || list_filter(participation.screening_rules, lambda x: x >= '8')
from relinked
where participation.participation_id = relinked.participation_id
