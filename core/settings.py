"""Every setting of the project, declared once in one typed model: name, type, bounds, default, help.

Settings are read from the environment (``export WAREHOUSE_PATH=...``). Paths are relative to the
project root unless absolute. The README's settings table is generated from this model
(``python -m core.settings --readme``) and a test checks that the two agree.

A wrong value is a ``SettingError``: one line naming the setting, its value and what it takes. Every
command turns it into exit code 2 (``python -m core.settings`` checks them all, as ``make run`` and
``make public-app`` do before the app starts).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# DuckDB's memory_limit: a number and a unit (2GB, 512MiB, 1.5 GB).
MEMORY = r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B|bytes)\s*$"
_UNITS = {"B": 1, "bytes": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_UNITS.update({"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4})


def memory_bytes(size: str) -> int:
    """A size as MEMORY reads it (2GB, 512MiB, 1.5 GB), in bytes, as DuckDB counts them."""
    number, unit = re.match(MEMORY, size).groups()
    return int(float(number) * _UNITS[unit])


# Days from a week's first day to the next Monday (DuckDB's weeks start on Monday).
WEEK_SHIFTS = {"monday": 0, "sunday": 1, "saturday": 2}


def _word(value: object) -> object:
    """Choices are read without regard to case or surrounding blanks (``Public `` is ``public``)."""
    return value.strip().lower() if isinstance(value, str) else value


Choice = BeforeValidator(_word)


def _no_password(value: str) -> str:
    """A catalog's password in WAREHOUSE_URL would be in every process list and log: refused."""
    from core.warehouse import PASSWORD, URI_PASSWORD

    if PASSWORD.search(value) or URI_PASSWORD.search(value):
        raise ValueError("no password in WAREHOUSE_URL")
    return value


class Settings(BaseSettings):
    """The settings, as the environment gives them; each field's description is the README's text."""

    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True)

    WAREHOUSE_PATH: str = Field(
        "data/warehouse/eparticipation.duckdb",
        min_length=1,
        description="the warehouse the ETL builds and the app reads (read-only)",
    )
    WAREHOUSE_URL: Annotated[str, AfterValidator(_no_password)] = Field(
        "",
        pattern=r"^(ducklake:(postgres:|sqlite:)?\S.*)?$",
        description="empty: the warehouse is the DuckDB file at `WAREHOUSE_PATH` (the default); "
        "`ducklake:postgres:dbname=... host=...`, `ducklake:sqlite:PATH` or `ducklake:PATH`: a DuckLake whose catalog "
        "is in that database, shared by several app servers and ETL writers (README: The DuckLake warehouse); "
        "no password in it: PostgreSQL's comes from `PGPASSWORD` or `PGPASSFILE`",
    )
    WAREHOUSE_DATA_PATH: str = Field(
        "data/lake",
        min_length=1,
        description="with a DuckLake: the folder of its Parquet files, where the ETL writes a new lake (a lake "
        "remembers its own; readers need only `WAREHOUSE_URL`)",
    )
    WAREHOUSE_READ_COPY: bool = Field(
        True,
        description="with a DuckLake: the app keeps a DuckDB copy of the latest snapshot beside `WAREHOUSE_PATH`, "
        "brought forward by the lake's change feed after each commit, and reads the pages from it at a file's "
        "speed (it reads the lake until the copy is ready); `false`: the pages always read the lake's files",
    )
    LANDING_DIR: str = Field(
        "data/landing/demo",
        min_length=1,
        description="the landing zone of raw exports; `make run` generates demo exports here",
    )
    SOURCES_PATH: str = Field("data/sources.yaml", min_length=1, description="the source mappings")
    REFERENCE_DIR: str = Field(
        "data/reference", min_length=1, description="reference tables (CSV), editable by analysts"
    )
    SENTIMENT_MODEL_PATH: str = Field(
        "data/model/sentiment.npz",
        min_length=1,
        description="the sentiment model (`python -m etl.train`, docs/model_card.md); a missing or damaged "
        "file stops the ETL",
    )
    CORRECTIONS_PATH: str = Field(
        "",
        description="the analysts' corrections of themes and sentiment (a small SQLite file the app writes); "
        "empty: beside the warehouse, as `<WAREHOUSE_PATH>.corrections.sqlite`",
    )
    SALT_PATH: str = Field(
        "data/secrets/sender_salt",
        min_length=1,
        description="secret salt for sender hashes; generated (mode 0600) on first run, git-ignored",
    )
    ETL_THREADS: int = Field(
        0,
        ge=0,
        le=1024,
        description="DuckDB threads and rule worker processes for the ETL (0: all cores; 1: no worker processes)",
    )
    ETL_MEMORY_LIMIT: str = Field(
        "2GB",
        pattern=MEMORY,
        description="DuckDB memory limit for the ETL (a number and a unit: 2GB, 512MiB); more spills to a "
        "temporary folder beside the new warehouse, deleted at the end",
    )
    CAMPAIGN_MIN_SENDERS: int = Field(
        10, ge=2, le=1_000_000, description="a campaign: at least this many senders with near-identical text ..."
    )
    CAMPAIGN_WINDOW_HOURS: int = Field(
        72,
        ge=1,
        le=168,
        description="... no gap longer than this between two of them, a week at most, and most of that text's volume",
    )
    DEFAULT_PERIOD_DAYS: int = Field(
        90,
        ge=1,
        le=3660,
        description="the period the app opens on (days up to the newest participation); the ETL stores its "
        "senders and medians in `mart_window`",
    )
    WEEK_START: Annotated[Literal["sunday", "monday", "saturday"], Choice] = Field(
        "sunday",
        description="the first day of a week in every weekly figure, chart, table and export (the Saudi "
        "working week starts on Sunday); a week is labelled by its first day",
    )
    DEMO_ROWS: int = Field(50000, ge=1, le=100_000_000, description="records `make run` generates for the demo")
    APP_PORT: int = Field(8501, ge=1, le=65535, description="the app's port (bound to 127.0.0.1)")
    PUBLIC_SNAPSHOT_PATH: str = Field(
        "data/public",
        min_length=1,
        description="published snapshots, one folder per period and version; the public page reads only these",
    )
    PUBLIC_SITE_URL: str = Field(
        "http://127.0.0.1:8600/",
        pattern=r"^https?://[^\s/]+(/[^\s]*)?/$",
        description="the address the static site is served from, ending in /: the sitemap, robots.txt, the feed "
        "and the links between languages are absolute, as search engines need (the default is `make public`)",
    )
    PUBLISH_THRESHOLD: int = Field(
        10,
        ge=2,
        le=1000,
        description="smallest count published: 1 to one less are suppressed, with complementary suppression",
    )
    DASHBOARD_MODE: Annotated[Literal["internal", "public"], Choice] = Field(
        "internal",
        description="`internal`: pages by role; `public`: the public page only, no warehouse configured or opened",
    )
    ROLES_PATH: str = Field(
        "data/secrets/roles.yaml",
        min_length=1,
        description="with login configured, who has which role by e-mail or @domain (example: "
        "`data/roles.example.yaml`); a role needs the provider's `email_verified`",
    )


