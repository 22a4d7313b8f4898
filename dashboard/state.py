"""The current filters and language of this session, set by app.py's sidebar, and what its browser
says it is."""

from __future__ import annotations

import streamlit as st

from dashboard.filters import Filters


def current_filters() -> Filters:
    return st.session_state.get("filters", Filters())


def current_lang() -> str:
    return st.session_state.get("lang", "ar")


def on_phone() -> bool:
    """Whether this session's browser says it runs on a phone: "Mobi" in its User-Agent, as phones'
    browsers write it (and tablets' do not). Streamlit tells the app nothing of the screen's width."""
    return "Mobi" in st.context.headers.get("User-Agent", "")


def current_role() -> str | None:
    """This session's role, as app.py gave it (None before it has)."""
    return st.session_state.get("role")


def current_user() -> str | None:
    """Who this session is: the login's e-mail, or ``local:<user>`` in single-user local mode."""
    return st.session_state.get("user")
