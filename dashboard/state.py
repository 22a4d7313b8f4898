"""The current filters and language of this session, set by app.py's sidebar."""

from __future__ import annotations

import streamlit as st

from dashboard.filters import Filters


def current_filters() -> Filters:
    return st.session_state.get("filters", Filters())


def current_lang() -> str:
    return st.session_state.get("lang", "ar")
