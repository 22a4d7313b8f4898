"""Near-identical clusters across the whole warehouse, and what they keep between runs.

Each distinct normalised text long enough to cluster has a MinHash signature (etl.similar). The
warehouse keeps them in ``text_sketch`` (h: DuckDB's 64-bit hash() of the text, sig: the signature,
SKETCH_BYTES), so that an append (etl/delta.py) signs only the texts it brings and finds the clusters
over every text again from the stored signatures: the same texts give the same clusters in a build
and in any sequence of appends (``etl.similar.cluster_keys``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.sqlfiles import in_order
from etl.errors import CheckFailed

SKETCH_BYTES = 256  # a MinHash signature: etl.similar.PERMS 64-bit numbers


def clusters(con: duckdb.DuckDBPyConnection, records: pa.Table, stored: bool) -> pa.DictionaryArray:
    """Each record's near-identical cluster, found over every distinct normalised text of the
    warehouse: the records' own in a build; with ``stored`` (an append), those of the stored
    records too. Only texts ``text_sketch`` does not hold are signed here, and added to it (a build
    creates it). The temp table ``cluster_map`` (h, cluster) gives every text's cluster by its hash."""
    from etl.similar import cluster_keys, sketches  # scipy: not for the rule workers, which import etl.classify

    new = records.column("text_normalized").combine_chunks()
    values = pc.fill_null(new.dictionary, "")
    hashes = _hashes(con, values)
    need = np.zeros(len(values), dtype=bool)
    need[np.unique(hashes.to_numpy(), return_index=True)[1]] = True  # one sketch per hash
    if stored:
        con.register("_h", pa.table({"h": hashes}))
        known = con.sql("select h from _h semi join text_sketch using (h)").to_arrow_table().column(0).combine_chunks()
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
    con.execute(
        ("insert into text_sketch " if stored else "create table text_sketch as ") + "select h, sig from _added"
    )
    con.unregister("_added")
    if stored:
        every = con.sql("select h, sig from text_sketch").to_arrow_table()
        h_all, sig = every.column("h").combine_chunks(), _signatures(every.column("sig"))
    else:
        h_all = added.column("h")
    keys = cluster_keys(h_all, (np.ones(len(h_all), dtype=bool), sig))
    con.register("_map", pa.table({"h": h_all, "cluster": keys}))
    con.execute("create temp table cluster_map as select * from _map")
    con.unregister("_map")
    return pa.DictionaryArray.from_arrays(new.indices, keys.take(pc.index_in(hashes, value_set=h_all)))


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
    parts = [np.empty((0, SKETCH_BYTES // 8), dtype=np.uint64)]
    for arr in blobs.chunks:
        if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
            arr = arr.cast(pa.large_binary())  # DuckDB's BLOB reads as binary; any other kind, as large
        kind = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
        offsets = np.frombuffer(arr.buffers()[1], dtype=kind)[arr.offset : arr.offset + len(arr) + 1]
        if len(arr) and not (np.diff(offsets) == SKETCH_BYTES).all():
            raise CheckFailed("text_sketch holds a signature of the wrong size; run again with --full")
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] if len(arr) else 0 :]
        parts.append(data[: len(arr) * SKETCH_BYTES].view(np.uint64).reshape(len(arr), -1))
    return np.concatenate(parts)
