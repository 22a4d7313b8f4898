"""Settings are declared once, and the README documents each of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core import settings
from etl.errors import ConfigError
from etl.sources import load_sources
from tests.conftest import ROOT


def test_readme_table_is_the_model() -> None:
    """The README's settings table is the one the model generates: same names, defaults, bounds, help."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.readme_table() in readme
    assert all(f"| `{s.name}` |" in readme for s in settings.SETTINGS)


def test_memory_sizes_read_as_duckdb_counts_them() -> None:
    assert settings.memory_bytes("2GB") == 2 * 10**9
    assert settings.memory_bytes(" 1.5 GB ") == 1_500_000_000
    assert settings.memory_bytes("512MiB") == 512 * 1024**2
    assert settings.memory_bytes("100 bytes") == 100


def test_environment_overrides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "x.duckdb"))
    assert settings.path("WAREHOUSE_PATH") == tmp_path / "x.duckdb"
    monkeypatch.delenv("WAREHOUSE_PATH")
    assert settings.path("WAREHOUSE_PATH") == ROOT / "data/warehouse/eparticipation.duckdb"
    with pytest.raises(KeyError):
        settings.get("NOT_A_SETTING")


def test_salt_is_generated_once_and_private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SALT_PATH", str(tmp_path / "s" / "salt"))
    first = settings.sender_salt()
    assert len(first) >= 32 and settings.sender_salt() == first
    assert oct((tmp_path / "s" / "salt").stat().st_mode)[-3:] == "600"


def test_salt_is_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text()
    assert "data/secrets/" in ignored


# -- every configuration mistake: one line naming it, exit code 2, from every command ----------------
MISTAKES = [
    ("ETL_THREADS", "abc"),
    ("ETL_MEMORY_LIMIT", "lots"),
    ("CAMPAIGN_MIN_SENDERS", "-3"),
    ("DEMO_ROWS", "abc"),
    ("WEEK_START", "friday-ish"),
    ("PUBLISH_THRESHOLD", "1"),
    ("DASHBOARD_MODE", "everything"),
]
COMMANDS = [
    ["run", "nowhere"],
    ["check", "--warehouse", "none.duckdb"],
    ["publish", "--period", "2026-Q2", "--warehouse", "none.duckdb"],
    ["generate", "--out", "gen", "--quiet"],
]


