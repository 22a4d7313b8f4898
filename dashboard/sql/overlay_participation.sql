-- The participation table as the app reads it once analysts have corrected labels: their latest
-- corrections (label_correction, from the corrections store) over the warehouse's theme and
-- sentiment, with 'analyst' as the source and full confidence (dashboard/db.py).
create or replace temp view participation as
select
    stored.* replace (
        coalesce(fix.theme, stored.theme) as theme,
        case when fix.theme is not null then 1.0 else stored.theme_confidence end as theme_confidence,
        case when fix.theme is not null then 'analyst' else stored.theme_source end as theme_source,
        coalesce(fix.sentiment, stored.sentiment) as sentiment,
        case when fix.sentiment is not null then 'analyst' else stored.sentiment_source end as sentiment_source,
        case when fix.sentiment is not null then 1.0 else stored.sentiment_confidence end as sentiment_confidence
    )
from warehouse.main.participation as stored
left join label_correction as fix on fix.participation_id = stored.participation_id
