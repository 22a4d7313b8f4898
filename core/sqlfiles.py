"""The one helper that loads SQL from .sql files (named after what they produce), and the one that
quotes an identifier that comes from a file rather than from the code."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def load_sql(folder: Path, name: str) -> str:
    """The text of ``folder/name.sql``; cached, since the files do not change while running."""
    path = folder / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def quote_identifier(name: str) -> str:
    """``name`` as a SQL identifier, double-quoted with its own quotes doubled (SQL's rule), so a
    column header from a CSV can never end the identifier and run as SQL."""
    if not name or "\x00" in name:
        raise ValueError("an identifier must be a non-empty name without NUL characters")
    return '"' + name.replace('"', '""') + '"'
