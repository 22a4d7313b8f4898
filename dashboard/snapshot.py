"""Read-only access to the published snapshots (PUBLIC_SNAPSHOT_PATH): the only data the public
page and public mode ever open. Layout: ``ROOT/PERIOD/vN/`` as written by ``etl.publish``."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from core import settings

FILES = {"json": "data.json", "csv": "open_data_csv.zip", "pdf": "report.pdf"}


def root() -> Path:
    return settings.path("PUBLIC_SNAPSHOT_PATH")


def _latest(period_dir: Path) -> Path | None:
    found = [p for p in period_dir.glob("v*") if p.name[1:].isdigit() and (p / "data.json").is_file()]
    return max(found, key=lambda p: int(p.name[1:])) if found else None


def periods() -> dict[str, Path]:
    """Each published period's latest version, latest period first."""
    base = root()
    if not base.is_dir():
        return {}
    found = {d.name: v for d in base.iterdir() if d.is_dir() and not d.name.startswith(".") and (v := _latest(d))}
    order = sorted(found, key=lambda p: (_meta(found[p]).get("last_day", ""), p), reverse=True)
    return {p: found[p] for p in order}


def _meta(version_dir: Path) -> dict:
    return load(str(version_dir / FILES["json"]), (version_dir / FILES["json"]).stat().st_mtime_ns)["metadata"]


@st.cache_data(max_entries=32, show_spinner=False)
def load(path: str, mtime_ns: int) -> dict:
    del mtime_ns  # part of the cache key: a new version is a new path anyway
    return json.loads(Path(path).read_text(encoding="utf-8"))


def data(version_dir: Path) -> dict:
    p = version_dir / FILES["json"]
    return load(str(p), p.stat().st_mtime_ns)


@st.cache_data(max_entries=32, show_spinner=False)
def file_bytes(path: str) -> bytes:
    return Path(path).read_bytes()
