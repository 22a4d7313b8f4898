"""What a warehouse was built from, and what ``python -m etl run`` must do to bring it up to date.

Two fingerprints are stored with every run (``etl_run.load_fingerprint`` and ``rules_fingerprint``):

- **load**: what turns exports into records: the source mappings, the sender salt (hashed: it
  never leaves the secrets folder), the ETL's own code and SQL, and DuckDB's version (its hash()
  matches an append's texts with the stored ones);
- **rules**: what labels and screens the stored text: the reference tables, the sentiment model,
  the code that reads them (text, classify, model), and the analysts' corrections.

``plan`` compares them, and the input files' manifest (path, size, SHA-256), with the warehouse:

- the same files, the same load and the same rules: nothing to do, and the warehouse is left as it
  is (``up to date``);
- the same files and load, other rules or corrections: ``reclassify`` the stored text, with no
  export read again;
- new or changed exports, the same load: ``append`` them (etl/delta.py), reading no other export;
  when the rules changed too, ``reclassify`` first, then append;
- another load (mappings, salt, the ETL's code): ``build`` anew from every export (``--full`` asks for
  that whatever the rest says).

The warehouse is the system of record: exports it loaded that are no longer there (deleted by
``purge-landing``) keep their rows, and an append never needs them. A build would read only what is
there, so when a build is needed and loaded files are missing, the run refuses in one line rather than
drop rows; ``--full`` builds anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from etl import corrections
from etl.delta import Appending
from etl.errors import ConfigError
from etl.model import model
from etl.retention import file_sha256, modified_at

ETL_DIR = Path(__file__).resolve().parent
RULES_CODE = ("text.py", "classify.py", "model.py")


def _digest(parts: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, data in sorted(parts):
        h.update(name.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def load_fingerprint(sources_path: Path, salt: str) -> str:
    code = [(p.relative_to(ETL_DIR).as_posix(), p.read_bytes()) for p in sorted(ETL_DIR.rglob("*.py"))]
    code += [(p.relative_to(ETL_DIR).as_posix(), p.read_bytes()) for p in sorted((ETL_DIR / "sql").glob("*.sql"))]
    # DuckDB's version: an append matches texts by DuckDB's hash() of them (etl/delta.py, text_sketch)
    engine = ("duckdb", duckdb.__version__.encode())
    return _digest([*code, ("sources", sources_path.read_bytes()), ("salt", salt.encode("utf-8")), engine])


def rules_fingerprint(reference_dir: Path, model_path: Path, warehouse: Path) -> str:
    parts = [(f"reference/{p.name}", p.read_bytes()) for p in sorted(reference_dir.glob("*.csv"))]
    parts += [(f"code/{name}", (ETL_DIR / name).read_bytes()) for name in RULES_CODE]
    parts.append(("model", model(model_path).digest.encode()))  # a missing or damaged model: ModelError
    fixes = corrections.latest(corrections.store_path(warehouse))
    parts.append(("corrections", repr(fixes).encode("utf-8")))
    return _digest(parts)


@dataclass(frozen=True)
class Plan:
    action: str  # "up to date", "reclassify", "append" or "build"
    why: str
    last_run: int | None = None
    append: Appending | None = None  # with "append", and with "reclassify" when exports came too


def plan(warehouse: Path, input_dir: Path, files: list[Path], load: str, rules: str, full: bool = False) -> Plan:
    """What a run of ``files`` (under ``input_dir``) must do to ``warehouse``."""
    if full:
        return Plan("build", "--full asks for a build from every export")
    if not warehouse.exists():
        return Plan("build", "there is no warehouse yet")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return Plan("build", "the warehouse cannot be opened")
    try:
        last = con.execute(
            "select run_id, load_fingerprint from etl_run where status = 'success' order by run_id desc limit 1"
        ).fetchone()
        latest = con.execute("select run_id, rules_fingerprint from etl_run order by run_id desc limit 1").fetchone()
        loaded = (
            con.execute("select file, bytes, modified_at, sha256 from etl_file where run_id = ?", [last[0]]).fetchall()
            if last
            else []
        )
    except duckdb.Error:  # a warehouse from before the fingerprints: build it, and they are stored
        return Plan("build", "the warehouse does not say what it was built from")
    finally:
        con.close()
    if last is None or last[1] is None:
        return Plan("build", "the warehouse does not say what it was built from")
    before = {f: (size, sha) for f, size, _, sha in loaded}
    stamps = {f: (size, modified) for f, size, modified, _ in loaded}
    here = {}
    for path in files:
        rel, st = path.relative_to(input_dir).as_posix(), path.stat()
        # A file of the size and modification time it was loaded with is that file (git's and
        # rsync's test): a daily run reads the day's exports, not every export ever received
        # again (hashing the 2.6 GB of 10M records took 6 s of an append); any other is hashed.
        same = rel in stamps and stamps[rel] == (st.st_size, modified_at(st))
        here[rel] = (st.st_size, before[rel][1] if same else file_sha256(path))
    new = sorted(set(here) - set(before))
    changed = sorted(f for f in set(here) & set(before) if here[f] != before[f])
    gone = sorted(set(before) - set(here))
    if last[1] != load:
        if gone:  # a build reads only what is there: the rows of the missing files would go
            raise ConfigError(
                f"{input_dir}: the source mappings, the salt or the ETL's code changed since run {last[0]}, which "
                f"needs a build from every export, and {len(gone)} export file(s) it loaded are not there any "
                f"more (such as {gone[0]}); a build would drop their rows: put them back, or pass --full to build "
                "without them"
            )
        return Plan("build", "the source mappings, the salt or the ETL's code changed", last[0])
    kept = f"; {len(gone)} loaded export file(s) are not there any more (purged?), and their rows stay" if gone else ""
    if new or changed:
        append = Appending(tuple(new + changed), tuple(changed))
        what = f"{len(new)} new and {len(changed)} changed export file(s) since run {last[0]}{kept}"
        if latest[1] != rules:
            why = f"the rules, the model or analysts' corrections changed, and {what}"
            return Plan("reclassify", why, last[0], append)
        return Plan("append", what, last[0], append)
    if latest[1] != rules:
        return Plan(
            "reclassify",
            f"the same exports as run {last[0]}, but the rules, the model or analysts' corrections changed since "
            f"run {latest[0]}{kept}",
            latest[0],
        )
    return Plan("up to date", f"the same exports, rules and corrections as run {latest[0]}{kept}", latest[0])
