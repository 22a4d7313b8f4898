"""Chart builders: pure functions from a DataFrame and labels to an ``alt.Chart`` (no ``st.*``).

Charts stay left-to-right; category labels are isolated (see ``i18n.isolate``) so Arabic names and
digits read in their own order. Each chart carries a text description for assistive technology.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.i18n import isolate


def bar(
    df: pd.DataFrame, category: str, value: str, category_title: str, value_title: str, description: str
) -> alt.Chart:
    """Horizontal bars, largest first."""
    data = df.assign(**{category: df[category].map(isolate)})
    return (
        alt.Chart(data, description=description)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=category_title, axis=alt.Axis(labelLimit=320)),
            x=alt.X(f"{value}:Q", title=value_title),
            tooltip=[
                alt.Tooltip(f"{category}:N", title=category_title),
                alt.Tooltip(f"{value}:Q", title=value_title, format=","),
            ],
        )
        .properties(height=alt.Step(28))
    )
