"""The warehouse as a DuckLake (WAREHOUSE_URL, core/warehouse.py, etl/lake.py): the ETL builds and
appends to it in one transaction per run, the app reads it and follows its snapshots, two writers
at once both land, and a catalog that does not answer is one line.

DuckLake's extensions exist for DuckDB 1.5.5 only: ``make test`` runs this file again in
``.venv-lake`` (requirements-lake.txt), where they are installed; in the default environment
(DuckDB 2.0.1) it skips. The PostgreSQL catalog needs Debian's PostgreSQL (scripts/postgres.py
starts one of its own); without it, those cases skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.warehouse import Warehouse, attach, lake_available, snapshot, tables
from etl.cli import main
from tests.conftest import REFERENCE, ROOT, SALT
from tests.test_delta import _canonical, _differences

pytestmark = pytest.mark.skipif(
    not lake_available(),
    reason=f"DuckLake needs DuckDB 1.5.5 and its extension packages, not {duckdb.__version__}: "
    "`make test` runs this file in .venv-lake (requirements-lake.txt)",
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    from scripts.postgres import postgres_bin, serve

    if postgres_bin() is None:
        pytest.skip("Debian's PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    with serve("lake") as dsn:
        yield dsn


@pytest.fixture(params=["sqlite", "postgres"])
def lake(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """A new, empty lake of each catalog kind, configured as the warehouse (with the test salt)."""
    if request.param == "postgres":
        from scripts.postgres import create_database

        name = "lake_" + "".join(c for c in request.node.name.lower() if c.isalnum())[-40:]
        url = f"ducklake:postgres:{create_database(request.getfixturevalue('postgres'), name)}"
    else:
        url = f"ducklake:sqlite:{tmp_path / 'catalog.sqlite'}"
    for k, v in _lake_env(url, tmp_path).items():
        monkeypatch.setenv(k, v)
    return Warehouse(url=url, data_path=tmp_path / "lake-data")


def _lake_env(url: str, tmp_path: Path) -> dict[str, str]:
    """The settings of a lake at ``url`` with everything else in ``tmp_path`` (and the test salt)."""
    salt = tmp_path / "salt"
    salt.write_text(SALT)
    return {
        "WAREHOUSE_URL": url,
        "WAREHOUSE_DATA_PATH": str(tmp_path / "lake-data"),
        "SALT_PATH": str(salt),
        "REFERENCE_DIR": str(REFERENCE),
        "CORRECTIONS_PATH": str(tmp_path / "corrections.sqlite"),
        "WAREHOUSE_PATH": str(tmp_path / "local" / "w.duckdb"),  # where the ETL keeps its copy of a snapshot
        "DASHBOARD_MODE": "internal",
    }


def _latest(wh: Warehouse) -> int:
    con = duckdb.connect()
    try:
        attach(con, wh, "lake")
        return snapshot(con, "lake")
    finally:
        con.close()


def _delete_files(wh: Warehouse) -> dict[str, int]:
    """Per table of the lake's latest snapshot, how many of its data files have rows deleted."""
    con = duckdb.connect()
    try:
        attach(con, wh, "lake")
        return {
            t: con.execute("select count(delete_file) from ducklake_list_files('lake', ?)", [t]).fetchone()[0]
            for t in tables(con, "lake")
        }
    finally:
        con.close()


def _day2(folder: Path) -> None:
    at = "2026-11-26 10:00:00"
    _canonical(
        folder / "canonical" / "day2.csv",
        [(f"n{i}", at, f"new{i}@example.sa", f"الرجاء تحسين خدمة المواعيد في الفرع رقم {i}") for i in range(40)],
    )


