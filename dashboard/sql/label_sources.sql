-- Where the labels of the chosen participations come from: the theme's (rules or analyst) and the
-- sentiment's (rules, rating, model or none), with each source's share of the participations.
with chosen as (
    select participation.theme_source, participation.sentiment_source
    from participation
    where {where}
),

labels as (
    select 'theme' as label, theme_source as source, count(*) as participations from chosen group by all
    union all
    select 'sentiment' as label, sentiment_source as source, count(*) as participations from chosen group by all
)

select
    labels.label,
    labels.source,
    labels.participations,
    labels.participations / sum(labels.participations) over (partition by labels.label) as share
from labels
order by labels.label desc, labels.participations desc, labels.source
