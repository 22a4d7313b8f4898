"""Whatever the ETL starts ends with it, however the ETL ends (issue: no stray processes).

The rule workers come from a fork server, which the ETL starts: ETL -> fork server -> workers, and
a resource tracker beside them. A SIGKILL or the OOM killer gives the ETL no chance to stop them,
and Python's fork server outlives a parent killed mid-run (measured: it and two busy workers were
still alive 5 s after). So each of them is tied to its parent: on Linux the kernel sends it SIGKILL
when its parent dies (``prctl(PR_SET_PDEATHSIG)``), and a daemon thread polls the parent as well.
The fork server is tied to the ETL (``etl.forkserver_preload``, imported there), each worker to the
fork server; the resource tracker then ends by itself, when the last of them holding its pipe is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

PARENT_ENV = "ETL_LIFELINE_PARENT"  # the ETL's pid, for the fork server to check it was not orphaned already
_PR_SET_PDEATHSIG = 1


def tie_to_parent(expected_parent: int | None = None, root: int | None = None) -> None:
    """This process dies when its parent does, or when ``root`` (the ETL, for a worker whose parent
    is the fork server) does. ``expected_parent``: the pid the parent must have. A process whose
    parent or root died before the tie was made ends at once: under load a worker can be forked,
    and its fork server killed, before the worker first runs (measured: 4 runs in 6 left two such
    workers, reparented to init, where a tie to the current parent would wait forever).

    Two lines of defence: the kernel's signal (Linux), and a daemon thread that polls every half
    second (the only one where there is no prctl)."""
    parent = expected_parent if expected_parent is not None else os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if not _tied(parent, root):  # died before the tie was made: nothing would ever signal us
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, root), daemon=True, name="lifeline").start()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, as the kernel lists them (none for a process gone)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def remove_orphaned(prefix: str) -> None:
    """Temporary folders named ``<prefix>-<pid>-...`` whose process is gone (killed by SIGKILL or a
    power loss before it could delete its own)."""
    for old in Path(tempfile.gettempdir()).glob(f"{prefix}-*-*"):
        pid = old.name.removeprefix(f"{prefix}-").split("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)


OWNER_FILE = "etl-owner"


def own_multiprocessing_folder() -> None:
    """Python's multiprocessing keeps the fork server's socket in a temporary folder (``pymp-*``)
    that only the process which made it removes, when it exits: after a SIGKILL it stays, one
    folder a kill. Write this process's pid in its folder, and remove the folders whose writer is
    gone (``remove_orphaned`` for folders that cannot carry the pid in their name)."""
    from multiprocessing import util

    for old in Path(tempfile.gettempdir()).glob("pymp-*"):
        pid = folder_owner(old)
        if pid is not None and pid != os.getpid() and not alive(pid):
            shutil.rmtree(old, ignore_errors=True)
    (Path(util.get_temp_dir()) / OWNER_FILE).write_text(str(os.getpid()))


def folder_owner(folder: Path) -> int | None:
    """The pid ``own_multiprocessing_folder`` wrote in ``folder``; None for a folder it did not
    write (another program's), or one that cannot be read."""
    try:
        return int((folder / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return None


def _tied(parent: int, root: int | None) -> bool:
    return os.getppid() == parent and (root is None or alive(root))


def _watch(parent: int, root: int | None) -> None:
    while _tied(parent, root):
        time.sleep(0.5)
    os._exit(1)
