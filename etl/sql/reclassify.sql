-- Reclassify: themes, sentiment and the text screens (controls 2 and 6) again, from the stored text,
-- with the rules and model as they are now (`python -m etl reclassify`). `classified` holds the new
-- features per participation; `label_override` the analysts' themes and sentiments. The other screens (5, 7, 8, 9)
-- come from what the text stage and the links stored, and stay as they are.
update participation
set
    theme = coalesce(label_override.theme, classified.theme),
    theme_confidence = case when label_override.theme is not null then 1.0 else classified.theme_confidence end,
    theme_source = case when label_override.theme is not null then 'analyst' else 'rules' end,
    sentiment = coalesce(label_override.sentiment, classified.sentiment),
    sentiment_source = case when label_override.sentiment is not null then 'analyst' else classified.sentiment_source end,
    sentiment_confidence
        = case when label_override.sentiment is not null then 1.0 else classified.sentiment_confidence end,
    screening_controls = list_sort(list_distinct(
        list_filter(participation.screening_controls, lambda x: x not in (2, 6))
        || list_filter([
            case when classified.offensive_term is not null then 2 end,
            case when classified.security_rule is not null then 6 end
        ], lambda x: x is not null)
    )),
    screening_rules = list_filter([
            case when classified.offensive_term is not null then '2:offensive_term:' || classified.offensive_term end
        ], lambda x: x is not null)
        || list_filter(participation.screening_rules, lambda x: x like '5:%')
        || list_filter([
            case when classified.security_rule is not null then '6:security:' || classified.security_rule end
        ], lambda x: x is not null)
        || list_filter(participation.screening_rules, lambda x: not (x like '2:%' or x like '5:%' or x like '6:%'))
from classified
left join label_override on label_override.participation_id = classified.participation_id
where participation.participation_id = classified.participation_id
