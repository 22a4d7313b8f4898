"""Entry point of the internal app: page config, language switch, navigation. It only routes.

Run with ``make run`` (or ``streamlit run app.py``). ``?lang=ar|en`` picks the interface language,
Arabic by default.
"""

import streamlit as st

from dashboard.i18n import DEFAULT_LANG, LANGS, t

st.set_page_config(page_title="E-participation", page_icon="📊", layout="wide")

# The language switch holds the choice; it starts from the URL and writes back to it, so a link
# always opens in the language it was shared in.
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
st.query_params["lang"] = lang

if lang == "ar":  # static layout CSS only; nothing a participant wrote ever passes through here
    st.html(
        "<style>.stMain, .stSidebar, [data-testid='stSidebarNav'] {direction: rtl; text-align: right;}"
        " .vega-embed {direction: ltr;}</style>"
    )

pages = {
    t(lang, "nav_dashboards"): [
        st.Page("app_pages/overview.py", title=t(lang, "page_overview"), icon="📊", default=True),
    ],
}
st.navigation(pages).run()
