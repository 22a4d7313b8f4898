"""Entry point of the internal app: page config, language switch, shared filters, navigation.

It only routes. ``?lang=ar|en`` picks the interface language (Arabic by default); the filters
(period, channel, tool, region, theme, status, language of the text) live here once, start from
the URL and are written back to it, so any view can be shared as a link.
"""

import datetime as dt

import streamlit as st

from dashboard import queries
from dashboard.db import WarehouseMissing
from dashboard.filters import DIMENSIONS, Filters, from_query, to_query
from dashboard.i18n import DEFAULT_LANG, LANGS, t

st.set_page_config(page_title="E-participation", page_icon="📊", layout="wide")

# The language switch holds the choice; it starts from the URL and writes back to it.
if "lang_switch" not in st.session_state:
    url_lang = st.query_params.get("lang", DEFAULT_LANG)
    st.session_state["lang_switch"] = url_lang if url_lang in LANGS else DEFAULT_LANG

with st.sidebar:
    st.segmented_control(
        "Language · اللغة",
        options=list(LANGS),
        key="lang_switch",
        format_func=lambda code: {"ar": "العربية", "en": "English"}[code],
        required=True,
    )
lang = st.session_state["lang_switch"] or DEFAULT_LANG
st.session_state["lang"] = lang

if lang == "ar":  # static layout CSS only; nothing a participant wrote ever passes through here
    st.html(
        "<style>.stMain, .stSidebar, [data-testid='stSidebarNav'] {direction: rtl; text-align: right;}"
        " .vega-embed {direction: ltr;}</style>"
    )

try:
    choices = queries.options(lang)
    span = queries.data_span()
except WarehouseMissing:
    choices, span = None, None

filters = Filters()
if choices is not None and not span.empty and span.at[0, "last_day"] is not None:
    names = {(r.dimension, r.code): r.name for r in choices.itertuples()}
    codes = {d: [c for (dim, c) in names if dim == d] for d in DIMENSIONS}
    first_day, last_day = (
        d.date() if hasattr(d, "date") else d for d in (span.at[0, "first_day"], span.at[0, "last_day"])
    )
    if "filters_seeded" not in st.session_state:  # once per session: the URL decides the start
        url = from_query(st.query_params.to_dict(), {d: set(v) for d, v in codes.items()})

        def clamp(d: dt.date) -> dt.date:  # the date widget accepts only days with data
            return min(max(d, first_day), last_day)

        st.session_state["f_period"] = (
            clamp(url.start or last_day - dt.timedelta(days=89)),
            clamp(url.end or last_day),
        )
        for d in DIMENSIONS:
            st.session_state[f"f_{d}"] = list(getattr(url, d))
        st.session_state["filters_seeded"] = True
    with st.sidebar:
        st.subheader(t(lang, "filters"))
        st.date_input(t(lang, "period"), key="f_period", min_value=first_day, max_value=last_day)
        for d in DIMENSIONS:
            st.multiselect(
                t(lang, f"filter_{d}"),
                codes[d],
                key=f"f_{d}",
                placeholder=t(lang, "all"),
                format_func=lambda code, d=d: names[(d, code)],
            )
    period = st.session_state["f_period"]
    start, end = period if isinstance(period, tuple | list) and len(period) == 2 else (None, None)
    filters = Filters(start=start, end=end, **{d: tuple(st.session_state[f"f_{d}"]) for d in DIMENSIONS})
st.session_state["filters"] = filters
st.query_params.from_dict({"lang": lang, **to_query(filters)})

pages = {
    t(lang, "nav_dashboards"): [
        st.Page("app_pages/overview.py", title=t(lang, "page_overview"), icon=":material/monitoring:", default=True),
        st.Page("app_pages/channels.py", title=t(lang, "page_channels"), icon=":material/hub:"),
        st.Page("app_pages/moderation.py", title=t(lang, "page_moderation"), icon=":material/gavel:"),
        st.Page("app_pages/themes.py", title=t(lang, "page_themes"), icon=":material/category:"),
        st.Page("app_pages/actions.py", title=t(lang, "page_actions"), icon=":material/task_alt:"),
    ],
    t(lang, "nav_analysis"): [
        st.Page("app_pages/explorer.py", title=t(lang, "page_explorer"), icon=":material/search:"),
    ],
    t(lang, "nav_operations"): [
        st.Page("app_pages/data_quality.py", title=t(lang, "page_data_quality"), icon=":material/fact_check:"),
    ],
}
st.navigation(pages).run()
