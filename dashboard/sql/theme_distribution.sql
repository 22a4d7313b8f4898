-- Participations per theme, with their sentiment (?: language).
with names as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_theme
),

sentiments as (
    select code, case when ? = 'ar' then name_ar else name_en end as name from ref_sentiment
)

select names.name as theme, sentiments.name as sentiment, participation.sentiment as sentiment_code,
    sum(participations) as participations
from mart_daily as participation
inner join names on names.code = participation.theme
inner join sentiments on sentiments.code = participation.sentiment
where {where}
group by all
order by participations desc, names.name, sentiment_code
