"""Explorer (analysts): every filter, a search over normalised text (diacritics and hamza forms
ignored), a paged table of redacted records, and exports of the whole filtered set to CSV and XLSX
with formula-like cells neutralised. It always says how many rows match and how many are exported.
Any record of the page opens in full (dashboard/record_view.py), where an analyst corrects its
theme or sentiment."""

import streamlit as st

from dashboard import queries, record_view
from dashboard.components import page_start, show_table
from dashboard.exports import XLSX_MAX_ROWS, deferred, localise_markers, to_csv, to_xlsx
from dashboard.i18n import hijri, named, number, t
from etl.text import normalise

PAGE_SIZE = 50
EXPORT_LIMIT = 200_000  # rows built in memory for one download; the count above says when it is cut

lang, filters = page_start("explorer_title")

search_text = st.text_input(t(lang, "search"), key="search", placeholder=t(lang, "search_placeholder"))
search = normalise(search_text)
total = queries.explorer_count(filters, search)

st.caption(t(lang, "matches", n=total))
if not total:
    st.info(t(lang, "empty_filtered"))
    st.stop()

pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
page = st.number_input(
    t(lang, "page_of", pages=number(pages, lang)), min_value=1, max_value=pages, value=1, key="explorer_page"
)
rows = queries.explorer_rows(filters, search, PAGE_SIZE, (page - 1) * PAGE_SIZE)
on_page = dict(zip(rows["participation_id"], rows["submitted_at"]))  # the records the view can open
rows = rows.assign(text_redacted=rows["text_redacted"].map(lambda x: localise_markers(x, lang)))
rows.insert(2, "submitted_hijri", rows["submitted_at"].map(lambda ts: hijri(ts.date())))  # people read both
CODED = {  # column -> its dimension in queries.names
    "channel": "channel",
    "tool": "tool",
    "region": "region",
    "theme": "theme",
    "sentiment": "sentiment",
    "moderation_status": "status",
    "language": "language",
}
HEADERS = {
    "participation_id": "col_id",
    "submitted_at": "col_submitted",
    "submitted_hijri": "col_submitted_hijri",
    "text_redacted": "col_text",
    "channel": "col_channel",
    "tool": "col_tool",
    "region": "col_region",
    "theme": "col_theme",
    "sentiment": "col_sentiment",
    "sentiment_confidence": "col_sentiment_confidence",
    "sentiment_source": "col_sentiment_source",
    "rating": "col_rating",
    "moderation_status": "col_status",
    "moderation_control": "col_control",
    "screening_controls": "col_screening",
    "responded_at": "col_responded",
    "language": "col_language",
}
# Codes read as names in the interface language; the downloads below keep the codes.
names = queries.names(lang)
rows = named(rows, names, CODED)
rows["sentiment_source"] = rows["sentiment_source"].map(lambda code: t(lang, f"label_source_{code or 'none'}"))
# Plain text cells: a dataframe never renders Markdown or HTML. Downloads keep the field names.
show_table(
    rows.rename(columns={c: t(lang, k) for c, k in HEADERS.items()}), percent=(t(lang, "col_sentiment_confidence"),)
)

# One record in full, and (for analysts) the correction of its theme or sentiment.
opened = st.selectbox(
    t(lang, "record_open"),
    list(on_page),
    index=None,
    placeholder=t(lang, "record_open_placeholder"),
    format_func=lambda pid: f"{pid} · {on_page[pid]:%Y-%m-%d %H:%M}",
    key="record_open",
)
if opened:
    record_view.show(lang, opened, names)

exported = min(total, EXPORT_LIMIT)
st.caption(
    t(
        lang,
        "export_note",
        n=exported,
        total=number(total, lang),
        xlsx=number(min(exported, XLSX_MAX_ROWS), lang),
    )
)


def everything():  # read when a download is clicked, not on every rerun
    return queries.explorer_rows(filters, search, EXPORT_LIMIT, 0)


c1, c2 = st.columns(2)
c1.download_button(
    t(lang, "download_csv"), deferred(everything, to_csv), "participations.csv", "text/csv", key="dl_csv"
)
c2.download_button(
    t(lang, "download_xlsx"),
    deferred(everything, to_xlsx),
    "participations.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="dl_xlsx",
)
