"""Every query the app runs: functions that load SQL from dashboard/sql/ and bind parameters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.sqlfiles import load_sql
from dashboard.db import query

SQL_DIR = Path(__file__).parent / "sql"


def headline() -> pd.DataFrame:
    """One row: participations, senders, channels, last run, quarantined rows, build time."""
    return query(load_sql(SQL_DIR, "headline"))


def volume_by_channel(lang: str) -> pd.DataFrame:
    """Participations per channel, with the channel's name in ``lang``."""
    return query(load_sql(SQL_DIR, "volume_by_channel"), (lang,))