def test_the_etl_builds_and_appends_a_lake_that_holds_what_a_file_holds(
    lake: Warehouse, landing: Path, tmp_path: Path, capsys
) -> None:
    assert main(["run", str(landing), "--quiet"]) == 0
    assert "committed snapshot" in capsys.readouterr().err
    first = _latest(lake)
    kept = list((tmp_path / "local").glob(f".lake-*-{first}.duckdb"))
    assert len(kept) == 1  # the next run here starts from this copy of the snapshot, not from the lake
    file = tmp_path / "file.duckdb"
    assert main(["run", str(landing), "--warehouse", str(file), "--quiet"]) == 0
    assert _differences(lake, file) == {}

    # nothing new: no commit, no new snapshot
    assert main(["run", str(landing)]) == 0
    assert "up to date" in capsys.readouterr().err and _latest(lake) == first

    # a new export: appended, in one new snapshot, as the file appends it
    _day2(landing)
    assert main(["run", str(landing)]) == 0
    err = capsys.readouterr().err
    assert "adding the new and changed exports only" in err and "committed snapshot" in err
    assert _latest(lake) == first + 1
    assert main(["run", str(landing), "--warehouse", str(file), "--quiet"]) == 0
    assert _differences(lake, file) == {}

    # the same checks pass on the lake; the previous snapshot is still there to read
    assert main(["check"]) == 0
    con = duckdb.connect()
    attach(con, lake, "old", snapshot=first)
    assert con.execute("select count(*) from old.participation where source = 'day2'").fetchone()[0] == 0
    con.close()


