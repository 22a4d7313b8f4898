-- An incremental run (etl/delta.py): control 7's screen and rule of the stored records whose repeat
-- came, went or changed its kind (their rows: $rows, a list of constants, which the scan filters
-- on before it reads the other columns), placed as participation.sql places them (rules are
-- ordered by their control's number: 2, 5, 6, then 7, then 8 and 9). After relink.sql.
update participation
set
    screening_controls = list_sort(list_distinct(
        list_filter(screening_controls, lambda x: x <> 7)
        || case when duplicate_of is not null then [7] else []::integer[] end
    )),
    screening_rules = list_filter(screening_rules, lambda x: x < '7')
        || case when duplicate_of is not null
            then ['7:repeated_' || duplicate_kind] else []::varchar[] end
        || list_filter(screening_rules, lambda x: x >= '8')
where rowid = any($rows)
