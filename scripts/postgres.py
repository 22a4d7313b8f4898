"""The one place that starts Debian's PostgreSQL, as the DuckLake catalog of the lake tests and the
lake benchmark (issue: several machines, proved on one).

``serve()`` creates a cluster in a temporary folder of its own (``initdb``, trust on loopback only),
runs the postmaster in the foreground on a free loopback port, in its own session, tied to this
process (an immediate shutdown, SIGQUIT, if this process dies, even by SIGKILL), and yields a libpq
DSN with no password. Its log goes to a file in that folder (``LOG``). When the ``with`` block ends
the server is stopped (``_stop``), every one of its processes with it, and then the folder is
deleted. As root (CI), the cluster belongs to the ``postgres`` user, which Debian's package creates.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etl.lifeline import children, remove_orphaned
from scripts.browser import free_port, wait_for_port

_PR_SET_PDEATHSIG = 1
# Where the server's log goes: a file in its folder. It was a pipe that nobody read: every
# statement that fails is logged with its text (a DuckLake commit that loses a race to another
# writer: 3.5 KB), and once the pipe's 64 KB were full, the backend writing the next error blocked
# in write(2) for good, inside the losing writer's commit. That was the lake tests' rare hang of two
# appends at once: the session's server had logged enough conflicts by then.
LOG = "server.log"


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def _as_owner(uid: int | None, gid: int | None):
    """The child's first steps: drop to the cluster's owner, then die with this process."""

    def first() -> None:
        if uid is not None and gid is not None:
            os.setgid(gid)
            os.setuid(uid)
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT, 0, 0, 0)

    return first


@contextmanager
def serve(database: str = "lake") -> Iterator[str]:
    """A PostgreSQL server with ``database`` created; yields its DSN (``dbname=... host=127.0.0.1
    port=... user=...``)."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
    uid = gid = None
    user = pwd.getpwuid(os.geteuid()).pw_name
    if os.geteuid() == 0:  # initdb refuses root: the cluster is the postgres user's
        owner = pwd.getpwnam("postgres")
        uid, gid, user = owner.pw_uid, owner.pw_gid, "postgres"
    remove_orphaned("postgres")  # the folders of servers whose owner was killed (the server went with it)
    with tempfile.TemporaryDirectory(prefix=f"postgres-{os.getpid()}-") as tmp:
        root = Path(tmp)
        data, sock = root / "data", root / "sock"
        sock.mkdir()
        if uid is not None:
            os.chown(root, uid, gid)
            os.chown(sock, uid, gid)
        subprocess.run(  # noqa: S603 (our own server on loopback)
            [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8"],
            check=True,
            capture_output=True,
            preexec_fn=_as_owner(uid, gid),
        )
        port = free_port()
        options = ["-p", str(port), "-k", str(sock), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"]
        log = root / LOG
        with log.open("wb") as out:  # a file, never a pipe: see LOG
            proc = subprocess.Popen(  # noqa: S603
                [str(bin_dir / "postgres"), "-D", str(data), *options],
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=out,
                preexec_fn=_as_owner(uid, gid),
            )
        try:
            try:
                wait_for_port(proc, port, "PostgreSQL", 20)
            except RuntimeError:
                tail = log.read_text(errors="replace")[-2000:].strip()
                raise RuntimeError(f"PostgreSQL did not start: {tail}") from None
            dsn = f"dbname={database} host=127.0.0.1 port={port} user={user}"
            for attempt in range(100):  # accepting connections a moment after the port opens
                try:
                    dsn = create_database(dsn, database)
                    break
                except RuntimeError:
                    if attempt == 99:
                        raise
                    time.sleep(0.1)
            yield dsn
        finally:
            _stop(proc, 20)


def _stop(postmaster: subprocess.Popen, timeout: float) -> None:
    """A fast shutdown (SIGINT: clients are disconnected, then a shutdown checkpoint), else an
    immediate one (SIGQUIT: the postmaster stops each of its processes itself), else SIGKILL to
    the postmaster and each of its processes. Not SIGTERM: a smart shutdown waits for every client
    to leave (a DuckDB connection not yet collected), and it took the 20 s timeout here. Not the
    process group: each of the postmaster's processes runs in a session of its own (PostgreSQL's
    InitPostmasterChild calls setsid), so a group's SIGKILL reached the postmaster alone, and a
    checkpointer it left behind, writing into the deleted folder, ran on for good (it ignores
    SIGTERM)."""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            postmaster.send_signal(sig)
        try:
            postmaster.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    for pid in (*children(postmaster.pid), postmaster.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    postmaster.wait()


def client(dsn: str, tool: str = "psql") -> list[str]:
    """The command line of PostgreSQL's client ``tool`` (psql, createdb, dropdb) for the server of
    the libpq DSN ``dsn`` (``key=value`` pairs, as ``serve`` yields); psql's on its database."""
    parts = dict(p.split("=", 1) for p in dsn.split())
    where = ["-h", parts["host"], "-p", parts["port"], "-U", parts["user"]]
    return [str(postgres_bin() / tool), *where, *(["-d", parts["dbname"]] if tool == "psql" else [])]


def create_database(dsn: str, name: str) -> str:
    """A new, empty database ``name`` on the server of ``dsn`` (dropped first if it was there);
    returns its DSN."""
    for tool in ("dropdb", "createdb"):
        args = [*client(dsn, tool), *(["--if-exists"] if tool == "dropdb" else []), name]
        done = subprocess.run(args, capture_output=True, text=True)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"PostgreSQL: {tool} {name}: {done.stderr.strip()}")
    parts = dict(p.split("=", 1) for p in dsn.split())
    return " ".join(f"{k}={name if k == 'dbname' else v}" for k, v in parts.items())
