"""The landing zone's manifest (etl_file) and ``python -m etl purge-landing``: only files a
successful run loaded whole, unchanged since and older than the retention period are deleted."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import duckdb
import pytest

from etl.cli import main
from etl.errors import InputFileError
from tests.conftest import etl

DAY = 86400


def _age(path: Path, days: float) -> None:
    t = time.time() - days * DAY
    os.utime(path, (t, t))


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_every_loaded_file_is_in_the_manifest(landing: Path, tmp_path: Path) -> None:
    wh = tmp_path / "w.duckdb"
    result = etl(landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select file, sha256, bytes, rows_read from etl_file where run_id = ?", [result.run_id]
    ).fetchall()
    con.close()
    assert {r[0] for r in rows} == _files(landing)
    for rel, sha, size, read in rows:
        data = (landing / rel).read_bytes()
        assert sha == hashlib.sha256(data).hexdigest() and size == len(data) and read > 0
    assert sum(r[3] for r in rows) == result.totals.rows_read
    etl(landing, wh)  # the manifest is history: carried over from run to run
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(distinct run_id) from etl_file").fetchall()[0][0] == 2
    con.close()


def test_a_file_that_changes_while_it_is_read_is_refused(landing: Path, tmp_path: Path, monkeypatch) -> None:
    from etl import pipeline

    wh = tmp_path / "w.duckdb"
    victim = sorted(p for p in landing.rglob("*.csv"))[0]
    real = pipeline._extract_all

    def extract_then_touch(*args, **kwargs):
        out = real(*args, **kwargs)
        with victim.open("a", encoding="utf-8") as fh:  # the export is still being written
            fh.write("\n")
        return out

    monkeypatch.setattr(pipeline, "_extract_all", extract_then_touch)
    with pytest.raises(InputFileError, match="changed while it was being read"):
        etl(landing, wh)
    assert not wh.exists()


def test_purge_deletes_only_loaded_files_older_than_the_period(landing: Path, tmp_path: Path, capsys) -> None:
    wh = tmp_path / "w.duckdb"
    etl(landing, wh)
    files = sorted(_files(landing))
    old, recent, changed = files[0], files[1], files[2]
    for rel in files:
        _age(landing / rel, 40)
    _age(landing / recent, 5)
    with (landing / changed).open("ab") as fh:  # re-exported since the load: not what was loaded
        fh.write(b"\n")
    _age(landing / changed, 40)
    never = landing / "website" / "late_export.csv"
    never.write_text("not loaded yet", encoding="utf-8")
    _age(never, 40)

    before = _files(landing)
    assert main(["purge-landing", str(landing), "--older-than", "30", "--warehouse", str(wh)]) == 0
    out, err = capsys.readouterr()
    assert _files(landing) == before  # a dry run by default
    assert f"would delete  {old} (" in out and "dry run:" in err and "--yes" in err
    assert f"keep    {recent}: newer than 30 days" in out
    assert f"keep    {changed}: not loaded whole" in out and "keep    website/late_export.csv: not loaded" in out

    assert main(["purge-landing", str(landing), "--older-than", "30", "--warehouse", str(wh), "--yes"]) == 0
    assert _files(landing) == {recent, changed, "website/late_export.csv"}
    assert "deleted " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--older-than", "-1"], "use a number of days"),
        (["--warehouse", "none.duckdb", "--older-than", "30"], "nothing deleted"),
    ],
)
def test_purge_refuses_in_one_line(landing: Path, capsys, args: list[str], said: str) -> None:
    before = _files(landing)
    assert main(["purge-landing", str(landing), *args]) == 2
    assert said in capsys.readouterr().err and _files(landing) == before
