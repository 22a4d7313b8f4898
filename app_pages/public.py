"""The public summary: the published highlights of a chosen period, from the snapshot only.

Everything here was published by ``python -m etl publish``: suppressed counts stay suppressed
(shown as such, left out of charts), and no participant's text exists in the snapshot at all.
"""

import pandas as pd
import streamlit as st

from core.clock import riyadh_date
from dashboard import charts, snapshot
from dashboard.components import HALF_WIDTH, chart_with_table
from dashboard.i18n import hijri, isolate, number, percent, t
from dashboard.state import current_lang

lang = current_lang()
st.title(t(lang, "public_title"))
found = snapshot.periods()
if not found:
    st.info(t(lang, "public_none"))
    st.stop()

wanted = st.query_params.get("period")
if "public_period" not in st.session_state or st.session_state["public_period"] not in found:
    st.session_state["public_period"] = wanted if wanted in found else next(iter(found))
period = st.selectbox(t(lang, "public_period"), list(found), key="public_period", format_func=isolate)
st.query_params["period"] = period
folder = found[period]
data = snapshot.data(folder)
meta, head = data["metadata"], data["headline"]
published = riyadh_date(meta["published_at"])  # older snapshots stamped it in UTC
st.caption(
    t(
        lang,
        "public_version",
        version=meta["version"],
        published=isolate(published.isoformat()),
        hijri=isolate(hijri(published)),
        first=isolate(meta["first_day"]),
        last=isolate(meta["last_day"]),
    )
)


def shown(value: object, kind: str = "count", base: object = -1) -> str:
    """A published figure for people; ``base``: the count a rate rests on (0: nothing to rate)."""
    if base == 0:
        return "—"
    if value is None or value != value:  # None, or NaN once in a float column
        return t(lang, "suppressed")
    if kind == "share":
        return percent(value)
    if kind == "mean":
        return f"{value:.1f}"
    return number(value, lang)


figures = [
    ("metric_participations", shown(head["participations"])),
    ("metric_share_answered", shown(head["share_answered"], "share")),
    ("col_average_rating", shown(head["mean_rating"], "mean")),
    ("metric_share_removed", shown(head["share_removed"], "share")),
    ("public_actions_completed", number(head["actions_completed"], lang)),
]
for row in (figures[:3], figures[3:]):
    for col, (key, value) in zip(st.columns(3), row, strict=False):
        col.metric(t(lang, key), value)
st.caption(meta[f"suppressed_note_{lang}"])

tables = {x["code"]: x for x in data["dictionary"]["tables"]}
name = f"name_{lang}"


def one_way(table: str, value: str, by: str, counted: str) -> None:
    """A published one-way table: bars of the published counts, the full table (suppressed
    marked) a click away. ``by`` and ``counted``: the locale keys of its two columns."""
    rows = pd.DataFrame(data[table])
    title = tables[table][name]
    st.subheader(title)
    plotted = rows[(rows["code"] != "total") & rows[value].notna()].astype({value: "int64"})
    chart = charts.bar(plotted, name, value, t(lang, by), t(lang, counted), title)
    table_df = pd.DataFrame({t(lang, by): rows[name], t(lang, counted): rows[value].map(shown)})
    chart_with_table(
        lang,
        chart if not plotted.empty else None,
        table_df,
        f"pub_{table}",
        f"{table}.csv",
        figures=(t(lang, counted),),
        room=HALF_WIDTH,  # each in one of two columns
    )


left, right = st.columns(2)
with left:
    one_way("volume_by_channel", "participations", "col_channel", "col_participations")
    one_way("volume_by_region", "participations", "col_region", "col_participations")
with right:
    one_way("volume_by_theme", "participations", "col_theme", "col_participations")
    one_way("removals_by_control", "removed", "col_control", "col_removals")

st.subheader(tables["responsiveness_by_channel"][name])
sat = {r["code"]: r for r in data["satisfaction_by_channel"]}
service = pd.DataFrame(
    [
        {
            t(lang, "col_channel"): r[name],
            t(lang, "col_share_answered"): shown(r["share_answered"], "share", r["answerable"]),
            t(lang, "col_median_hours_to_answer"): shown(r["median_hours_to_answer"], "mean", r["answered"]),
            t(lang, "col_average_rating"): shown(
                sat.get(r["code"], {}).get("mean_rating"), "mean", sat.get(r["code"], {}).get("rated")
            ),
        }
        for r in data["responsiveness_by_channel"]
    ]
)
chart_with_table(lang, None, service, "pub_service", "responsiveness.csv", figures=tuple(service.columns[1:]))

if data["poll_results"]:  # one table for every poll: each grid costs the viewer's browser
    st.subheader(tables["poll_results"][name])
    polls = pd.DataFrame(data["poll_results"])
    table = pd.DataFrame(
        {
            t(lang, "col_poll"): polls["poll_id"] + " · " + polls["question"],
            t(lang, "col_answer"): polls[f"answer_{lang}"],
            t(lang, "col_answers"): polls["answers"].map(shown),
        }
    )
    chart_with_table(lang, None, table, "pub_polls", "poll_results.csv", figures=(t(lang, "col_answers"),))

st.subheader(t(lang, "you_said_we_did"))
if not data["actions"]:
    st.info(t(lang, "no_actions"))
cols = st.columns(2)
for i, action in enumerate(data["actions"]):
    with cols[i % 2].container(border=True):
        st.text(action[f"title_{lang}"])  # the register's texts: plain text, never Markdown
        st.caption(
            t(lang, "public_action_meta", theme=action[f"theme_{lang}"], status=t(lang, f"action_{action['status']}"))
        )
        st.text(action[f"description_{lang}"] or "")

st.subheader(t(lang, "public_downloads"))
downloads = st.columns(3)
for col, (kind, mime) in zip(
    downloads, (("json", "application/json"), ("csv", "application/zip"), ("pdf", "application/pdf")), strict=True
):
    path = folder / snapshot.FILES[kind]
    col.download_button(
        t(lang, f"public_download_{kind}"),
        snapshot.file_bytes(str(path)),
        file_name=f"eparticipation_{period}_v{meta['version']}_{path.name}",
        mime=mime,
        key=f"pub_dl_{kind}",
        width="stretch",
    )
