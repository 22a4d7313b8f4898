"""Overview (executives): headline figures against the previous period, the weekly trend, and
what changed most, with a guard against noise on small numbers."""

import streamlit as st

from dashboard import analysis, charts, queries
from dashboard.components import chart_weeks, chart_with_table, page_start, show_table
from dashboard.i18n import headers, hijri, number, percent, t

lang, filters = page_start("overview_title")
now = queries.kpis(filters).iloc[0]

previous = filters.previous()
before = queries.kpis(previous).iloc[0] if previous else None
if filters.start and previous:
    st.caption(
        t(
            lang,
            "period_caption",
            start=filters.start,
            end=filters.end,
            start_hijri=hijri(filters.start),
            end_hijri=hijri(filters.end),
            prev_start=previous.start,
            prev_end=previous.end,
        )
    )
if not now.participations:
    st.info(t(lang, "empty_filtered"))
    st.stop()

done_now = int(queries.actions_completed(filters).iloc[0, 0])
done_before = int(queries.actions_completed(previous).iloc[0, 0]) if previous else None


def figure(col, key: str, value: str, change: float | None, fmt: str = "{:+,.0f}", inverse: bool = False) -> None:
    col.metric(
        t(lang, f"metric_{key}"),
        value,
        None if change is None else fmt.format(change),
        help=t(lang, f"metric_{key}_help"),
        delta_color="inverse" if inverse else "normal",
    )


b = before if before is not None else {}
row1 = st.columns(4)
figure(
    row1[0],
    "participations",
    number(now.participations, lang),
    analysis.delta(now.participations, b.get("participations")),
)
figure(row1[1], "senders", number(now.senders, lang), analysis.delta(now.senders, b.get("senders")))
figure(
    row1[2],
    "share_answered",
    percent(now.share_answered),
    analysis.delta(now.share_answered, b.get("share_answered")),
    "{:+.1%}",
)
figure(
    row1[3],
    "median_hours",
    f"{now.median_hours_to_answer:,.1f}" if now.median_hours_to_answer == now.median_hours_to_answer else "—",
    analysis.delta(now.median_hours_to_answer, b.get("median_hours_to_answer")),
    "{:+,.1f}",
    inverse=True,
)
row2 = st.columns(4)
figure(
    row2[0],
    "average_rating",
    f"{now.average_rating:.2f}" if now.average_rating == now.average_rating else "—",
    analysis.delta(now.average_rating, b.get("average_rating")),
    "{:+.2f}",
)
figure(
    row2[1],
    "share_removed",
    percent(now.share_removed),
    analysis.delta(now.share_removed, b.get("share_removed")),
    "{:+.1%}",
    inverse=True,
)
figure(row2[2], "actions_completed", number(done_now, lang), analysis.delta(done_now, done_before))

st.subheader(t(lang, "weekly_trend"))
weekly = queries.weekly_volume(filters)
whole = chart_weeks(lang, weekly, filters)
chart_with_table(
    lang,
    charts.line(
        whole, "week", "participations", t(lang, "col_week"), t(lang, "col_participations"), t(lang, "weekly_trend")
    ),
    weekly.pipe(headers, lang),
    "weekly",
    "participations_per_week.csv",
)

st.subheader(t(lang, "what_changed"))
st.caption(t(lang, "what_changed_caption"))
if previous:
    changed = analysis.what_changed(queries.changes(lang, filters, previous))
    if changed.empty:
        st.info(t(lang, "no_changes"))
    else:
        table = changed.assign(dimension=changed["dimension"].map(lambda d: t(lang, f"dim_{d}")))[
            ["dimension", "name", "now", "before", "change", "change_pct"]
        ].rename(
            columns={
                "dimension": t(lang, "col_dimension"),
                "name": t(lang, "col_name"),
                "now": t(lang, "col_now"),
                "before": t(lang, "col_before"),
                "change": t(lang, "col_change"),
                "change_pct": "%",
            }
        )
        show_table(table, percent=("%",))