class SettingError(ValueError):
    """A setting has a value it cannot take; the message is one line naming it."""

    exit_code = 2


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = tuple(
    Setting(name, str(field.default), field.description or "") for name, field in Settings.model_fields.items()
)
_BY_NAME = {s.name: s for s in SETTINGS}


def _bounds(name: str) -> str:
    """What a setting takes, in words: its type and bounds, or its choices."""
    field = Settings.model_fields[name]
    if field.annotation is int:
        lo = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
        hi = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
        return f"a whole number from {lo:,} to {hi:,}"
    args = getattr(field.annotation, "__args__", ())
    if args and all(isinstance(a, str) for a in getattr(args[0], "__args__", args)):
        choices = getattr(args[0], "__args__", args)
        return "one of " + ", ".join(choices)
    if name == "ETL_MEMORY_LIMIT":
        return "a size such as 2GB or 512MiB"
    if name == "WAREHOUSE_URL":
        return (
            "empty (the file), or ducklake: and its catalog (postgres:DSN, sqlite:PATH or a DuckDB PATH), "
            "with no password in it (PGPASSWORD or PGPASSFILE hold PostgreSQL's)"
        )
    if name == "PUBLIC_SITE_URL":
        return "an http(s) address ending in /, such as https://participation.example.gov.sa/"
    if not field.default:
        return "a path, or empty"
    return "a non-empty path"


def _error(exc: ValidationError) -> SettingError:
    """One line for every wrong setting: name, value, what it takes."""
    parts = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        value = err["input"]
        if name == "WAREHOUSE_URL" and isinstance(value, str):  # a password typed into it is never echoed
            from core.warehouse import shown

            value = shown(value)
        parts.append(f"{name}={value!r} is not valid: use {_bounds(name)}" if name in _BY_NAME else err["msg"])
    return SettingError("; ".join(parts) + " (the settings are listed in README.md)")


@lru_cache(maxsize=8)
def _load(environ: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings(**dict(environ))
    except ValidationError as exc:
        raise _error(exc) from None


def current() -> Settings:
    """Every setting, checked, from the environment as it is now."""
    return _load(tuple((s.name, os.environ[s.name]) for s in SETTINGS if s.name in os.environ))


def get(name: str) -> object:
    """The setting's value (typed: ``int`` for numbers) from the environment, or its default."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown setting {name!r}; declare it in core/settings.py")
    return getattr(current(), name)


def path(name: str) -> Path:
    """A path setting, resolved against the project root when relative."""
    p = Path(str(get(name))).expanduser()
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


def readme_table() -> str:
    """The README's settings table, from the model."""
    rows = ["| setting | default | takes | what it is |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | `{s.default}` | {_bounds(s.name)} | {s.help} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m core.settings``: check every setting (exit 2 and one line when one is wrong);
    ``--readme`` prints the README's table."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--readme"]:
        print(readme_table())
        return 0
    try:
        current()
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
