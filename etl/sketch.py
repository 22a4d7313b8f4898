"""Near-identical clusters across the whole warehouse, and what they keep between runs.

Each distinct normalised text long enough to cluster has a MinHash signature (etl.similar). The
warehouse keeps them in ``text_sketch`` (h: DuckDB's 64-bit hash() of the text, sig: the signature,
SKETCH_BYTES, cluster: its near-identical cluster, the mix of the cluster's first text's signature,
component: the mix of its component's first text's), so that an append (etl/delta.py) signs only
the texts it brings, finds again the clusters they can change, from the stored signatures and
components (the same texts give the same clusters in a build and in any sequence of appends:
``etl.similar.recluster``), and relinks only the records of the texts whose cluster changed.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.sqlfiles import in_order
from etl.errors import CheckFailed

SKETCH_BYTES = 64  # a MinHash signature: etl.similar.PERMS numbers of 16 bits (SIG_DTYPE)


READ_ROWS = 1 << 18  # signatures read from text_sketch at a time
SKETCH_TABLE = "create table text_sketch (h ubigint, sig blob, cluster ubigint, component ubigint)"


def sign(con: duckdb.DuckDBPyConnection, texts: pa.Array | pa.ChunkedArray) -> None:
    """Add to ``text_sketch`` the signature of each distinct normalised text of ``texts`` (one
    chunk of records' ``text_normalized``) that it does not hold yet and that is long enough to
    cluster. A run signs its records chunk by chunk (etl/pipeline.py), an append its new records
    only: what is in memory is one chunk's texts, never the warehouse's."""
    from etl.similar import sketches  # scipy: not for the rule workers, which import etl.classify

    flat = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    values = pc.unique(pc.fill_null(flat.dictionary if pa.types.is_dictionary(flat.type) else flat, ""))
    hashes = _hashes(con, values)
    need = np.zeros(len(values), dtype=bool)
    need[np.unique(hashes.to_numpy(), return_index=True)[1]] = True  # one sketch per hash
    con.register("_h", pa.table({"h": hashes}))
    try:
        known = con.sql("select h from _h semi join text_sketch using (h)").to_arrow_table().column(0).combine_chunks()
    finally:
        con.unregister("_h")
    need &= ~pc.is_in(hashes, known).to_numpy(zero_copy_only=False)
    long, sig = sketches(values.filter(pa.array(need)))
    added = pa.table(
        {
            "h": hashes.filter(pa.array(need)).filter(pa.array(long)),
            "sig": pa.FixedSizeBinaryArray.from_buffers(pa.binary(SKETCH_BYTES), len(sig), [None, pa.py_buffer(sig)]),
        }
    )
    con.register("_added", added)
    try:
        con.execute("insert into text_sketch select h, sig, null, null from _added")
    finally:
        con.unregister("_added")


def clusters(con: duckdb.DuckDBPyConnection, *, full: bool = True) -> pa.Table:
    """The near-identical cluster of every text ``text_sketch`` holds, as ``etl.similar`` finds it
    over all of them (the same texts give the same clusters in a build and in any sequence of
    appends), against the one it stores: the texts whose cluster or component changed (h, cluster,
    before, component; cluster and before null: in none), for ``keep_clusters``.

    ``full``: every text's found anew (``cluster_state``: a build, or an append that took stored
    texts away). Otherwise, only where the texts signed since the last run (component null) can
    change them (``recluster``: the new texts and the stored texts of the components they reach,
    a few per cent at a daily run where components are small, as in real feedback; a pass over
    every text where they reach most of them, as in the generator's templated texts). What the
    append's links start from (etl/delta.py), instead of every stored record."""
    from etl.similar import SIG_DTYPE, cluster_state, recluster

    n = con.execute("select count(*) from text_sketch").fetchall()[0][0]
    h_all = np.empty(n, dtype=np.uint64)
    before = np.zeros(n, dtype=np.uint64)
    had = np.zeros(n, dtype=bool)
    component = np.zeros(n, dtype=np.uint64)
    known = np.zeros(n, dtype=bool)
    sig = np.empty((n, SKETCH_BYTES // np.dtype(SIG_DTYPE).itemsize), dtype=SIG_DTYPE)
    done = 0
    reader = con.sql("select h, sig, cluster, component from text_sketch").to_arrow_reader(READ_ROWS)
    for batch in reader:  # no second copy
        end = done + batch.num_rows
        h_all[done:end] = batch.column(0).to_numpy()
        sig[done:end] = _signatures(pa.chunked_array([batch.column(1)]))
        for values, valid, column in ((before, had, batch.column(2)), (component, known, batch.column(3))):
            values[done:end] = pc.fill_null(column, 0).to_numpy()
            valid[done:end] = pc.is_valid(column).to_numpy(zero_copy_only=False)
        done = end
    if done != n:
        raise CheckFailed("text_sketch changed while it was read; run again")
    if not full and known.all():  # nothing signed since the last run
        return pa.table({"h": h_all[:0], "cluster": before[:0], "before": before[:0], "component": component[:0]})
    found = None if full else recluster(sig, component, known)
    rows, now, has, comp = found if found is not None else (np.arange(n), *cluster_state(sig))
    del sig
    moved = (has != had[rows]) | (has & (now != before[rows])) | ~known[rows] | (comp != component[rows])
    rows, now, has, comp = rows[moved], now[moved], has[moved], comp[moved]
    return pa.table(
        {
            "h": h_all[rows],
            "cluster": pa.array(now, mask=~has),
            "before": pa.array(before[rows], mask=~had[rows]),
            "component": comp,
        }
    )


# A text's cluster key as participation.text_cluster holds it (text_sketch.cluster is the number).
CLUSTER_KEY = "printf('%016x', {})"


def keep_clusters(con: duckdb.DuckDBPyConnection, moved: pa.Table) -> None:
    """Store the clusters and components that changed (``clusters``) in text_sketch, and keep the
    texts whose cluster changed as the temp table ``cluster_moved`` (h, cluster, before: keys as
    ``participation.text_cluster`` holds them, 16 hex digits of the first text's mix, null for
    none), and every text stored again as ``sketch_moved`` (h)."""
    con.register("_moved", moved)
    try:
        con.execute(
            f"create temp table cluster_moved as select h, {CLUSTER_KEY.format('cluster')} as cluster, "
            f"{CLUSTER_KEY.format('before')} as before from _moved where cluster is distinct from before"
        )
        con.execute("create temp table sketch_moved as select h from _moved")
        con.execute(
            "update text_sketch set cluster = m.cluster, component = m.component from _moved as m "
            "where text_sketch.h = m.h"
        )
    finally:
        con.unregister("_moved")


def _hashes(con: duckdb.DuckDBPyConnection, values: pa.Array) -> pa.Array:
    """DuckDB's hash() of each of ``values``, in their order (the one text_sketch and SQL use)."""
    con.register("_texts", pa.table({"i": np.arange(len(values)), "t": values}))
    try:
        hashed = in_order(con.sql("select hash(t) as h, i from _texts order by i").to_arrow_table(), "i")
        return hashed.column(0).combine_chunks()
    finally:
        con.unregister("_texts")


def _signatures(blobs: pa.ChunkedArray) -> np.ndarray:
    """The signature matrix of text_sketch.sig (BLOBs of SKETCH_BYTES each): each chunk's bytes seen
    as rows, then one copy of them all (Arrow's combine_chunks took 0.7 s for a million)."""
    from etl.similar import SIG_DTYPE

    width = SKETCH_BYTES // np.dtype(SIG_DTYPE).itemsize
    parts = [np.empty((0, width), dtype=SIG_DTYPE)]
    for arr in blobs.chunks:
        if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
            arr = arr.cast(pa.large_binary())  # DuckDB's BLOB reads as binary; any other kind, as large
        kind = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=kind)[arr.offset : arr.offset + len(arr) + 1]
        if len(arr) and not (np.diff(offsets) == SKETCH_BYTES).all():
            raise CheckFailed("text_sketch holds a signature of the wrong size; run again with --full")
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] if len(arr) else 0 :]
        parts.append(data[: len(arr) * SKETCH_BYTES].view(SIG_DTYPE).reshape(len(arr), width))
    return np.concatenate(parts)
