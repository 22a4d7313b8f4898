"""``python -m etl run`` brings the warehouse up to date and no further: nothing when nothing changed,
a reclassification when only the rules or the analysts' corrections did, a build when exports did;
never a build that would drop the rows of exports purged from the landing zone."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from etl import corrections
from etl.cli import main
from tests.conftest import REFERENCE, SALT


@pytest.fixture
def setup(landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """(landing, warehouse, reference folder): the CLI's settings pointed at private copies."""
    salt = tmp_path / "salt"
    salt.write_text(SALT)
    reference = tmp_path / "reference"
    shutil.copytree(REFERENCE, reference)
    wh = tmp_path / "wh" / "w.duckdb"
    wh.parent.mkdir()
    for name, value in {"SALT_PATH": salt, "REFERENCE_DIR": reference, "WAREHOUSE_PATH": wh}.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("CORRECTIONS_PATH", raising=False)
    return landing, wh, reference


def _runs(wh: Path) -> list[tuple[int, str]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("select run_id, status from etl_run order by run_id").fetchall()
    finally:
        con.close()


def _stamp(wh: Path) -> tuple[int, int]:
    st = os.stat(wh)
    return st.st_ino, st.st_mtime_ns


def test_a_run_does_only_what_changed_needs(setup, capsys) -> None:
    landing, wh, reference = setup
    assert main(["run", str(landing)]) == 0
    assert "building from every export: there is no warehouse yet" in capsys.readouterr().err

    before = _stamp(wh)
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "up to date, nothing to load (the same exports, rules and corrections as run 1)" in capsys.readouterr().err
    assert _stamp(wh) == before and _runs(wh) == [(1, "success")]  # the file was not even replaced

    with (reference / "theme_keywords.csv").open("a", encoding="utf-8") as fh:
        fh.write("usability,خاصية,0.5,a feature\n")
    assert main(["run", str(landing), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "reclassifying the stored text, no export read again" in err and "reclassified" in err
    assert _runs(wh)[-1] == (2, "reclassified")
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "up to date" in capsys.readouterr().err

    # an analyst's correction is a change of labels: the next run applies it without reading exports
    con = duckdb.connect(str(wh), read_only=True)
    pid, sentiment = con.execute(
        "select participation_id, sentiment from participation where sentiment <> 'negative' limit 1"
    ).fetchone()
    con.close()
    corrections.record(corrections.store_path(wh), pid, "sentiment", sentiment, "negative", "a@x.sa", ["negative"])
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "reclassifying" in capsys.readouterr().err and _runs(wh)[-1] == (3, "reclassified")
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute(
        "select sentiment, sentiment_source from participation where participation_id = ?", [pid]
    ).fetchone() == ("negative", "analyst")
    con.close()

    # a re-exported file with changes: a build
    comments = landing / "website" / "comments_export.csv"
    lines = comments.read_bytes().splitlines(keepends=True)  # in the portal's own encoding
    comments.write_bytes(b"".join(lines[:-1]))  # one comment fewer
    assert main(["run", str(landing)]) == 0
    assert "0 new and 1 changed export file(s) since run 1" in capsys.readouterr().err
    assert _runs(wh)[-1] == (4, "success")

    assert main(["run", str(landing), "--full"]) == 0  # --full builds whatever the rest says
    assert "--full asks for a build" in capsys.readouterr().err and _runs(wh)[-1] == (5, "success")


def test_exports_purged_after_loading_keep_their_rows(setup, capsys) -> None:
    landing, wh, _ = setup
    assert main(["run", str(landing), "--quiet"]) == 0
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("select count(*) from participation").fetchone()[0]
    con.close()
    capsys.readouterr()
    reviews = landing / "app_reviews" / "store_reviews.csv"
    kept = reviews.read_bytes()
    reviews.unlink()  # purge-landing deleted it once loaded
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "1 loaded export file(s) are not there any more (purged?), and their rows stay" in capsys.readouterr().err

    # a new export beside the missing one is added to what the warehouse holds: the missing one's rows stay
    new = landing / "website" / "comments_export_2.csv"
    shutil.copyfile(landing / "website" / "comments_export.csv", new)
    assert main(["run", str(landing)]) == 0
    err = capsys.readouterr().err
    assert "adding the new and changed exports only: 1 new and 0 changed export file(s) since run 1" in err
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*) from participation").fetchone()[0] == rows  # the copy repeats every record
    assert con.execute("select count(*) from participation where source = 'app_store_reviews'").fetchone()[0] > 0
    con.close()

    # another salt needs a build from every export, which would drop the missing file's rows: refused
    (landing.parent / "salt").write_text(SALT + "-rotated")
    before = _stamp(wh)
    assert main(["run", str(landing), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "are not there any more (such as app_reviews/store_reviews.csv)" in err
    assert "pass --full to build without them" in err and _stamp(wh) == before

    reviews.write_bytes(kept)  # put back: built from every export
    assert main(["run", str(landing)]) == 0
    assert (
        "building from every export: the source mappings, the salt or the ETL's code changed" in capsys.readouterr().err
    )


def test_a_warehouse_that_does_not_say_what_it_was_built_from_is_built_again(setup, capsys) -> None:
    landing, wh, _ = setup
    assert main(["run", str(landing), "--quiet"]) == 0
    con = duckdb.connect(str(wh))
    con.execute("alter table etl_run drop column load_fingerprint")
    con.execute("alter table etl_run drop column rules_fingerprint")
    con.close()
    capsys.readouterr()
    assert main(["run", str(landing)]) == 0
    assert "the warehouse does not say what it was built from" in capsys.readouterr().err
    assert _runs(wh) == [(1, "success"), (2, "success")]
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "up to date" in capsys.readouterr().err


def test_a_run_hashes_only_the_exports_whose_size_or_time_changed(setup, capsys, monkeypatch) -> None:
    """The plan takes a file of the size and modification time it was loaded with as loaded, and
    hashes every other: a daily run reads the day's exports, not every export ever received. A file
    rewritten to the same size is a changed file (its time moved)."""
    from etl import fingerprint

    landing, _, _ = setup
    assert main(["run", str(landing), "--quiet"]) == 0
    hashed = []
    real = fingerprint.file_sha256
    monkeypatch.setattr(fingerprint, "file_sha256", lambda path: hashed.append(path.name) or real(path))
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "up to date" in capsys.readouterr().err and hashed == []

    comments = landing / "website" / "comments_export.csv"
    data = comments.read_bytes()
    st = comments.stat()
    at = data.rfind(b"@") - 1  # the last digit of the last sender's address, for another
    swapped = data[:at] + (b"1" if data[at : at + 1] != b"1" else b"2") + data[at + 1 :]
    assert swapped != data and len(swapped) == len(data)
    comments.write_bytes(swapped)
    os.utime(comments, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert main(["run", str(landing)]) == 0
    assert "0 new and 1 changed export file(s) since run 1" in capsys.readouterr().err
    assert hashed == ["comments_export.csv"]
