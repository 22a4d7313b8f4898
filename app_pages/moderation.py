"""Moderation: outcomes by channel; removals by control (with the control's text); time to a
decision; the pending backlog by age; automatic screening against human decisions."""

import streamlit as st

from dashboard import charts, queries
from dashboard.components import HALF_WIDTH, chart_with_table, page_start
from dashboard.i18n import headers, t

lang, filters = page_start("moderation_title")
outcomes = queries.moderation_outcomes(lang, filters)

st.subheader(t(lang, "outcomes_by_channel"))
chart_with_table(
    lang,
    charts.stacked_bar(
        outcomes,
        "channel",
        "participations",
        "status",
        t(lang, "col_channel"),
        t(lang, "col_participations"),
        t(lang, "col_status"),
        t(lang, "outcomes_by_channel"),
        palette={name: charts.STATUS_COLORS[code] for name, code in zip(outcomes["status"], outcomes["status_code"])},
    ),
    outcomes.drop(columns=["status_code"]).pipe(headers, lang),
    "outcomes",
    "moderation_outcomes.csv",
)

st.subheader(t(lang, "removals_by_control"))
removals = queries.removals_by_control(lang, filters)
chart_with_table(
    lang,
    charts.bar(
        removals.assign(label=removals["control"].astype(str) + " · " + removals["name"]),
        "label",
        "removals",
        t(lang, "col_control"),
        t(lang, "col_removals"),
        t(lang, "removals_by_control"),
    ),
    removals.pipe(headers, lang),
    "removals",
    "removals_by_control.csv",
)

left, right = st.columns(2)
with left:
    st.subheader(t(lang, "decision_time"))
    chart_with_table(
        lang,
        None,
        queries.decision_time(lang, filters).pipe(headers, lang),
        "decision_time",
        "time_to_decision.csv",
        hours=(t(lang, "col_median_hours_decision"), t(lang, "col_p90_hours")),
        room=HALF_WIDTH,
    )
with right:
    st.subheader(t(lang, "pending_backlog"))
    backlog = queries.pending_backlog(filters)
    chart_with_table(
        lang,
        charts.bar(
            backlog,
            "age",
            "pending",
            t(lang, "col_age_days"),
            t(lang, "col_pending"),
            t(lang, "pending_backlog"),
            order=list(backlog["age"]),  # youngest first, as the query orders them
        ),
        backlog.drop(columns=["sort_key"]).pipe(headers, lang),
        "backlog",
        "pending_backlog.csv",
        room=HALF_WIDTH,
    )

st.subheader(t(lang, "screening_agreement"))
st.caption(t(lang, "screening_agreement_caption"))
chart_with_table(
    lang,
    None,
    queries.screening_agreement(lang, filters).pipe(headers, lang),
    "agreement",
    "screening_agreement.csv",
    percent=tuple(t(lang, c) for c in ("col_precision", "col_recall", "col_agreement")),  # shares, as elsewhere
)
