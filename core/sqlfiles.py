"""The one helper that loads SQL from .sql files (named after what they produce)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def load_sql(folder: Path, name: str) -> str:
    """The text of ``folder/name.sql``; cached, since the files do not change while running."""
    path = folder / f"{name}.sql"
    return path.read_text(encoding="utf-8")
