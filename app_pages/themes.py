"""Themes: distribution and trend; sentiment per theme; emerging themes (a spike against the
theme's own baseline); where the theme and sentiment labels come from (rules, analysts, rating,
model); coordinated campaigns; a sample of redacted texts, shown as plain text."""

import streamlit as st

from dashboard import charts, queries
from dashboard.components import HALF_WIDTH, chart_weeks, chart_with_table, page_start, show_table
from dashboard.exports import localise_markers
from dashboard.i18n import headers, named, t

lang, filters = page_start("themes_title")
dist = queries.theme_distribution(lang, filters)

left, right = st.columns(2)
with left:
    st.subheader(t(lang, "theme_distribution"))
    totals = queries.theme_totals(lang, filters)
    chart_with_table(
        lang,
        charts.bar(
            totals,
            "theme",
            "participations",
            t(lang, "col_theme"),
            t(lang, "col_participations"),
            t(lang, "theme_distribution"),
        ),
        totals.pipe(headers, lang),
        "themes",
        "participations_by_theme.csv",
        room=HALF_WIDTH,
    )
with right:
    st.subheader(t(lang, "sentiment_by_theme"))
    chart_with_table(
        lang,
        charts.stacked_bar(
            dist,
            "theme",
            "participations",
            "sentiment",
            t(lang, "col_theme"),
            t(lang, "col_participations"),
            t(lang, "col_sentiment"),
            t(lang, "sentiment_by_theme"),
            palette={
                name: charts.SENTIMENT_COLORS[code] for name, code in zip(dist["sentiment"], dist["sentiment_code"])
            },
        )
        if not dist.empty
        else None,
        dist.drop(columns=["sentiment_code"]).pipe(headers, lang),
        "sentiment",
        "sentiment_by_theme.csv",
        room=HALF_WIDTH,
    )

st.subheader(t(lang, "theme_trend"))
weekly = queries.theme_weekly(lang, filters)
whole = chart_weeks(lang, weekly, filters)
chart_with_table(
    lang,
    charts.line(
        whole,
        "week",
        "participations",
        t(lang, "col_week"),
        t(lang, "col_participations"),
        t(lang, "theme_trend"),
        color="theme",
        color_title=t(lang, "col_theme"),
    ),
    weekly.pipe(headers, lang),
    "theme_weekly",
    "participations_by_theme_week.csv",
)

st.subheader(t(lang, "emerging_themes"))
st.caption(t(lang, "emerging_caption"))
if filters.end:
    emerging = queries.emerging_themes(lang, filters)
    if emerging.empty:
        st.info(t(lang, "no_emerging"))
    else:
        show_table(emerging.pipe(headers, lang))

st.subheader(t(lang, "label_sources"))
st.caption(t(lang, "label_sources_caption"))
sources = queries.label_sources(lang, filters)
if sources.empty:
    st.info(t(lang, "empty_filtered"))
else:
    show_table(
        sources.pipe(headers, lang, source="col_label_source"),
        percent=(t(lang, "col_share"),),
        room=HALF_WIDTH,
    )

st.subheader(t(lang, "campaigns"))
st.caption(t(lang, "campaigns_caption"))
camp = queries.campaigns(lang, filters)
if camp.empty:
    st.info(t(lang, "no_campaigns"))
else:
    show_table(
        camp.assign(sample_text_redacted=camp["sample_text_redacted"].map(lambda x: localise_markers(x, lang))).pipe(
            headers, lang
        ),
        hours=(t(lang, "col_span_hours"),),
    )

st.subheader(t(lang, "theme_samples"))
names = queries.names(lang)
themes = {code: name for (dimension, code), name in names.items() if dimension == "theme"}
chosen = st.selectbox(t(lang, "choose_theme"), list(themes), format_func=themes.get, key="sample_theme")
samples = named(queries.theme_samples(chosen, filters), names, {"sentiment": "sentiment"})
if samples.empty:
    st.info(t(lang, "empty_filtered"))
else:
    # Plain text only: a dataframe cell never renders Markdown or HTML.
    show_table(
        samples.assign(text_redacted=samples["text_redacted"].map(lambda x: localise_markers(x, lang))).pipe(
            headers, lang
        ),
    )
