"""Entry point: page config, language switch, who sees what, shared filters, navigation.

It only routes. ``DASHBOARD_MODE=public`` serves the public page alone, from the published snapshot;
``internal`` serves each role its pages (``dashboard.access``). ``?lang=ar|en`` picks the interface
language (Arabic by default); the filters (period, channel, tool, region, theme, status, language of
the text) live here once, start from the URL and are written back to it, so any view can be shared.
"""

import datetime as dt
import getpass

import streamlit as st

from core import settings
from dashboard import access
from dashboard.filters import DIMENSIONS, Filters, from_query, to_query
from dashboard.i18n import DEFAULT_LANG, LANGS, t

st.set_page_config(page_title="E-participation", page_icon="📊", layout="wide")
try:
    settings.current()
except settings.SettingError as exc:  # one line naming the setting; `make run` stops on it with exit 2
    st.error(str(exc), icon=":material/settings:")
    st.stop()
public_mode = access.mode() == "public"
if public_mode:  # whatever the command line said: no error details, viewer toolbar
    st.set_option("client.showErrorDetails", "none")
    st.set_option("client.toolbarMode", "viewer")

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

# Static layout CSS only; nothing a participant wrote ever passes through here. Captions get a
# darker grey than Streamlit's (3.9:1) to reach the 4.5:1 contrast WCAG AA asks of small text.
CSS = "[data-testid='stCaptionContainer'] {color: #595856; opacity: 1;}"
if lang == "ar":
    CSS += (
        ".stMain, .stSidebar, [data-testid='stSidebarNav'] {direction: rtl; text-align: right;}"
        " .vega-embed {direction: ltr;}"
    )
st.html(f"<style>{CSS}</style>")


def role() -> str:
    """This session's role; stops the script with a message when there is none to give."""
    if access.mode() == "public":
        return "public"
    try:
        login = "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all: no login configured
        login = False
    if not login:  # single-user local mode, and only if nobody else can reach it
        if st.get_option("server.address") not in access.LOCAL_ADDRESSES:
            st.error(t(lang, "local_mode_refused"))
            st.stop()
        st.warning(t(lang, "local_mode_banner"), icon=":material/lock:")
        st.session_state["user"] = f"local:{getpass.getuser()}"  # who made a correction, on this machine
        return "analyst"
    if not st.user.get("is_logged_in"):
        st.info(t(lang, "login_prompt"))
        st.button(t(lang, "login"), on_click=st.login, type="primary")
        st.stop()
    email = st.user.get("email")
    verified = access.is_verified(st.user.get("email_verified"))
    who = access.role_for(email, access.load_roles(settings.path("ROLES_PATH")), verified)
    if who is None:
        st.error(t(lang, "no_role", email=email) if verified else t(lang, "email_unverified", email=email))
        st.button(t(lang, "logout"), on_click=st.logout)
        st.stop()
    st.session_state["user"] = email.strip().lower()  # the login's, never typed in
    with st.sidebar:
        st.caption(t(lang, "signed_in_as", email=email, role=t(lang, f"role_{who}")))
        st.button(t(lang, "logout"), on_click=st.logout)
    return who


def sidebar_filters() -> Filters:
    """The shared filters, seeded once from the URL and clamped to the data's span."""
    from core.warehouse import WarehouseUnavailable
    from dashboard import queries
    from dashboard.db import WarehouseMissing

    try:
        names = queries.names(lang)
        span = queries.data_span()
    except (WarehouseMissing, WarehouseUnavailable):
        names, span = None, None

    filters = Filters()
    if names is not None and not span.empty and span.at[0, "last_day"] is not None:
        codes = {d: [c for (dim, c) in names if dim == d] for d in DIMENSIONS}
        first_day, last_day = span.at[0, "first_day"], span.at[0, "last_day"]
        if "filters_seeded" not in st.session_state:  # once per session: the URL decides the start
            url = from_query(st.query_params.to_dict(), {d: set(v) for d, v in codes.items()})

            def clamp(d: dt.date) -> dt.date:  # the date widget accepts only days with data
                return min(max(d, first_day), last_day)

            st.session_state["f_period"] = (
                clamp(url.start or last_day - dt.timedelta(days=settings.get("DEFAULT_PERIOD_DAYS") - 1)),
                clamp(url.end or last_day),
            )
            for d in DIMENSIONS:
                st.session_state[f"f_{d}"] = list(getattr(url, d))
            st.session_state["filters_seeded"] = True
        # Streamlit drops a widget's state on a run that does not draw it (the public summary's):
        # the last values drawn come back, so the filters survive a visit there.
        for key, value in st.session_state.get("filters_drawn", {}).items():
            if key not in st.session_state:
                st.session_state[key] = value
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
        st.session_state["filters_drawn"] = {
            k: st.session_state[k] for k in ("f_period", *(f"f_{d}" for d in DIMENSIONS))
        }
        period = st.session_state["f_period"]
        start, end = period if isinstance(period, tuple | list) and len(period) == 2 else (None, None)
        filters = Filters(start=start, end=end, **{d: tuple(st.session_state[f"f_{d}"]) for d in DIMENSIONS})
    return filters


try:
    session_role = role()
except access.AccessError as exc:
    st.error(t(lang, "access_error", error=exc))
    st.stop()
st.session_state["role"] = session_role
allowed = access.pages_for(session_role)
# One flat list: Streamlit's sectioned navigation puts <div>s directly in its <ul>, which axe-core
# reports as a serious accessibility violation (list/listitem); a flat list is valid markup.
pages = {
    spec.key: st.Page(spec.path, title=t(lang, f"page_{spec.key}"), icon=spec.icon, default=spec is allowed[0])
    for spec in allowed
}
current = st.navigation(list(pages.values()))
# Only pages that read the warehouse through them show the filters: the register of actions, the
# load's data quality and the published snapshot would ignore them.
spec = next(s for s in allowed if pages[s.key].url_path == current.url_path)
filters = sidebar_filters() if spec.filtered else Filters()
st.session_state["filters"] = filters
kept = {"period": st.query_params["period"]} if "period" in st.query_params else {}  # the public page's
st.query_params.from_dict({"lang": lang, **to_query(filters), **kept})
current.run()
