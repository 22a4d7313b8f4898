"""Whatever the ETL starts ends with it, however the ETL ends (issue: no stray processes).

The rule workers come from a fork server, which the ETL starts: ETL -> fork server -> workers, and
a resource tracker beside them. A SIGKILL or the OOM killer gives the ETL no chance to stop them,
and Python's fork server outlives a parent killed mid-run (measured: it and two busy workers were
still alive 5 s after). So each of them is tied to its parent: on Linux the kernel sends it SIGKILL
when its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent.
The fork server is tied to the ETL (``etl.forkserver_preload``, imported there), each worker to the
fork server; the resource tracker then ends by itself, when the last of them holding its pipe is gone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import threading
import time

PARENT_ENV = "ETL_LIFELINE_PARENT"  # the ETL's pid, for the fork server to check it was not orphaned already
_PR_SET_PDEATHSIG = 1


def tie_to_parent(expected_parent: int | None = None) -> None:
    """This process dies when its parent does. ``expected_parent``: the pid the parent must have;
    a process whose parent died before the tie was made ends at once."""
    parent = expected_parent if expected_parent is not None else os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):  # no prctl (not Linux): watch from a thread
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="lifeline").start()
    if os.getppid() != parent:  # the parent died before the tie: nothing would ever signal us
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)
