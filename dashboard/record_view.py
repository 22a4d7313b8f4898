"""The explorer's record view: one participation in full, and the analyst's correction of its theme
or sentiment.

Every value a participant wrote is shown as plain text (``st.text`` and table cells), never as
Markdown or HTML. A correction goes to the corrections store beside the warehouse
(etl/corrections.py) with who made it (the login's e-mail; ``local:<user>`` in local mode) and the
value it replaces; the app reads through the store at once (dashboard/db.py), the next ETL run and
the next training use it. Only the analyst role may correct: the form is not drawn for any other,
and ``save`` refuses.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import db, queries
from dashboard.components import show_table
from dashboard.exports import localise_markers
from dashboard.i18n import hijri, isolate, number, percent, t
from dashboard.state import current_role, current_user
from etl import corrections

CORRECTOR_ROLES = ("analyst",)


def _when(ts: object) -> str | None:
    if ts is None or pd.isna(ts):
        return None
    return f"{ts:%Y-%m-%d %H:%M} · {hijri(ts.date())}"


def _source(lang: str, code: object) -> str:
    return t(lang, f"label_source_{code or 'none'}")


def facts(lang: str, row: pd.Series, names: dict[tuple[str, str], str]) -> pd.DataFrame:
    """The record's fields as (field, value) rows, in the interface language."""

    def name(dim: str, code: object) -> str | None:
        return None if code is None or pd.isna(code) else names.get((dim, str(code)), str(code))

    def label(which: str) -> str:  # its name, confidence and source
        return t(
            lang,
            "record_label_value",
            name=name(which, row[which]),
            confidence=percent(row[f"{which}_confidence"]),
            source=_source(lang, row[f"{which}_source"]),
        )

    rules = [str(r) for r in (row["screening_rules"] if row["screening_rules"] is not None else [])]
    campaign = None
    if row["campaign_id"] is not None and not pd.isna(row["campaign_id"]):
        campaign = t(
            lang,
            "record_campaign_value",
            id=row["campaign_id"],
            n=number(int(row["campaign_participations"] or 0), lang),
            senders=number(int(row["campaign_senders"] or 0), lang),
        )
    duplicate = None
    if row["duplicate_of"] is not None and not pd.isna(row["duplicate_of"]):
        duplicate = f"{row['duplicate_of']} ({row['duplicate_kind']})"
    items = [
        ("col_id", row["participation_id"]),
        ("col_channel", name("channel", row["channel"])),
        ("col_tool", name("tool", row["tool"])),
        ("col_region", name("region", row["region"])),
        ("col_language", name("language", row["language"])),
        ("col_submitted", _when(row["submitted_at"])),
        ("col_moderated", _when(row["moderated_at"])),
        ("col_responded", _when(row["responded_at"])),
        ("col_rating", None if pd.isna(row["rating"]) else number(int(row["rating"]), lang)),
        ("col_theme", label("theme")),
        ("col_sentiment", label("sentiment")),
        ("col_status", name("status", row["moderation_status"])),
        ("col_screening_rules", "; ".join(rules) or None),
        ("col_duplicate_of", duplicate),
        ("col_repeated_by", number(int(row["repeated_by"]), lang)),
        ("col_campaign", campaign),
    ]
    return pd.DataFrame(
        {t(lang, "col_field"): [t(lang, k) for k, _ in items], t(lang, "col_value"): [v for _, v in items]}
    )


def save(participation_id: str, label: str, old: str | None, new: str, allowed: list[str]) -> int:
    """Store one correction by this session's analyst; refused for any other role."""
    if current_role() not in CORRECTOR_ROLES or not current_user():
        raise PermissionError("only an analyst may correct a label")
    return corrections.record(db.corrections_path(), participation_id, label, old, new, str(current_user()), allowed)


def show(lang: str, participation_id: str, names: dict[tuple[str, str], str]) -> None:
    """The record view of ``participation_id`` (a message if it is not in the warehouse)."""
    found = queries.record_detail(participation_id)
    if found.empty:
        st.info(t(lang, "record_missing"))
        return
    row = found.iloc[0]
    with st.container(border=True, key="record_view"):
        st.subheader(t(lang, "record_title"))
        # isolated: Arabic keeps its own order (and its punctuation its place) on an English page
        st.text(isolate(localise_markers(row["text_redacted"] or "", lang)))
        show_table(facts(lang, row, names), whole=True, fit=True)
        saved = st.session_state.pop("record_saved", None)
        if saved:
            st.success(t(lang, "record_saved", n=saved), icon=":material/check:")
        if current_role() in CORRECTOR_ROLES:
            _form(lang, row, names)
        past = corrections.history(db.corrections_path(), participation_id)
        if past:
            st.caption(t(lang, "record_history"))
            show_table(
                pd.DataFrame(
                    {
                        t(lang, "col_corrected_at"): [c.corrected_at.replace("T", " ")[:16] for c in past],
                        t(lang, "col_corrected_by"): [c.corrected_by for c in past],
                        t(lang, "col_label"): [t(lang, f"col_{c.label}") for c in past],
                        t(lang, "col_old_value"): [names.get((c.label, c.old_value or ""), c.old_value) for c in past],
                        t(lang, "col_new_value"): [names.get((c.label, c.new_value), c.new_value) for c in past],
                    }
                )
            )


def _form(lang: str, row: pd.Series, names: dict[tuple[str, str], str]) -> None:
    themes = sorted(code for dim, code in names if dim == "theme")
    sentiments = list(corrections.SENTIMENTS)
    pid = str(row["participation_id"])
    choices = {"theme": themes, "sentiment": sentiments}
    with st.form(key="record_correct", border=False):
        st.caption(t(lang, "record_correct_caption"))
        chosen = {}
        for column, (label, codes) in zip(st.columns(2), choices.items()):
            chosen[label] = column.selectbox(
                t(lang, f"col_{label}"),
                codes,
                index=codes.index(row[label]) if row[label] in codes else None,
                format_func=lambda code, label=label: names.get((label, code), code),
                key=f"fix_{label}_{pid}",
            )
        if not st.form_submit_button(t(lang, "record_save"), type="primary"):
            return
    changed = 0
    for label, new in chosen.items():
        old = row[label]
        if new is not None and new != old:
            save(pid, label, None if old is None or pd.isna(old) else str(old), new, choices[label])
            changed += 1
    if not changed:
        st.info(t(lang, "record_unchanged"))
        return
    st.session_state["record_saved"] = changed
    st.rerun()  # the next query reads through the new correction