def test_the_app_reads_the_lake_and_follows_its_new_snapshots(
    lake: Warehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import access, db, queries
    from tests.conftest import open_page

    assert main(["run", str(landing), "--quiet"]) == 0
    monkeypatch.setattr(db, "LAKE_POLL_SECONDS", 0.001)  # ask the catalog at every query
    for page in access.PAGES:
        at = open_page(page.path, lang="en")
        assert not at.exception
    before = db.warehouse_version()
    total = queries.query("select count(*) as n from participation").at[0, "n"]

    # an analyst's correction shows at once over the lake's snapshot, as over a file
    from etl import corrections

    pid, theme = queries.query(
        "select participation_id, theme from participation where theme <> 'usability' limit 1"
    ).iloc[0]
    themes = [t for (t,) in duckdb.sql(f"select code from read_csv('{REFERENCE / 'themes.csv'}')").fetchall()]
    corrections.record(db.corrections_path(), pid, "theme", theme, "usability", "analyst@x.sa", themes)
    fixed = queries.query("select theme, theme_source from participation where participation_id = ?", (pid,))
    assert tuple(fixed.iloc[0]) == ("usability", "analyst")
    _day2(landing)
    assert main(["run", str(landing), "--quiet"]) == 0
    time.sleep(0.01)
    assert db.warehouse_version() != before
    assert queries.query("select count(*) as n from participation").at[0, "n"] == total + 40


def test_the_app_reads_each_snapshot_straight_from_its_parquet_files(lake: Warehouse, landing: Path) -> None:
    """Without the catalog once the snapshot is open (each query would ask it first): the record-level
    tables are views over that snapshot's files, an older snapshot reads its own, and a table with
    deleted rows, which its files alone do not show, is read through the lake."""
    from dashboard.db import LAKE_VERSION, open_warehouse

    assert main(["run", str(landing), "--quiet"]) == 0
    first = _latest(lake)
    _day2(landing)
    assert main(["run", str(landing), "--quiet"]) == 0
    second = _latest(lake)

    def counts(at: int) -> tuple[int, int]:
        con = duckdb.connect()
        attach(con, lake, "lake", snapshot=at)
        return con.execute("select count(*), count(*) filter (source = 'day2') from lake.participation").fetchone()

    for at in (first, second):
        con = open_warehouse(lake, f"{LAKE_VERSION}{at}")
        assert con.execute("select count(*) from duckdb_databases() where type = 'ducklake'").fetchone()[0] == 0
        view = con.execute("select sql from duckdb_views() where view_name = 'participation'").fetchone()[0]
        assert "read_parquet" in view
        got = con.execute("select count(*), count(*) filter (source = 'day2') from warehouse.participation").fetchone()
        assert got == counts(at)
    assert counts(first)[1] == 0 and counts(second)[1] == 40
    files = duckdb.connect()
    attach(files, lake, "lake")
    (path,) = files.execute("select data_file from ducklake_list_files('lake', 'participation') limit 1").fetchone()
    assert files.execute(f"select any_value(compression) from parquet_metadata('{path}')").fetchone()[0] == "ZSTD"
    # newest first (etl.lake.WRITE_ORDER), as the pages read them
    first, newest = files.execute(
        f"select max(submitted_at) filter (file_row_number = 0), max(submitted_at) "
        f"from read_parquet('{path}', file_row_number = true)"
    ).fetchone()
    assert first == newest
    files.close()

    writer = duckdb.connect()
    attach(writer, lake, "lake", read_only=False)
    # the 40 rows of day 2 (a file of their own, which goes) and 5 of the build's (a delete file)
    writer.execute(
        "delete from lake.participation where source = 'day2' or participation_id in "
        "(select participation_id from lake.participation where source <> 'day2' order by 1 limit 5)"
    )
    deleted = snapshot(writer, "lake")
    writer.close()
    con = open_warehouse(lake, f"{LAKE_VERSION}{deleted}")
    assert con.execute("select count(*) from warehouse.participation").fetchone()[0] == counts(second)[0] - 45
    assert (
        "read_parquet"
        not in con.execute("select sql from duckdb_views() where view_name = 'participation'").fetchone()[0]
    )


def test_an_append_commits_only_the_rows_it_changed(
    lake: Warehouse, demo_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Daily appends (a campaign that forms across days, a repeat whose kind changes, a re-exported
    file, a purged one) write to the lake the rows they changed, not every table; the lake then holds
    what the run's own warehouse holds, table by table and row by row, and the app reads it from
    the snapshot: participation, with rows deleted, through the lake; the others from their files."""
    from dashboard.db import LAKE_VERSION, open_warehouse
    from tests.test_delta import _days, _reexport

    monkeypatch.setenv("CAMPAIGN_MIN_SENDERS", "10")
    days = _days(demo_dir, tmp_path)
    landing = tmp_path / "landing"

    def land(k: int) -> None:
        for rel, src in days[k].items():
            (landing / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, landing / rel)

    def append() -> tuple[int, int, int]:
        """Run an append: the participation rows it wrote, those that differ from the snapshot
        before (new or changed), and the rows in all."""
        before = _latest(lake)
        assert main(["run", str(landing)]) == 0
        err = capsys.readouterr().err
        assert "adding the new and changed exports only" in err and "written whole" not in err
        after = _latest(lake)
        (kept,) = (tmp_path / "local").glob(f".lake-*-{after}.duckdb")
        assert _differences(lake, kept, every=True) == {}  # every table, the runs' too
        con = duckdb.connect()
        attach(con, lake, "lake")
        counts = con.execute(
            "select (select count(*) from ducklake_table_insertions('lake', 'main', 'participation', $a, $a)), "
            "(select count(*) from (from lake.participation at (version => $a) "
            "except all from lake.participation at (version => $b))), (select count(*) from lake.participation)",
            {"a": after, "b": before},
        ).fetchone()
        created = con.execute("select changes['tables_created'] from lake.snapshots() where snapshot_id = ?", [after])
        # the record-level tables got rows; the small ones (marts, reference) were made anew
        assert not {"main.participation", "main.text_sketch", "main.record_file"} & set(created.fetchone()[0] or [])
        con.close()
        return counts

    land(0)
    assert main(["run", str(landing), "--quiet"]) == 0
    land(1)
    written, differ, total = append()
    assert 0 < written == differ < total  # the new records and the stored ones relinked: no other
    reexported = next(rel for rel in days[0] if rel.startswith("website/"))
    _reexport(landing / reexported)
    (landing / next(rel for rel in days[0] if rel.startswith("email/"))).unlink()
    land(2)
    written, differ, total = append()
    assert 0 < differ <= written < total  # and the re-exported file's records, changed or not

    deleted = _delete_files(lake)
    con = duckdb.connect()
    attach(con, lake, "lake")
    expected = con.execute(
        "select count(*), count(distinct campaign_id), sum(len(screening_rules)) from lake.participation"
    ).fetchone()
    con.close()
    assert deleted["participation"]  # the stored records relinked and replaced: rows deleted in the build's files
    app = open_warehouse(lake, f"{LAKE_VERSION}{_latest(lake)}")
    views = dict(app.execute("select view_name, sql from duckdb_views() where database_name = 'warehouse'").fetchall())
    assert views and all(("read_parquet" in sql) == (not deleted[t]) for t, sql in views.items())
    got = app.execute(
        "select count(*), count(distinct campaign_id), sum(len(screening_rules)) from warehouse.participation"
    ).fetchone()
    assert got == expected


def _etl(landing: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "etl", "run", str(landing), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # a SIGABRT prints where it stands
    )


def _catalog_activity() -> str:
    """What the sessions of a PostgreSQL catalog are doing and waiting on (for a writer that hangs)."""
    from scripts.postgres import client, postgres_bin

    url = os.environ.get("WAREHOUSE_URL", "")
    if not url.startswith("ducklake:postgres:") or postgres_bin() is None:
        return ""
    sql = (
        "select a.pid, a.state, a.wait_event_type, a.wait_event, a.xact_start, left(a.query, 300), "
        "pg_blocking_pids(a.pid) from pg_stat_activity a where a.datname = current_database(); "
        "select pid, locktype, relation::regclass, mode, granted from pg_locks where not granted"
    )
    done = subprocess.run([*client(url.removeprefix("ducklake:postgres:")), "-c", sql], capture_output=True, text=True)
    return done.stdout + done.stderr


def _at_once(*landings: Path, timeout: float = 300) -> list[tuple[str, str]]:
    """An ETL run on each landing folder, started together; each must succeed. (stdout, stderr) each.
    A run that hangs fails the test with the catalog's sessions and each run's Python stack."""
    procs = [_etl(landing) for landing in landings]
    try:
        outs = [p.communicate(timeout=timeout) for p in procs]
    except subprocess.TimeoutExpired:
        activity = _catalog_activity()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGABRT)
        outs = [p.communicate(timeout=30) for p in procs]
        pytest.fail(f"a writer hung; the catalog:\n{activity}\n" + "\n".join(o[1][-4000:] for o in outs))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert [p.returncode for p in procs] == [0] * len(procs), [o[1] for o in outs]
    return outs


def test_two_writers_at_once_both_land(lake: Warehouse, demo_dir: Path, tmp_path: Path) -> None:
    """Two ETLs on two sources' landing folders, started together on an empty lake: the one that
    commits second finds the other's snapshot and runs again on it, so both sources' rows are there."""
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(demo_dir / "website", a / "website")
    _day2(b)
    _at_once(a, b)
    con = duckdb.connect()
    attach(con, lake, "lake")
    sources = dict(con.execute("select source, count(*) from lake.participation group by source").fetchall())
    runs = con.execute("select count(*) from lake.etl_run where status = 'success'").fetchone()[0]
    loaded = con.execute("select sum(rows_loaded) from lake.etl_run_source").fetchone()[0]
    con.close()
    assert sources.get("day2") == 40 and sources.get("website_comments", 0) > 0
    assert runs == 2  # each writer's run, the second on top of the first
    assert loaded >= sum(sources.values())


def test_two_appends_at_once_on_a_built_lake_both_land_and_link(
    lake: Warehouse, demo_dir: Path, tmp_path: Path, capsys
) -> None:
    """Two daily appends racing on a built lake, each committing only the rows it changed: the
    second to commit finds the first's snapshot, runs again on it and links across them (day 3's
    senders repeat day 2's texts, whichever lands first), and the lake holds what its run's own
    warehouse holds, every table, row by row."""
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    shutil.copytree(demo_dir / "website", a / "website")
    assert main(["run", str(a), "--quiet"]) == 0
    capsys.readouterr()
    _day2(b)
    at = "2026-11-27 09:00:00"
    _canonical(
        c / "canonical" / "day3.csv",
        [(f"r{i}", at, f"new{i}@example.sa", f"الرجاء تحسين خدمة المواعيد في الفرع رقم {i}") for i in range(5)]
        + [(f"m{i}", at, f"other{i}@example.sa", f"متى يفتح مكتب الخدمة رقم {i} يوم السبت") for i in range(25)],
    )
    outs = _at_once(b, c)
    assert not any("written whole" in err for _, err in outs), [o[1] for o in outs]
    con = duckdb.connect()
    attach(con, lake, "lake")
    sources = dict(con.execute("select source, count(*) from lake.participation group by source").fetchall())
    runs = con.execute("select count(*) from lake.etl_run where status = 'success'").fetchone()[0]
    linked = con.execute(
        "select count(*) from lake.participation r join lake.participation o on r.duplicate_of = o.participation_id "
        "where r.source = 'day3' and o.source = 'day2' and r.duplicate_kind = 'exact'"
    ).fetchone()[0]
    con.close()
    assert sources.get("day2") == 40 and sources.get("day3") == 30 and sources.get("website_comments", 0) > 0
    assert runs == 3 and linked == 5
    (kept,) = (tmp_path / "local").glob(f".lake-*-{_latest(lake)}.duckdb")
    assert _differences(lake, kept, every=True) == {}


def test_a_machine_behind_the_lake_brings_its_copy_forward_by_the_changes(
    lake: Warehouse, demo_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Machine A builds the lake, machine B (a folder of its own) appends day 2, then A appends day
    3: A starts from its copy of the build and the rows that changed since (DuckLake's change feed),
    not from a copy of every row; the lake then holds what A's run holds, every table, and what three
    daily runs on one file hold."""
    from tests.test_delta import _days

    monkeypatch.setenv("CAMPAIGN_MIN_SENDERS", "10")
    days = _days(demo_dir, tmp_path)
    landing, machine_a, machine_b = tmp_path / "landing", tmp_path / "a", tmp_path / "b"
    file = tmp_path / "file.duckdb"
    for k, machine in enumerate((machine_a, machine_b, machine_a)):
        for rel, src in days[k].items():
            (landing / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, landing / rel)
        monkeypatch.setenv("WAREHOUSE_PATH", str(machine / "w.duckdb"))
        capsys.readouterr()
        assert main(["run", str(landing), "--quiet"]) == 0
        assert main(["run", str(landing), "--quiet", "--warehouse", str(file)]) == 0
    err = capsys.readouterr().err
    assert "from this machine's copy of" in err and "copying snapshot" not in err, err
    (kept,) = machine_a.glob(f".lake-*-{_latest(lake)}.duckdb")
    assert _differences(lake, kept, every=True) == {}
    assert _differences(lake, file) == {}


def test_the_app_reads_its_own_copy_of_each_snapshot_brought_forward_by_the_changes(
    lake: Warehouse, landing: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine that only serves the app (no ETL copy of the lake here): the first snapshot is
    copied out of the lake into a DuckDB file, the next is brought forward from that copy by the
    change feed; each copy holds its snapshot, every table and column; the app reads the lake until
    its copy is ready (made in a thread of its own), then the copy, with the same answers."""
    from dashboard import db, queries
    from etl.lake import read_copy, replicate

    local = tmp_path / "local"

    def app_only_machine() -> None:  # the ETL's copies of its commits are not on this machine
        for kept in local.glob(".lake-*.duckdb"):
            kept.unlink()

    assert main(["run", str(landing), "--quiet"]) == 0
    first = _latest(lake)
    app_only_machine()
    capsys.readouterr()
    assert replicate(lake, first) == read_copy(lake, first)
    assert "copied out of the lake" in capsys.readouterr().err
    assert _differences(lake, read_copy(lake, first), every=True) == {}

    _day2(landing)
    assert main(["run", str(landing), "--quiet"]) == 0
    second = _latest(lake)
    app_only_machine()
    capsys.readouterr()
    assert replicate(lake, second) == read_copy(lake, second)
    err = capsys.readouterr().err
    assert f"from this machine's copy of {first}" in err and "copied out" not in err, err
    assert _differences(lake, read_copy(lake, second), every=True) == {}
    assert not read_copy(lake, first).exists()  # the older copy went

    # the app: the lake until its copy is ready, then the copy
    monkeypatch.setattr(db, "LAKE_POLL_SECONDS", 0.001)
    read_copy(lake, second).unlink()
    assert db.served_from() == (second, False)  # the lake's files, while the copy is being made
    thread, _ = db._copying[lake.url]
    total = queries.query("select count(*) as n from participation").at[0, "n"]
    thread.join(120)
    assert read_copy(lake, second).exists()
    assert db.served_from() == (second, True)
    version = db.warehouse_version()
    con = db._connection(lake.url, version)
    assert con.execute("select path from duckdb_databases() where database_name = 'warehouse'").fetchone()[0] == str(
        read_copy(lake, second)
    )
    assert queries.query("select count(*) as n from participation").at[0, "n"] == total

    # switched off: the pages read the lake
    monkeypatch.setenv("WAREHOUSE_READ_COPY", "false")
    assert db.warehouse_version() == f"{db.LAKE_VERSION}{second}"


def test_the_lake_connections_keep_to_the_etl_memory_limit_and_leave_no_spill_folder(
    lake: Warehouse, landing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build's commit sorts every row of participation: unbounded, it held 9.6 GB at 10M records
    (bench/results.md). The lake's connections are held to ETL_MEMORY_LIMIT, spilling to a private
    folder that goes with the command."""
    import tempfile

    from etl.lake import _connected, read_copy, replicate

    monkeypatch.setenv("ETL_MEMORY_LIMIT", "300MB")
    expected = duckdb.connect()
    expected.execute("set memory_limit = '300MB'")
    assert main(["run", str(landing), "--quiet"]) == 0
    assert replicate(lake, _latest(lake)) == read_copy(lake, _latest(lake))
    with _connected(lake, read_only=True) as con:
        setting = "select current_setting('{}')".format
        assert con.execute(setting("memory_limit")).fetchone() == expected.execute(setting("memory_limit")).fetchone()
        spill = Path(con.execute(setting("temp_directory")).fetchone()[0])
        assert spill.is_dir() and spill.parent == Path(tempfile.gettempdir())
        assert spill.name.startswith(f"etl-lake-{os.getpid()}-")
    assert not list(Path(tempfile.gettempdir()).glob(f"etl-lake-{os.getpid()}-*"))


def test_a_copy_that_cannot_be_made_leaves_the_app_reading_the_lake_and_says_why_once(
    lake: Warehouse, landing: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import db, queries

    assert main(["run", str(landing), "--quiet"]) == 0
    calls = []

    def full_disk(wh: Warehouse, snap: int) -> None:
        calls.append(snap)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(db, "replicate", full_disk)
    monkeypatch.setattr(db, "LAKE_POLL_SECONDS", 0.001)
    capsys.readouterr()
    version = db.warehouse_version()
    db._copying[lake.url][0].join(60)
    for _ in range(3):  # not tried again at every query
        assert db.warehouse_version() == version and not version.endswith(db.READ_COPY)
    assert queries.query("select count(*) as n from participation").at[0, "n"] > 0
    err = capsys.readouterr().err
    assert calls == [_latest(lake)]
    assert err.count("no copy of snapshot") == 1 and "No space left on device" in err, err


def test_a_copy_another_process_is_making_is_left_to_it_and_a_killed_makers_file_goes(
    lake: Warehouse, landing: Path
) -> None:
    import fcntl

    from etl.lake import read_copy, replicate

    assert main(["run", str(landing), "--quiet"]) == 0
    snap = _latest(lake)
    target = read_copy(lake, snap)
    lock = target.with_name(target.name.removesuffix(f"{snap}.duckdb") + "lock")
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another server on this machine is making it
        assert replicate(lake, snap) is None
        assert not target.exists()
    stale = target.with_name(f"{target.name}.999999999.tmp")  # a maker killed half-way
    stale.write_bytes(b"half a copy")
    assert replicate(lake, snap) == target and not stale.exists()
    assert _differences(lake, target, every=True) == {}


def test_a_run_killed_before_it_commits_leaves_the_lake_as_it_was(lake: Warehouse, landing: Path) -> None:
    assert main(["run", str(landing), "--quiet"]) == 0
    first = _latest(lake)
    _day2(landing)
    (landing / "canonical" / "day2.csv").touch()
    proc = _etl(landing)
    time.sleep(1.0)  # the run has read the lake and is appending on its checkout
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _latest(lake) in (first, first + 1)  # never half a run: the commit is one transaction
    assert main(["run", str(landing), "--quiet"]) == 0
    import tempfile

    assert not list(Path(tempfile.gettempdir()).glob(f"etl-lake-{proc.pid}-*"))  # the killed run's checkout went
    assert main(["check"]) == 0
    con = duckdb.connect()
    attach(con, lake, "lake")
    assert con.execute("select count(*) from lake.participation where source = 'day2'").fetchone()[0] == 40
    con.close()


def test_the_catalog_server_stops_at_once_with_a_client_connected_and_leaves_no_process() -> None:
    """A client still connected when the ``with`` block ends (a DuckDB connection not yet
    collected) must not hold the stop: a smart shutdown waited for it until the timeout, then a
    SIGKILL reached the postmaster alone (its processes run in sessions of their own), and a
    checkpointer writing into the deleted folder was left running for good."""
    from etl.lifeline import alive, children
    from scripts.postgres import client, postgres_bin, serve

    if postgres_bin() is None:
        pytest.skip("Debian's PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    with serve("stop") as dsn:
        parts = dict(p.split("=", 1) for p in dsn.split())
        (postmaster,) = [
            int(c.parent.name)
            for c in Path("/proc").glob("[0-9]*/cmdline")
            if f"\0-p\0{parts['port']}\0" in c.read_bytes().decode(errors="replace")
            and "postgres" in c.read_bytes().decode(errors="replace")
        ]
        before = set(children(postmaster))
        session = subprocess.Popen(
            [*client(dsn), "-c", "select pg_sleep(600)"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):  # its backend (a process that was there before may have ended meanwhile)
            if set(children(postmaster)) - before:
                break
            time.sleep(0.1)
        server = [postmaster, *children(postmaster)]
        assert set(server) - before - {postmaster}, "the client's backend never started"
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 10
    assert session.wait(10) != 0  # its session was ended by the server
    time.sleep(0.5)
    assert [pid for pid in server if alive(pid)] == []


def test_the_catalog_server_answers_after_logging_more_than_a_pipe_holds(tmp_path: Path) -> None:
    """Every failed statement is in the server's log with its text; with the log on a pipe that
    nobody read, a backend blocked writing the error once 64 KB had piled up (a writer's commit that
    lost a race hung for good). Here 2,000 failures log about 1.5 MB, and the server still answers."""
    from scripts.postgres import client, postgres_bin, serve

    if postgres_bin() is None:
        pytest.skip("Debian's PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it")
    script = tmp_path / "fail.sql"
    script.write_text("".join(f"select 1 / 0 as x{i}, '{'x' * 600}';\n" for i in range(2000)))
    with serve("logs") as dsn:
        psql = client(dsn)
        failed = subprocess.run([*psql, "-q", "-f", str(script)], capture_output=True, text=True, timeout=120)
        assert failed.stderr.count("division by zero") == 2000
        done = subprocess.run([*psql, "-Atc", "select 41 + 1"], capture_output=True, text=True, timeout=30)
        assert done.stdout.strip() == "42"


def test_a_catalog_that_does_not_answer_is_one_line_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, caplog
) -> None:
    from scripts.browser import free_port

    monkeypatch.setenv("WAREHOUSE_URL", f"ducklake:postgres:dbname=lake host=127.0.0.1 port={free_port()} user=etl")
    monkeypatch.setenv("PGPASSWORD", "s3cret-never-shown")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "2")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: WAREHOUSE_URL=ducklake:postgres:") and err.count("\n") == 1
    assert "s3cret" not in err

    from tests.conftest import open_page

    with caplog.at_level("WARNING"):
        at = open_page("app_pages/overview.py", lang="en")
    assert any("warehouse is unavailable" in w.value for w in at.warning)
    assert "the lake's catalog cannot be opened" in caplog.text and "s3cret" not in caplog.text  # for the operator

    monkeypatch.setenv("WAREHOUSE_URL", "ducklake:postgres:dbname=lake host=h password=s3cret-never-shown")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "WAREHOUSE_URL" in err and "s3cret" not in err


def test_publications_name_their_snapshot_which_maintenance_keeps(
    lake: Warehouse, landing: Path, tmp_path: Path, capsys
) -> None:
    import json

    out = tmp_path / "public"
    assert main(["run", str(landing), "--quiet"]) == 0
    built = _latest(lake)
    assert main(["publish", "--period", "2026", "--out", str(out)]) == 0
    first = json.loads((out / "2026" / "v1" / "data.json").read_text(encoding="utf-8"))
    assert first["metadata"]["lake_snapshot"] == built
    _day2(landing)
    assert main(["run", str(landing), "--quiet"]) == 0
    (landing / "canonical" / "day3.csv").write_bytes((landing / "canonical" / "day2.csv").read_bytes())
    assert main(["run", str(landing), "--quiet"]) == 0
    latest = _latest(lake)
    assert latest >= built + 2
    capsys.readouterr()

    assert _delete_files(lake)["participation"] > 0  # the appends' relinked rows, until maintenance

    assert main(["maintain", "--keep-days", "0", "--out", str(out)]) == 0  # a dry run changes nothing
    assert f"keep    snapshot {built}: a publication was built from it" in capsys.readouterr().out
    assert main(["maintain", "--keep-days", "0", "--out", str(out), "--yes"]) == 0
    said = capsys.readouterr().out
    assert f"expired snapshot {built + 1}" in said and f"keep    snapshot {latest}: the latest" in said
    assert _delete_files(lake)["participation"] == 0

    # the publication can be built again from its own snapshot, after the maintenance
    assert main(["publish", "--period", "2026", "--out", str(out), "--at-snapshot", str(built)]) == 0
    again = json.loads((out / "2026" / "v2" / "data.json").read_text(encoding="utf-8"))
    drop = ("published_at", "version")
    assert {k: v for k, v in again["metadata"].items() if k not in drop} == {
        k: v for k, v in first["metadata"].items() if k not in drop
    }
    assert again["headline"] == first["headline"]
    assert main(["publish", "--period", "2026", "--out", str(out), "--at-snapshot", str(built + 1)]) == 2


def test_two_app_servers_follow_the_lake_while_a_third_process_writes(
    postgres: str, landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ``streamlit run`` servers on two ports read one lake (PostgreSQL's catalog) while the
    ETL, a third process, appends to it twice: sessions on both keep reloading every page without an
    error, and once a run has committed, each shows that run."""
    from scripts.browser import CHROMIUM_ARGS, chromium_path, wait_until_ready
    from scripts.browser import serve as start_app
    from scripts.postgres import create_database

    if chromium_path() is None:
        pytest.skip("no chromium on this machine: `apt-get install chromium` (.ci/run does)")
    from playwright.sync_api import sync_playwright

    url = f"ducklake:postgres:{create_database(postgres, 'lake_two_servers')}"
    env = _lake_env(url, tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert main(["run", str(landing), "--quiet"]) == 0
    wh = Warehouse(url=url)
    paths = ["", "channels", "moderation", "themes", "actions", "explorer", "data_quality"]
    with (
        start_app(env) as one,
        start_app(env) as two,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        pages = [browser.new_context().new_page() for _ in range(4)]
        servers = [one.url, two.url, one.url, two.url]
        for day in (2, 3):
            _canonical(
                landing / "canonical" / f"day{day}.csv",
                [
                    (f"d{day}-{i}", "2026-11-26 10:00:00", f"s{day}-{i}@example.sa", f"نص جديد {day} رقم {i}")
                    for i in range(5)
                ],
            )
            proc = _etl(landing)
            reloads = 0
            try:
                while proc.poll() is None or reloads < len(paths):
                    page = pages[reloads % len(pages)]
                    page.goto(f"{servers[reloads % len(pages)]}/{paths[reloads % len(paths)]}?lang=en")
                    wait_until_ready(page)
                    assert page.locator("[data-testid='stException']").count() == 0
                    assert page.locator("h1").count() == 1
                    reloads += 1
            finally:
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
            con = duckdb.connect()
            attach(con, wh, "lake")
            last = con.execute("select max(run_id) from lake.etl_run").fetchone()[0]
            con.close()
            time.sleep(2.5)  # the app asks the catalog for a newer snapshot at most every 2 s
            for page, server in zip(pages, servers):
                page.goto(f"{server}/data_quality?lang=en")
                wait_until_ready(page)
                captions = " | ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
                assert f"Warehouse version in use: {last}," in captions, captions
                assert "Pages read from" in captions, captions
        # each server then reads its copy of the last snapshot (one made it: they share this machine's)
        snap = _latest(wh)
        for page, server in zip(pages[:2], servers[:2]):
            for _ in range(30):
                page.goto(f"{server}/data_quality?lang=en")
                wait_until_ready(page)
                captions = " | ".join(page.locator("[data-testid='stCaptionContainer']").all_inner_texts())
                if f"this server's copy of the lake's snapshot {snap}." in captions:
                    break
                time.sleep(1)
            else:
                raise AssertionError(captions)
        browser.close()
