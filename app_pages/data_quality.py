"""Data quality: ETL runs; rows read, loaded, quarantined and duplicated per source; quarantine
reasons; the warehouse version in use and when it was built."""

import streamlit as st

from dashboard import queries
from dashboard.components import chart_with_table, page_start
from dashboard.i18n import t

lang, filters = page_start("dq_title")
head = queries.headline()

row = head.iloc[0]
st.caption(t(lang, "dq_version", version=int(row.run_id), built=f"{row.built_at:%Y-%m-%d %H:%M}"))

st.subheader(t(lang, "dq_sources"))
sources = queries.run_sources()
chart_with_table(
    lang,
    None,
    sources.rename(
        columns={
            "source": t(lang, "col_source"),
            "files": t(lang, "col_files"),
            "rows_read": t(lang, "col_read"),
            "rows_loaded": t(lang, "col_loaded"),
            "rows_quarantined": t(lang, "col_quarantined"),
            "rows_duplicate": t(lang, "col_duplicates"),
            "share_quarantined": t(lang, "col_share_quarantined"),
        }
    ),
    "sources",
    "rows_per_source.csv",
)

st.subheader(t(lang, "dq_quarantine"))
reasons = queries.quarantine_reasons()
if reasons.empty:
    st.success(t(lang, "dq_none_quarantined"))
else:
    chart_with_table(
        lang,
        None,
        reasons.rename(
            columns={
                "source": t(lang, "col_source"),
                "reason": t(lang, "col_reason"),
                "rows": t(lang, "col_rows"),
                "first_line": t(lang, "col_first_line"),
                "example_file": t(lang, "col_file"),
            }
        ),
        "quarantine",
        "quarantine_reasons.csv",
    )

st.subheader(t(lang, "dq_runs"))
runs = queries.runs()
chart_with_table(
    lang,
    None,
    runs.rename(
        columns={
            "run_id": t(lang, "col_run"),
            "started_at": t(lang, "col_started"),
            "status": t(lang, "col_status"),
            "files": t(lang, "col_files"),
            "rows_read": t(lang, "col_read"),
            "rows_loaded": t(lang, "col_loaded"),
            "rows_quarantined": t(lang, "col_quarantined"),
            "rows_duplicate": t(lang, "col_duplicates"),
            "seconds": t(lang, "col_seconds"),
        }
    ),
    "runs",
    "etl_runs.csv",
)
