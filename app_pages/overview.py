"""Overview (executives): headline figures and volume by channel. A first version of the page."""

import streamlit as st

from dashboard import charts, queries
from dashboard.db import WarehouseMissing, warehouse_path
from dashboard.i18n import number, t

lang = st.session_state.get("lang", "ar")
st.title(t(lang, "overview_title"))

try:
    head = queries.headline()
except WarehouseMissing:
    st.info(t(lang, "warehouse_missing", path=warehouse_path()))
    st.stop()

if head.empty or not head.at[0, "participations"]:
    st.info(t(lang, "empty"))
    st.stop()

row = head.iloc[0]
st.caption(t(lang, "overview_caption", first=f"{row.first_at:%Y-%m-%d}", last=f"{row.last_at:%Y-%m-%d}"))
cols = st.columns(4)
cols[0].metric(t(lang, "metric_participations"), number(row.participations, lang))
cols[1].metric(t(lang, "metric_senders"), number(row.senders, lang))
cols[2].metric(t(lang, "metric_channels"), number(row.channels, lang))
cols[3].metric(t(lang, "metric_quarantined"), number(row.rows_quarantined, lang))

st.subheader(t(lang, "volume_by_channel"))
df = queries.volume_by_channel(lang)
st.altair_chart(
    charts.bar(
        df,
        "channel_name",
        "participations",
        t(lang, "col_channel"),
        t(lang, "col_participations"),
        t(lang, "volume_by_channel"),
    ),
    width="stretch",
)
table = df[["channel_name", "participations"]].rename(
    columns={"channel_name": t(lang, "col_channel"), "participations": t(lang, "col_participations")}
)
with st.expander(t(lang, "show_table")):
    st.dataframe(table, hide_index=True)
st.download_button(
    t(lang, "download_csv"),
    table.to_csv(index=False).encode("utf-8-sig"),
    file_name="participations_by_channel.csv",
    mime="text/csv",
)

st.caption(t(lang, "warehouse_built", version=int(row.run_id), built=f"{row.built_at:%Y-%m-%d %H:%M}"))
st.caption(t(lang, "placeholder_note"))
