-- First themes and sentiment from editable keyword lists (data/reference/themes.csv and
-- sentiment_lexicon.csv), matched on normalised redacted text; offensive terms for control 2.
-- Inputs: text_stage, stg_identified (ratings), theme_keyword, sentiment_term, offensive_term.
with texts as (
    select text_stage.row_id, text_stage.text_normalized, ids.rating_number
    from text_stage
    inner join stg_identified as ids on ids.row_id = text_stage.row_id
),

theme_hits as (
    select texts.row_id, theme_keyword.theme, sum(theme_keyword.weight) as score
    from texts
    inner join theme_keyword on contains(texts.text_normalized, theme_keyword.keyword)
    group by all
),

theme_ranked as (
    select
        row_id,
        theme,
        score / sum(score) over (partition by row_id) as share,
        row_number() over (partition by row_id order by score desc, theme) as rank
    from theme_hits
),

sentiment_hits as (
    select texts.row_id, sum(sentiment_term.polarity) as score
    from texts
    inner join sentiment_term on contains(texts.text_normalized, sentiment_term.term)
    group by all
),

offensive_hits as (
    select texts.row_id, count(*) as terms
    from texts
    inner join offensive_term on contains(texts.text_normalized, offensive_term.term)
    group by all
)

select
    texts.row_id,
    coalesce(theme_ranked.theme, 'other') as theme,
    round(coalesce(theme_ranked.share, 0), 3) as theme_confidence,
    case
        when sentiment_hits.score > 0 then 'positive'
        when sentiment_hits.score < 0 then 'negative'
        when texts.rating_number >= 4 then 'positive'
        when texts.rating_number <= 2 then 'negative'
        else 'neutral'
    end as sentiment,
    coalesce(offensive_hits.terms, 0) as offensive_terms
from texts
left join theme_ranked on theme_ranked.row_id = texts.row_id and theme_ranked.rank = 1
left join sentiment_hits on sentiment_hits.row_id = texts.row_id
left join offensive_hits on offensive_hits.row_id = texts.row_id
