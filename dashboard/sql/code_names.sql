-- Every coded field's names in the interface language (?): the filters' choices (channel, tool,
-- region, theme, status, language), and the names tables show for sentiment and beneficiary type.
with lang as (
    select ? as code
),

choices as (
    select 'channel' as dimension, code, name_ar, name_en from ref_channel
    union all select 'tool', code, name_ar, name_en from ref_tool
    union all select 'region', code, name_ar, name_en from ref_region
    union all select 'theme', code, name_ar, name_en from ref_theme
    union all select 'status', code, name_ar, name_en from ref_moderation_status
    union all select 'language', code, name_ar, name_en from ref_language
    union all select 'sentiment', code, name_ar, name_en from ref_sentiment
    union all select 'beneficiary_type', code, name_ar, name_en from ref_beneficiary_type
)

select choices.dimension, choices.code, case when lang.code = 'ar' then name_ar else name_en end as name
from choices
cross join lang
