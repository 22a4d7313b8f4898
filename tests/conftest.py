"""Fixtures that run the real generator and ETL into temporary folders."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from etl.generate import generate
from etl.pipeline import RunResult, run

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources.yaml"
REFERENCE = ROOT / "data" / "reference"
SHARED = ROOT.parent / "shared"
SEHHATY = SHARED / "datasets" / "sehhaty_reviews"
END = dt.date(2026, 11, 27)
SALT = "test-salt-0123456789abcdef"

# Each page's title (Arabic, English), as people see it: the browser and AppTest tests check them.
PAGE_TITLES = {
    "overview": ("نظرة عامة على المشاركات", "Participation overview"),
    "channels": ("القنوات والأدوات", "Channels and tools"),
    "moderation": ("الإشراف على المشاركات", "Moderation"),
    "themes": ("الموضوعات", "Themes"),
    "actions": ("إجراءات تحسين الخدمات", "Service-improvement actions"),
    "explorer": ("مستكشف المشاركات", "Explorer"),
    "data_quality": ("جودة البيانات", "Data quality"),
    "public": ("المشاركة الإلكترونية: ماذا سمعنا وماذا فعلنا", "E-participation: what we heard and what we did"),
}


@pytest.fixture(autouse=True)
def keep_main_module() -> Iterator[None]:
    """AppTest runs app.py as ``__main__`` and leaves it installed; a later test's worker processes
    (forkserver) would then run the whole app script on start. Each test gets the real one back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


def etl(input_dir: Path, warehouse: Path, **kw) -> RunResult:
    """The real ETL with the repository's mappings and reference data."""
    return run(input_dir, warehouse, SOURCES, REFERENCE, SALT, **kw)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated exports of every channel, about 3,000 participations."""
    out = tmp_path_factory.mktemp("landing")
    generate(3000, out, seed=11, end=END)
    return out


@pytest.fixture(scope="session")
def built(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RunResult]:
    """A warehouse built by the real ETL from ``demo_dir`` (read it, never write it)."""
    wh = tmp_path_factory.mktemp("warehouse") / "w.duckdb"
    return wh, etl(demo_dir, wh)


@pytest.fixture
def landing(tmp_path: Path, demo_dir: Path) -> Path:
    """A private, writable copy of the demo exports."""
    dst = tmp_path / "landing"
    shutil.copytree(demo_dir, dst)
    return dst


def older_warehouse(wh: Path, folder: Path, table: str, *columns: str) -> Path:
    """A copy of ``wh`` as an earlier version built it: ``table`` without ``columns``."""
    import duckdb

    old = folder / "old.duckdb"
    old.write_bytes(wh.read_bytes())
    con = duckdb.connect(str(old))
    for column in columns:
        con.execute(f"alter table {table} drop column {column}")
    con.close()
    return old


def open_page(page: str, **params: str):
    """The app through Streamlit's AppTest with ``params`` in its URL, switched to ``page`` (a path
    under app_pages/), with no exception shown."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page != "app_pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception[0].value if at.exception else ""
    return at
