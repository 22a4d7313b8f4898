"""Improvement actions: the register by status and theme; how many participations each action
answers; the time from the first participation on its themes to the action; and "you said, we
did" cards in Arabic and English."""

import streamlit as st

from dashboard import charts, queries
from dashboard.components import chart_with_table, page_start
from dashboard.i18n import headers, t

lang, _ = page_start("actions_title")
register = queries.actions_register(lang)

if register.empty:
    st.info(t(lang, "no_actions"))
    st.stop()

st.subheader(t(lang, "actions_by_status"))
by_status = queries.actions_by_status(lang)
stages = list(by_status["status"].unique())  # the lifecycle's order: proposed first, dropped last
chart_with_table(
    lang,
    charts.stacked_bar(
        by_status,
        "status",
        "n",
        "theme",
        t(lang, "col_status"),
        t(lang, "col_actions"),
        t(lang, "col_theme"),
        t(lang, "actions_by_status"),
        order=stages,
    ),
    by_status.pipe(headers, lang),
    "by_status",
    "actions_by_status.csv",
)

st.subheader(t(lang, "register"))
chart_with_table(
    lang,
    None,
    register.drop(columns=["status_code", "description"]).pipe(
        headers, lang, participations="col_participations_answered"
    ),
    "register",
    "improvement_actions.csv",
)

st.subheader(t(lang, "you_said_we_did"))
done = register[register["status_code"].isin(["done", "in_progress"])]
cols = st.columns(2)
for i, action in enumerate(done.itertuples()):
    with cols[i % 2].container(border=True):
        # Titles and descriptions come from the register: shown as plain text, never Markdown.
        st.text(action.title)
        st.caption(t(lang, "card_meta", theme=action.theme or "—", status=action.status, n=action.participations))
        st.text(action.description or "")
