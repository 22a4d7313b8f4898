-- How many participations match the filters and the search (?: normalised search text, twice).
select count(*) as matches
from participation
where {where} and (? = '' or contains(text_normalized, ?))
