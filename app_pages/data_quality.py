"""Data quality: ETL runs; rows read, loaded, quarantined and duplicated per source; quarantine
reasons; the warehouse version in use and when it was built."""

import streamlit as st

from dashboard import queries
from dashboard.components import chart_with_table, page_start
from dashboard.i18n import headers, reason, strings, t

lang, _ = page_start("dq_title")
head = queries.headline()

row = head.iloc[0]
st.caption(t(lang, "dq_version", version=int(row.run_id), built=f"{row.built_at:%Y-%m-%d %H:%M}"))
if (lake := queries.lake_source()) is not None:  # a lake: from this server's copy of its snapshot, or its files
    st.caption(t(lang, "dq_read_copy" if lake[1] else "dq_read_lake", snapshot=lake[0]))
orphans = queries.corrections_not_in_warehouse()
if orphans:  # kept in the store, never dropped: said here and by every ETL run
    st.warning(t(lang, "dq_orphan_corrections", n=orphans), icon=":material/rule:")

st.subheader(t(lang, "dq_sources"))
sources = queries.run_sources(lang)
named = dict(zip(sources["source"], sources["source_name"]))
chart_with_table(
    lang,
    None,
    sources.pipe(headers, lang, source_name="col_source", source="col_source_key"),
    "sources",
    "rows_per_source.csv",
    percent=(t(lang, "col_share_quarantined"),),
)

st.subheader(t(lang, "dq_quarantine"))
reasons = queries.quarantine_reasons()
reasons = reasons.assign(
    source=reasons["source"].map(lambda s: named.get(s, s)),
    reason=reasons["reason"].map(lambda r: reason(r, lang)),  # stored in English
)[["reason", "rows", "first_line", "example_file", "source"]]  # the long source names last
if reasons.empty:
    st.success(t(lang, "dq_none_quarantined"))
else:
    chart_with_table(
        lang,
        None,
        reasons.pipe(headers, lang),
        "quarantine",
        "quarantine_reasons.csv",
    )

st.subheader(t(lang, "dq_runs"))
runs = queries.runs()
runs = runs.assign(status=runs["status"].map(lambda s: strings(lang).get(f"run_{s}", s)))
chart_with_table(
    lang,
    None,
    runs.pipe(headers, lang),
    "runs",
    "etl_runs.csv",
)
