"""Every setting of the project, declared once: name, default and help text.

Settings are read from the environment (``export WAREHOUSE_PATH=...``). Paths are relative to the
project root unless absolute. The README documents each of them, and a test checks that it does.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "WAREHOUSE_PATH",
        "data/warehouse/eparticipation.duckdb",
        "The DuckDB warehouse the ETL builds and the internal app reads (read-only).",
    ),
    Setting(
        "LANDING_DIR",
        "data/landing/demo",
        "The landing zone: raw channel exports, never modified. `make run` generates demo exports "
        "here when the warehouse is missing.",
    ),
    Setting(
        "SOURCES_PATH",
        "data/sources.yaml",
        "The source mappings: how each export format becomes the canonical participation record.",
    ),
    Setting(
        "REFERENCE_DIR",
        "data/reference",
        "Reference tables (channels, tools, controls, regions, themes, ...) as CSV, editable by analysts.",
    ),
    Setting(
        "SALT_PATH",
        "data/secrets/sender_salt",
        "File holding the secret salt for sender hashes; generated on first run, never committed.",
    ),
    Setting(
        "ETL_THREADS",
        "0",
        "DuckDB threads and worker processes for the rules written in Python; 0: every core, 1: none.",
    ),
    Setting(
        "ETL_MEMORY_LIMIT",
        "2GB",
        "DuckDB memory limit for the ETL; larger work spills to a temporary directory.",
    ),
    Setting(
        "CAMPAIGN_MIN_SENDERS",
        "10",
        "A campaign: at least this many different senders sending near-identical text ...",
    ),
    Setting(
        "CAMPAIGN_WINDOW_HOURS",
        "72",
        "... with no gap longer than this between two of them (and a week at most in all).",
    ),
    Setting(
        "DEFAULT_PERIOD_DAYS",
        "90",
        "The period the internal app opens on: this many days up to the newest participation. The ETL "
        "stores the figures that do not add up (senders, medians) for it and for the period before it.",
    ),
    Setting(
        "DEMO_ROWS",
        "50000",
        "How many demo records `make run` generates when there is no warehouse yet.",
    ),
    Setting(
        "PUBLIC_SNAPSHOT_PATH",
        "data/public",
        "Published snapshots (`python -m etl publish`), one folder per period and version. The public "
        "page reads only these; in public mode it is the only data the app can open.",
    ),
    Setting(
        "PUBLISH_THRESHOLD",
        "10",
        "Smallest count published: counts from 1 to one less are suppressed, with complementary "
        "suppression so totals cannot reveal them.",
    ),
    Setting(
        "DASHBOARD_MODE",
        "internal",
        "`internal` (default): the internal pages, by role. `public`: the public page only, reading "
        "PUBLIC_SNAPSHOT_PATH; the warehouse is not opened at all.",
    ),
    Setting(
        "ROLES_PATH",
        "data/secrets/roles.yaml",
        "With login configured (`[auth]` in .streamlit/secrets.toml): who has which role, by e-mail "
        "or @domain (see data/roles.example.yaml). Not committed.",
    ),
    Setting(
        "APP_PORT",
        "8501",
        "Port the app listens on (always bound to 127.0.0.1 in internal mode).",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The setting's value from the environment, or its default."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting {name!r}; declare it in core/settings.py")
    return os.environ.get(name, _BY_NAME[name].default)


def path(name: str) -> Path:
    """A path setting, resolved against the project root when relative."""
    p = Path(get(name)).expanduser()
    return p if p.is_absolute() else ROOT / p


def sender_salt() -> str:
    """The secret salt for sender hashes, created (0600) on first use."""
    p = path("SALT_PATH")
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    salt = p.read_text().strip()
    if len(salt) < 16:
        raise ValueError(f"{p}: the sender salt is too short; delete the file to generate a new one")
    return salt
