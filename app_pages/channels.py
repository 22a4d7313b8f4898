"""Channels and tools: volume by channel over time; by tool, region and beneficiary type; rating,
answers and time to answer per channel; freshness (a channel that went quiet is flagged)."""

import streamlit as st

from dashboard import charts, queries
from dashboard.components import FULL_WIDTH, HALF_WIDTH, chart_weeks, chart_with_table, page_start
from dashboard.i18n import headers, t

QUIET_DAYS = 7

lang, filters = page_start("channels_title")
weekly = queries.by_channel_over_time(lang, filters)

st.subheader(t(lang, "channel_over_time"))
whole = chart_weeks(lang, weekly, filters)
chart_with_table(
    lang,
    charts.stacked_bar(
        whole,
        "week",
        "participations",
        "channel",
        t(lang, "col_week"),
        t(lang, "col_participations"),
        t(lang, "col_channel"),
        t(lang, "channel_over_time"),
    ),
    weekly.pipe(headers, lang),
    "channel_weekly",
    "participations_per_channel_week.csv",
)


def by(dim: str, room: int = FULL_WIDTH) -> None:
    st.subheader(t(lang, f"by_{dim}"))
    df = queries.by_dimension(lang, dim, filters)
    df = df.assign(name=df["name"].fillna(t(lang, "not_given")))
    chart_with_table(
        lang,
        charts.bar(
            df, "name", "participations", t(lang, f"col_{dim}"), t(lang, "col_participations"), t(lang, f"by_{dim}")
        ),
        df.rename(columns={"name": t(lang, f"col_{dim}"), "participations": t(lang, "col_participations")}),
        f"by_{dim}",
        f"participations_by_{dim}.csv",
        room=room,
    )


by("tool")
left, right = st.columns(2)
with left:
    by("region", HALF_WIDTH)
with right:
    by("beneficiary_type", HALF_WIDTH)

st.subheader(t(lang, "channel_service"))
st.caption(t(lang, "channel_service_caption", days=QUIET_DAYS))
service = queries.channel_service(lang, filters, QUIET_DAYS)
quiet = service.loc[service["quiet"], "channel"] if not service.empty else []
if len(quiet):
    st.warning(t(lang, "quiet_channels", names=("، " if lang == "ar" else ", ").join(quiet)))
chart_with_table(
    lang,
    None,
    service.pipe(headers, lang),
    "service",
    "service_per_channel.csv",
    percent=(t(lang, "col_share_answered"),),
    hours=(t(lang, "col_median_hours_to_answer"),),
    ratings=(t(lang, "col_average_rating"),),
)