@pytest.mark.parametrize(("name", "value"), MISTAKES)
def test_a_wrong_setting_stops_every_command_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys, name: str, value: str
) -> None:
    from etl.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    for command in COMMANDS:
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"error: {name}={value!r} is not valid: use "), err
        assert "Traceback" not in err
    assert not (tmp_path / "gen").exists()  # nothing was done
    proc = subprocess.run(
        [sys.executable, "-m", "core.settings"],
        env={**os.environ, name: value},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and name in proc.stderr


def test_settings_are_typed_and_choices_read_loosely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_THREADS", "3")
    monkeypatch.setenv("WEEK_START", " Monday ")
    monkeypatch.setenv("ETL_MEMORY_LIMIT", "512MiB")
    assert settings.get("ETL_THREADS") == 3 and settings.get("WEEK_START") == "monday"
    assert settings.get("ETL_MEMORY_LIMIT") == "512MiB" and settings.get("WEEK_START") != settings.SETTINGS[0].default


def test_the_app_refuses_a_wrong_setting_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DEFAULT_PERIOD_DAYS", "ninety")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.error[0].value.startswith("DEFAULT_PERIOD_DAYS='ninety' is not valid") and not at.metric


# -- data/sources.yaml: each source is a model that refuses what it does not know --------------------
GOOD = """sources:
  s:
    format: csv
    pattern: "s/*.csv"
    columns: {submitted_at: date, text: comment, region: area}
"""


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (
            "    date_format: ['%d/%m/%Y']",
            "'date_format' is not a setting of a source mapping; did you mean 'date_formats'?",
        ),
        (
            "    values: {regoin: {Riyadh: riyadh}}",
            "values: 'regoin' is not a canonical field of a participation record; did you mean 'region'?",
        ),
        ("    timezone: Mars/Olympus", "timezone: 'Mars/Olympus' is not a time zone name"),
        ("    encoding: klingon", "encoding: 'klingon' is not an encoding"),
        ("    date_formats: ['%Q']", "'%Q' is not a date format DuckDB reads"),
        ("    date_formats: ['dd/mm/yyyy']", "'dd/mm/yyyy' is not a date format"),
        (
            "    constants: {chanel: email}",
            "constants: 'chanel' is not a canonical field of a participation record; did you mean 'channel'?",
        ),
        ("    calendar: julian", "calendar: input should be 'gregorian' or 'hijri'"),
        ("    delimiter: ';;'", "delimiter: String should have at most 1 character"),
        ("    pattern: other/*.csv", "line 6: 'pattern' is written twice in the same mapping"),
    ],
)
def test_a_wrong_source_mapping_is_one_line(tmp_path: Path, capsys, line: str, said: str) -> None:
    from etl.cli import main

    (tmp_path / "in").mkdir()
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    assert load_sources(good)["s"].columns["region"] == ("area",)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(bad)
    assert (f"{bad}: " in str(caught.value) and "source 's'" in str(caught.value)) or "written twice" in said
    assert said in str(caught.value)
    wh = tmp_path / "w.duckdb"
    assert main(["run", str(tmp_path / "in"), "--sources", str(bad), "--warehouse", str(wh)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and said in err and not wh.exists()  # (rich clears its bar first)


# -- reference CSV headers never reach SQL unquoted -----------------------------------------------
@pytest.mark.parametrize(
    "header",
    ['name_en"; drop table ref_tool; --', "name en", "الاسم", ""],
)
def test_a_reference_header_that_is_not_a_name_is_refused(tmp_path: Path, header: str) -> None:
    import shutil

    import duckdb

    from etl import reference
    from tests.conftest import REFERENCE

    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE, ref)
    p = ref / "sentiments.csv"
    rows = p.read_text(encoding="utf-8").splitlines()
    rows[0] = rows[0] + "," + (f'"{header}"' if '"' in header or "," in header else header)
    p.write_text("\n".join(r if i == 0 else r + ",x" for i, r in enumerate(rows)) + "\n", encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(ConfigError, match="is not a name"):
        reference.load(con, ref)
    con.close()


def test_identifiers_are_quoted_by_sql_rules() -> None:
    import duckdb

    from core.sqlfiles import quote_identifier

    con = duckdb.connect()
    odd = 'a"; drop table t; --'
    con.execute("create table t as select 1 as x")
    con.execute(f"create table u as select 2 as {quote_identifier(odd)}")
    assert con.execute("select * from t").fetchall() == [(1,)]
    assert [d[0] for d in con.execute("select * from u").description] == [odd]
    con.close()
    with pytest.raises(ValueError):
        quote_identifier("")


def test_a_lake_url_never_echoes_a_password_and_needs_its_extensions(monkeypatch, capsys, tmp_path) -> None:
    from core.warehouse import lake_available
    from etl.cli import main as etl_main

    monkeypatch.setenv("WAREHOUSE_URL", "ducklake:postgres:dbname=lake host=db password=hunter2-secret")
    assert settings.main([]) == 2
    err = capsys.readouterr().err
    assert "WAREHOUSE_URL" in err and "hunter2" not in err and "PGPASSWORD" in err
    monkeypatch.setenv("WAREHOUSE_URL", "postgres://etl:hunter2-secret@db/lake")
    assert settings.main([]) == 2
    assert "hunter2" not in capsys.readouterr().err

    if lake_available():
        return  # tests/test_lake.py drives the lake in this environment
    monkeypatch.setenv("WAREHOUSE_URL", f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}")
    assert etl_main(["check"]) == 2
    err = capsys.readouterr().err
    assert "make lake" in err and err.count("\n") == 1
