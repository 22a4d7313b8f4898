"""Moderation: outcomes by channel; removals by control (with the control's text); time to a
decision; the pending backlog by age; automatic screening against human decisions."""

import streamlit as st

from dashboard import charts, queries
from dashboard.components import chart_with_table, page_start
from dashboard.i18n import t

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
    outcomes.drop(columns=["status_code"]).rename(
        columns={
            "channel": t(lang, "col_channel"),
            "status": t(lang, "col_status"),
            "participations": t(lang, "col_participations"),
        }
    ),
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
    removals.rename(
        columns={
            "control": t(lang, "col_control"),
            "name": t(lang, "col_name"),
            "removals": t(lang, "col_removals"),
            "control_text": t(lang, "col_control_text"),
        }
    ),
    "removals",
    "removals_by_control.csv",
)

left, right = st.columns(2)
with left:
    st.subheader(t(lang, "decision_time"))
    chart_with_table(
        lang,
        None,
        queries.decision_time(lang, filters).rename(
            columns={
                "status": t(lang, "col_status"),
                "decisions": t(lang, "col_decisions"),
                "median_hours": t(lang, "col_median_hours_decision"),
                "p90_hours": t(lang, "col_p90_hours"),
            }
        ),
        "decision_time",
        "time_to_decision.csv",
    )
with right:
    st.subheader(t(lang, "pending_backlog"))
    backlog = queries.pending_backlog(filters)
    chart_with_table(
        lang,
        charts.bar(
            backlog, "age", "pending", t(lang, "col_age_days"), t(lang, "col_pending"), t(lang, "pending_backlog")
        ),
        backlog.drop(columns=["sort_key"]).rename(
            columns={"age": t(lang, "col_age_days"), "pending": t(lang, "col_pending")}
        ),
        "backlog",
        "pending_backlog.csv",
    )

st.subheader(t(lang, "screening_agreement"))
st.caption(t(lang, "screening_agreement_caption"))
chart_with_table(
    lang,
    None,
    queries.screening_agreement(lang, filters).rename(
        columns={
            "control": t(lang, "col_control"),
            "name": t(lang, "col_name"),
            "screened": t(lang, "col_screened"),
            "removed": t(lang, "col_removed"),
            "both_agree": t(lang, "col_both"),
            "precision": t(lang, "col_precision"),
            "recall": t(lang, "col_recall"),
            "agreement": t(lang, "col_agreement"),
        }
    ),
    "agreement",
    "screening_agreement.csv",
)
