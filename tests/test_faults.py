"""Faults: the ETL killed at random points, a full disk, an unwritable output folder, and malformed
input files. The serving warehouse is always the last complete one; nothing raw is left behind."""

from __future__ import annotations

import contextlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from etl import checks
from tests.conftest import ROOT, SALT, digest, etl


def _env(tmp: Path, wh: Path) -> dict[str, str]:
    salt = tmp / "salt"
    if not salt.exists():
        salt.write_text(SALT)
    return {**os.environ, "WAREHOUSE_PATH": str(wh), "SALT_PATH": str(salt)}


def _etl_cmd(landing: Path) -> list[str]:
    """A build every time (--full): the same exports again would otherwise be up to date, with no build
    to kill."""
    return [sys.executable, "-m", "etl", "run", str(landing), "--quiet", "--full"]


def _counts(wh: Path) -> tuple[int, int]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute("select rows_read, rows_loaded from etl_run order by run_id desc limit 1").fetchone()
    finally:
        con.close()


def _builds(wh: Path) -> list[str]:
    return sorted(p.name for p in wh.parent.iterdir() if ".building-" in p.name)


def test_sigkill_at_random_points_never_breaks_the_serving_warehouse(landing: Path, tmp_path: Path) -> None:
    wh = tmp_path / "wh" / "w.duckdb"
    env = _env(tmp_path, wh)
    t0 = time.perf_counter()
    subprocess.run(_etl_cmd(landing), env=env, cwd=ROOT, check=True, capture_output=True)
    full = time.perf_counter() - t0
    good, counts = digest(wh), _counts(wh)
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("select count(*) from participation").fetchone()[0]
    con.close()
    rng = random.Random(20261128)
    kills = 0
    for _ in range(20):
        proc = subprocess.Popen(_etl_cmd(landing), env=env, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.05, full * 1.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        assert _gone(proc.pid) == []  # nothing of it left behind
        if digest(wh) != good:  # it swapped its warehouse in before the kill: complete, and checked
            con = duckdb.connect(str(wh), read_only=True)
            run_id = con.execute("select max(run_id) from etl_run").fetchone()[0]
            assert checks.run_all(con, run_id) == []
            con.close()
            good = digest(wh)
        con = duckdb.connect(str(wh), read_only=True)  # and it opens and answers
        assert con.execute("select count(*) from participation").fetchone()[0] == rows
        con.close()
    assert kills >= 10
    subprocess.run(_etl_cmd(landing), env=env, cwd=ROOT, check=True, capture_output=True)
    assert _counts(wh) == counts  # the next run completes with the right counts
    assert _builds(wh) == []  # killed runs' half-built files (raw rows) were cleared by it


def _no_writes_beyond(limit: int):
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


def test_a_full_disk_gives_a_clear_error_and_loses_nothing(landing: Path, tmp_path: Path) -> None:
    wh = tmp_path / "wh" / "w.duckdb"
    env = _env(tmp_path, wh)
    subprocess.run(_etl_cmd(landing), env=env, cwd=ROOT, check=True, capture_output=True)
    before = digest(wh)
    proc = subprocess.run(
        _etl_cmd(landing), env=env, cwd=ROOT, capture_output=True, text=True, preexec_fn=_no_writes_beyond(1 << 20)
    )
    assert proc.returncode == 2, proc.stderr
    assert "a file size limit was reached" in proc.stderr and "previous warehouse is untouched" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert digest(wh) == before and _builds(wh) == []


def test_an_unwritable_output_folder_gives_a_clear_error(landing: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    wh = out / "w.duckdb"
    etl(landing, wh)
    before = digest(wh)
    out.chmod(0o555)
    cmd = _etl_cmd(landing)
    if os.geteuid() == 0:  # root ignores folder permissions unless it gives up these capabilities
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make a folder unwritable")
        cmd = [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", *cmd]
    try:
        proc = subprocess.run(cmd, env=_env(tmp_path, wh), cwd=ROOT, capture_output=True, text=True)
    finally:
        out.chmod(0o755)
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert digest(wh) == before


# -- malformed input ---------------------------------------------------------------------------------
def _canonical(tmp: Path, name: str, content: bytes) -> Path:
    d = tmp / "in" / "canonical"
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(content)
    return tmp / "in"


HEADER = b"source_record_id,channel,tool,submitted_at,text,sender\n"
GOOD = "G1,email,direct_contact,2026-01-05 10:00,شكرا على الخدمة,a@b.example\n".encode()


def _peak_mb(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd``; its result and its own peak resident memory in MB (wait4 reports that child's)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=err, start_new_session=True)
        _, status, usage = os.wait4(proc.pid, 0)
        _gone(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode(), err.read().decode())
    return done, usage.ru_maxrss / 1024


@pytest.mark.parametrize(
    ("name", "content", "expect"),
    [
        ("junk.csv", bytes(random.Random(1).randrange(256) for _ in range(200_000)), "error"),
        ("semicolons.csv", HEADER.replace(b",", b";") + GOOD.replace(b",", b";"), "error"),
        ("mixed.csv", HEADER + GOOD + "G2,email,direct_contact,2026-01-05 10:00,شكرا,x\n".encode("cp1256"), "error"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_error(tmp_path: Path, name: str, content: bytes, expect: str) -> None:
    landing = _canonical(tmp_path, name, content)
    wh = tmp_path / "w.duckdb"
    proc = subprocess.run(_etl_cmd(landing), env=_env(tmp_path, wh), cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert name in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not wh.exists()


def test_a_100_mb_single_line_is_quarantined_in_bounded_memory(tmp_path: Path) -> None:
    landing = _canonical(tmp_path, "huge.csv", HEADER + GOOD + b"L1,email,direct_contact,2026-01-05 10:00,")
    with (landing / "canonical" / "huge.csv").open("ab") as fh:  # streamed, as above
        for _ in range(100):
            fh.write(b"x" * (1 << 20))
        fh.write(b",s\n")
    wh = tmp_path / "w.duckdb"
    proc, peak = _peak_mb(_etl_cmd(landing), _env(tmp_path, wh))
    assert proc.returncode == 0, proc.stderr
    con = duckdb.connect(str(wh), read_only=True)
    loaded = con.execute("select count(*) from participation").fetchone()[0]
    reasons = con.execute("select reason from quarantine").fetchall()
    con.close()
    assert loaded == 1 and len(reasons) == 1 and "long" in reasons[0][0]
    assert peak < 2048, peak


def test_an_xlsx_zip_bomb_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "in" / "call_center"
    d.mkdir(parents=True)
    bomb = d / "crm_2026.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:  # streamed: this
            for _ in range(600):  # process never holds it, so the child's peak is its own
                part.write(b"a" * (1 << 20))
    assert bomb.stat().st_size < 5 << 20
    wh = tmp_path / "w.duckdb"
    proc, peak = _peak_mb(_etl_cmd(tmp_path / "in"), _env(tmp_path, wh))
    assert proc.returncode == 2, proc.stderr
    assert "crm_2026.xlsx" in proc.stderr and "Traceback" not in proc.stderr
    assert peak < 1024, peak


# -- process hygiene: nothing the ETL starts outlives it --------------------------------------------
@pytest.fixture(scope="module")
def varied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40,000 canonical records of nearly all different texts: enough input for the rule workers."""
    from etl.generate import generate
    from tests.conftest import END

    out = tmp_path_factory.mktemp("varied")
    generate(40_000, out, 7, END, canonical=True, varied=True)
    return out


def _session(sid: int) -> list[tuple[int, str]]:
    """Every process of the session ``sid``, with its command line."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.getsid(int(d)) == sid:
                    found.append((int(d), Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode()))
            except (OSError, ValueError):
                continue
    return found


def _start_with_workers(varied: Path, env: dict[str, str]) -> subprocess.Popen:
    """The ETL in a session of its own, once its rule workers are up (fork server, two workers)."""
    proc = subprocess.Popen(
        _etl_cmd(varied),
        env={**env, "ETL_THREADS": "2"},
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while sum("forkserver" in cmd for _, cmd in _session(proc.pid)) < 3:  # the server and two workers
        assert proc.poll() is None and time.monotonic() < deadline, "the rule workers never started"
        time.sleep(0.02)
    return proc


def _gone(sid: int, seconds: float = 5) -> list[tuple[int, str]]:
    """What is left of the session after ``seconds`` (at most); killed after, so no test leaks it."""
    deadline = time.monotonic() + seconds
    while (left := _session(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid, _ in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to list a session's processes")
def test_sigkill_in_the_parallel_stage_leaves_no_process(varied: Path, tmp_path: Path) -> None:
    """SIGKILL (as the OOM killer sends it) gives the ETL no chance to stop anything: its fork
    server, workers and resource tracker must notice and end by themselves, within 5 s."""
    from etl.lifeline import folder_owner
    from etl.parallel import worker_pool

    proc = _start_with_workers(varied, _env(tmp_path, tmp_path / "w.duckdb"))
    os.kill(proc.pid, signal.SIGKILL)  # the ETL alone, not its group: nobody else is told
    proc.wait()
    proc.stderr.close()
    assert _gone(proc.pid) == []
    # the folder of its fork server's socket, which only it could have removed, goes with the next pool
    left = [d for d in Path(tempfile.gettempdir()).glob("pymp-*") if folder_owner(d) == proc.pid]
    assert len(left) == 1, "the killed ETL's fork server socket folder was not found, or not named"
    with worker_pool(2) as pool:
        assert pool is not None
    assert not left[0].exists()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to list a session's processes")
@pytest.mark.parametrize(
    ("sig", "code", "said"), [(signal.SIGTERM, 143, "stopped (SIGTERM)"), (signal.SIGINT, 130, "interrupted")]
)
def test_sigterm_and_sigint_stop_cleanly(
    varied: Path, landing: Path, tmp_path: Path, sig: signal.Signals, code: int, said: str
) -> None:
    wh = tmp_path / "wh" / "w.duckdb"
    env = _env(tmp_path, wh)
    subprocess.run(_etl_cmd(landing), env=env, cwd=ROOT, check=True, capture_output=True)
    before = digest(wh)
    proc = _start_with_workers(varied, env)
    os.kill(proc.pid, sig)
    returned = proc.wait(timeout=30)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert returned == code and said in err and "Traceback" not in err, err
    assert digest(wh) == before and _builds(wh) == []  # the previous warehouse serves; nothing half-built
    assert _gone(proc.pid) == []


@pytest.mark.parametrize(
    ("sig", "code", "said"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "stopped (SIGTERM)")]
)
def test_a_signal_that_duckdb_wraps_in_an_error_of_its_own_is_still_a_stop(
    tmp_path: Path, monkeypatch, capsys, sig: signal.Signals, code: int, said: str
) -> None:
    """Ctrl-C that lands while DuckDB runs Python (a UDF, or reading a registered frame's schema, as
    CI once caught) comes back as DuckDB's InvalidInputException: still 130, not "unexpected error"."""
    from etl import cli

    def command(args) -> int:
        def slow(x: int) -> int:
            os.kill(os.getpid(), sig)
            time.sleep(2)  # the handler raises here
            return x

        con = duckdb.connect()
        con.create_function("slow", slow, [int], int)
        con.sql("SELECT slow(1)").fetchall()
        return 0

    monkeypatch.setattr(cli, "cmd_check", command)
    previous = signal.getsignal(sig)
    assert cli.main(["check", "--warehouse", str(tmp_path / "w.duckdb")]) == code
    err = capsys.readouterr().err
    assert said in err and "unexpected" not in err, err
    assert signal.getsignal(sig) is previous  # the caller's handler is back


def test_no_pool_starts_for_an_input_too_small_to_need_one(landing: Path, tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a worker pool was started for a small input")

    monkeypatch.setenv("ETL_THREADS", "2")
    monkeypatch.setattr("etl.parallel.ProcessPoolExecutor", refuse)
    result = etl(landing, tmp_path / "w.duckdb")
    assert result.totals.loaded > 0
