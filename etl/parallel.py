"""The ETL's parallel work, in one place.

- ``on_threads`` and ``over_slices``: work whose kernels (Arrow's, numpy's) release the GIL, on a
  thread per core: the text stage's regexes, the near-duplicate clusters' signatures and bands.
- ``beside``: one piece of work on a thread while the caller waits on DuckDB (which releases the
  GIL): counting a file's line breaks while DuckDB reads it.
- ``worker_pool`` and ``in_chunks``: the rules written in Python (themes, sentiment, screens, sender
  hashes) and the checks' personal-data scan hold the GIL, so they run on worker processes, one per
  core.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from multiprocessing import forkserver
from typing import Any

import pyarrow as pa

from etl.lifeline import PARENT_ENV, own_multiprocessing_folder, tie_to_parent

PARALLEL_MIN = 20_000  # items below this are not worth a worker process
SLICE_MIN = 10_000  # rows below this are not worth a thread


def on_threads(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``fn`` over ``items``, in order, on a thread per core (none for a single item): for work that
    releases the GIL (Arrow's and numpy's kernels)."""
    workers = min(os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fn, items))


def over_slices(arr: pa.Array | pa.ChunkedArray, fn: Callable[[pa.Array], Any], per_core: int = 1) -> list[Any]:
    """``fn`` over slices of ``arr`` on every core (``on_threads``), in order. ``per_core`` slices
    for each core: smaller slices, when ``fn`` builds large temporary arrays, keep no more of them
    alive at once than a single call over all of ``arr`` would."""
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    parts = max(1, min((os.cpu_count() or 1) * per_core, len(arr) // SLICE_MIN))
    step = -(-len(arr) // parts)
    return on_threads(fn, [arr.slice(i, step) for i in range(0, len(arr), step)] if parts > 1 else [arr])


@contextmanager
def beside(fn: Callable[..., Any], *args: object) -> Iterator[Future]:
    """``fn(*args)`` starts on a thread; the block goes on, and reads the result from the future.
    Leaving the block waits for ``fn`` to end, whether or not the block used its result."""
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(fn, *args)


# Input bytes per record, about: the generated channels' text files run 167-389 bytes a record,
# the canonical template 259 (a spreadsheet holds fewer: it is compressed). At 100, a day's export
# of 8,000 records started two workers that no chunk of it could use (PARALLEL_MIN texts), and
# their start-up took the cores from the append: about 0.35 s of a 10,000-record append's 5.5 s
# on a 1M warehouse (bench/results.md).
BYTES_PER_ITEM = 300


def _start_worker(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    """A worker's first steps: it dies with the fork server (which dies with the ETL), and leaves
    Ctrl-C to the ETL, which stops it (a terminal sends SIGINT to the whole process group)."""
    root = os.environ.get(PARENT_ENV, "")
    tie_to_parent(root=int(root) if root.isdigit() else None)  # the fork server, and the ETL itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer(*initargs)


@contextmanager
def worker_pool(
    threads: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    work: int | None = None,
) -> Iterator[Executor | None]:
    """Worker processes (one per core, or ``threads`` when over 0; None below two, or when ``work``,
    the input's size in bytes, is too small for any step to hand them PARALLEL_MIN items), started
    by a fork server: a clean process, not a fork of the caller with DuckDB's threads in it. Like any
    spawned worker they import the caller's main module: a script must guard its entry point.

    The workers start at once, from a thread, and run ``initializer(*initargs)`` (loading their
    rules, say) while the caller goes on: opened before a long step, the pool is ready when the step
    ends (starting the fork server and the workers takes about a third of a second).

    None of them outlives the caller (``etl.lifeline``): on an exception, SIGTERM or Ctrl-C the
    workers are stopped at once rather than waited for; on SIGKILL they die with it.
    """
    n = threads if threads > 0 else os.cpu_count() or 1
    if n < 2 or (work is not None and work < PARALLEL_MIN * BYTES_PER_ITEM):
        yield None
        return
    ctx = multiprocessing.get_context("forkserver")
    # what the workers run, imported once; and the fork server's tie to this process
    ctx.set_forkserver_preload(["etl.forkserver_preload", "etl.classify", "etl.text", "etl.checks"])
    os.environ[PARENT_ENV] = str(os.getpid())
    own_multiprocessing_folder()  # the fork server's socket's folder, and those of ETLs killed before
    # The fork server starts here, not from the starter thread below: the kernel's tie to a parent
    # (PR_SET_PDEATHSIG) fires when the thread that started the child ends, not the process.
    forkserver.ensure_running()
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_start_worker, initargs=(initializer, initargs))
    # one submission starts one worker: start them all now (submit is thread-safe)
    starter = threading.Thread(target=lambda: [pool.submit(int) for _ in range(n)], daemon=True)
    starter.start()
    try:
        yield pool
    except BaseException:
        starter.join()
        _stop(pool)
        raise
    else:
        starter.join()
        pool.shutdown(wait=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now: a task may run for seconds, and the caller is on its way out."""
    processes = list(getattr(pool, "_processes", {}).values())  # no public way before Python 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        with suppress(Exception):
            p.terminate()
    for p in processes:
        with suppress(Exception):
            p.join(timeout=5)


def in_chunks(
    pool: Executor | None, fn: Callable[..., list], items: list | pa.Table, *args: object
) -> Callable[[], list]:
    """Start ``fn(chunk, *args)`` over ``items`` (a list, or an Arrow table) on ``pool`` (a few
    chunks per worker), or plan to run it here when there is no pool or too little work; call the
    result to collect, in order."""
    if pool is None or len(items) < PARALLEL_MIN:
        return lambda: fn(items, *args)
    step = -(-len(items) // 8)
    futures = [pool.submit(fn, _own(items[i : i + step]), *args) for i in range(0, len(items), step)]
    return lambda: [row for f in futures for row in f.result()]


def _own(part: list | pa.Table) -> list | pa.Table:
    """A slice of an Arrow table with buffers of its own: pickled, a slice carries its parent's
    whole buffers."""
    if not isinstance(part, pa.Table):
        return part
    return pa.table({name: pa.concat_arrays(col.chunks) for name, col in zip(part.column_names, part.columns)})
