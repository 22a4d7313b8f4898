"""The command line as a user runs it: generate, run (summary table), check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _cli(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SALT_PATH": str(tmp / "salt"), "WAREHOUSE_PATH": str(tmp / "w.duckdb")}
    return subprocess.run(
        [sys.executable, "-m", "etl", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )


def test_generate_run_check(tmp_path: Path) -> None:
    gen = _cli(
        "generate",
        "--rows",
        "500",
        "--out",
        str(tmp_path / "in"),
        "--seed",
        "3",
        "--end-date",
        "2026-11-27",
        "--quiet",
        tmp=tmp_path,
    )
    assert gen.returncode == 0, gen.stderr
    assert "call_center/crm_export_1909_2026.xlsx" in gen.stdout and "rows/s" in gen.stderr

    run = _cli("run", str(tmp_path / "in"), "--quiet", tmp=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "w.duckdb").exists()
    assert "ETL run 1" in run.stdout
    for source in ("call_center_crm", "website_comments", "social_media", "email_inbox", "total"):
        assert source in run.stdout
    # Arabic names come shaped for the terminal: presentation forms, not base letters.
    assert any("\ufe70" <= ch <= "\ufeff" for ch in run.stdout)
    assert "quarantined" in run.stderr and "rows/s" in run.stderr
    assert (tmp_path / "salt").exists() and oct((tmp_path / "salt").stat().st_mode)[-3:] == "600"

    check = _cli("check", tmp=tmp_path)
    assert check.returncode == 0 and " 0 failed" in check.stdout


def test_check_without_warehouse_says_what_to_do(tmp_path: Path) -> None:
    proc = _cli("check", "--warehouse", str(tmp_path / "none.duckdb"), tmp=tmp_path)
    assert proc.returncode == 2
    assert (
        proc.stderr.strip() == f"error: {tmp_path / 'none.duckdb'}: no warehouse there; build one with "
        "`python -m etl run INPUT_DIR`"
    )


def test_a_file_name_that_is_not_utf8_is_named_not_a_crash(tmp_path: Path) -> None:
    """Linux file names may hold any bytes; the path is stored with every row, so such a file stops
    the run with its name (the odd bytes escaped) and what to do, for a full run and for --source."""
    folder = tmp_path / "in" / "canonical"
    folder.mkdir(parents=True)
    header = "source_record_id,channel,tool,submitted_at,text\n"
    os.rename(_write(folder / "ok.csv", header), os.fsencode(folder) + b"/bad\xffname.csv")
    os.rename(_write(folder / "hidden", ""), os.fsencode(folder) + b"/.\xff")  # passed over, as any hidden file
    for extra in ((), ("--source", "canonical")):
        proc = _cli("run", str(tmp_path / "in"), "--quiet", *extra, tmp=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == "error: canonical/bad\\xffname.csv: the file name is not valid UTF-8; rename it"
    assert not (tmp_path / "w.duckdb").exists()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_etl_asks_numpy_for_no_huge_pages_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    """Transparent huge pages cost the clusters more than they gave on these machines: the ETL turns
    numpy's request for them off, unless NUMPY_MADVISE_HUGEPAGE chooses."""
    from numpy._core import multiarray

    from etl import cli

    before = multiarray._set_madvise_hugepage(True)
    try:
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE", raising=False)
        cli.ordinary_pages()
        assert multiarray._set_madvise_hugepage(True) is False
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        cli.ordinary_pages()
        assert multiarray._set_madvise_hugepage(True) is True
    finally:
        multiarray._set_madvise_hugepage(before)
