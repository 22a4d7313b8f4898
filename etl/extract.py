"""Extract: read one export file through its mapping into canonical string columns.

Each reader returns an ``Extracted``: the mapped fields as strings (None for empty), the line each
record starts on, and the rows that could not even be split into fields (a wrong field count, a
broken JSON line) with their line and reason, for the quarantine. Typing and validation happen
later, in SQL, over all files at once.

Whole-file problems (wrong encoding, a truncated XLSX, an empty file, a missing column) raise an
``InputFileError`` whose message says which file and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from hijridate import Hijri

from etl.errors import InputFileError
from etl.parallel import beside
from etl.sources import DATE_FIELDS, Source

# No field is refused for its size here: validation quarantines over-long texts row by row.
csv.field_size_limit(1 << 30)
_SINGLE_BYTE = {"cp1256", "windows-1256", "iso-8859-6", "latin-1", "iso-8859-1", "cp1252"}
_HIJRI_DAY = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})$")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass
class Extracted:
    source: str
    file: str
    fields: tuple[str, ...]
    columns: dict[str, list[str | None]]
    lines: list[int] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def rows_read(self) -> int:
        return len(self.lines) + len(self.rejects)

    def to_arrow(self) -> pa.Table:
        n = len(self.lines)
        data: dict[str, pa.Array] = {
            "source": pa.array([self.source] * n, pa.string()),
            "file": pa.array([self.file] * n, pa.string()),
            "line": pa.array(self.lines, pa.int64()),
        }
        for f in self.fields:
            data[f] = pa.array(self.columns.get(f, [None] * n), pa.string())
        return pa.table(data)


def extract(path: Path, rel: str, src: Source, source_name: str) -> Extracted:
    """Read ``path`` (shown to people as ``rel``) through the mapping ``src``."""
    if path.stat().st_size == 0:
        raise InputFileError(rel, "the file is empty (0 bytes)", "re-export it, or remove it from the input directory")
    reader = {"csv": _csv_rows, "xlsx": _xlsx_rows, "jsonl": _jsonl_rows}[src.format]
    out = Extracted(source_name, rel, src.fields, {})
    header: list[Any] | None = None
    rows: list[list[Any]] = []
    for line, record in reader(path, rel, src):
        if isinstance(record, str):  # a reason: the row could not be read
            out.rejects.append((line, record))
        elif header is None:  # the first row is the header
            header = record
        elif len(record) != len(header):
            out.rejects.append((line, f"expected {len(header)} fields, found {len(record)}"))
        else:
            out.lines.append(line)
            rows.append(record)
    if header is None:
        if src.format != "jsonl":
            raise InputFileError(rel, "no header row", "re-export it with its column names in the first row")
        header = []
    out.columns = _columns(header, rows, src, rel, premapped=src.format == "jsonl")
    if src.calendar == "hijri":
        for name in DATE_FIELDS & set(out.columns):
            out.columns[name] = _hijri_to_iso(out.columns[name])
    return out


Plan = dict[str, tuple[str, ...] | str]  # field -> the columns it joins, or a constant (str)


def plan(
    header: list[Any], src: Source, rel: str, premapped: bool = False, has_rows: bool = True
) -> tuple[Plan, list[str]]:
    """How each canonical field comes from a file with this header; also the header's names.

    ``premapped``: the reader already mapped the fields (JSON Lines), so the header is their names.
    """
    names = [str(h).strip() if h is not None else "" for h in header]
    index = {n: i for i, n in enumerate(names)}
    template = src.is_template or premapped
    mapping = {f: (f,) for f in src.fields if f in index} if template else src.columns
    missing = sorted({c for cols in mapping.values() for c in cols if c not in index})
    if src.is_template:
        missing = sorted(set(src.required) - set(mapping))
    if missing and (has_rows or src.format != "jsonl"):
        raise InputFileError(
            rel,
            f"missing column(s) {', '.join(missing)}",
            f"re-export with those columns or fix the '{src.key}' mapping in data/sources.yaml",
        )
    out: Plan = {}
    for name in src.fields:
        if name in src.constants and name not in mapping:
            out[name] = src.constants[name]
        elif name in mapping and all(c in index for c in mapping[name]):
            out[name] = mapping[name]
    return out, names


def _columns(
    header: list[Any], rows: list[list[Any]], src: Source, rel: str, premapped: bool
) -> dict[str, list[str | None]]:
    """The canonical fields as columns, fetched column by column (a field per pass, not per row)."""
    fields, names = plan(header, src, rel, premapped, has_rows=bool(rows))
    index = {n: i for i, n in enumerate(names)}
    nulls = frozenset(src.null_values)
    typed = src.format != "csv"  # XLSX cells and JSON values may be numbers, dates, ...
    out: dict[str, list[str | None]] = {}
    for name, how in fields.items():
        if isinstance(how, str):
            out[name] = [how] * len(rows)
        else:
            parts = [_clean([r[index[c]] for r in rows], nulls, typed) for c in how]
            out[name] = parts[0] if len(parts) == 1 else _join(parts)
    return out


def _clean(values: list[Any], nulls: frozenset[str], typed: bool) -> list[str | None]:
    """Strings, with empty, blank and null-marker cells as None."""
    if typed:
        values = [_cell(v) for v in values]
    return [None if v is None or v in nulls or not v.strip() else v for v in values]


def _join(parts: list[list[str | None]]) -> list[str | None]:
    """Several columns as one value (a date split in parts), empty when any part is."""
    return [None if None in p else " ".join(p) for p in zip(*parts)]  # type: ignore[arg-type]


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    s = str(v)
    return s if s.strip() else None


# -- CSV ---------------------------------------------------------------------------------------
def _text_stream(path: Path, rel: str, src: Source) -> io.TextIOBase:
    enc = src.encoding.lower()
    try:
        codecs.lookup(enc)
    except LookupError as exc:
        raise InputFileError(
            rel,
            f"unknown encoding {src.encoding!r} in the '{src.key}' mapping",
            "use a Python codec name such as utf-8, utf-8-sig or cp1256",
        ) from exc
    if enc in _SINGLE_BYTE:
        head = path.open("rb").read(1 << 16)
        try:
            decoded = head.decode("utf-8")
            looks_utf8 = any(ord(c) > 127 for c in decoded)
        except UnicodeDecodeError as exc:
            looks_utf8 = exc.start > 1000 and exc.reason == "unexpected end of data"
        if looks_utf8:
            raise InputFileError(
                rel,
                f"looks like UTF-8, but the '{src.key}' mapping says {src.encoding}",
                f"re-export it as {src.encoding}, or set encoding: utf-8 for it in data/sources.yaml",
            )
    return io.TextIOWrapper(path.open("rb"), encoding=enc, newline="", errors="strict")


def _csv_rows(path: Path, rel: str, src: Source) -> Iterator[tuple[int, Any]]:
    stream = _text_stream(path, rel, src)
    reader = csv.reader(stream, delimiter=src.delimiter, strict=True)
    prev = 0
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            if not row:
                continue
            if start == 1 and row and row[0].startswith("\ufeff"):
                row[0] = row[0][1:]
            yield start, row
    except UnicodeDecodeError as exc:
        raise InputFileError(
            rel,
            f"is not valid {src.encoding} (near line {prev + 1})",
            f"re-export it as {src.encoding}, or set the right encoding for '{src.key}' in data/sources.yaml",
        ) from exc
    except csv.Error as exc:
        raise InputFileError(
            rel, f"malformed CSV near line {prev + 1} ({exc})", "check the quoting and delimiter, or re-export it"
        ) from exc
    finally:
        stream.close()


# -- XLSX --------------------------------------------------------------------------------------
XLSX_MAX_RATIO = 100  # real exports compress 5-20 times; a zip bomb, hundreds or thousands
XLSX_MAX_EXPANDED = 2 << 30


def _check_zip(path: Path, rel: str) -> None:
    """Refuse an XLSX whose parts would expand beyond reason before anything unzips them."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            expanded = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputFileError(
            rel,
            f"is not a readable XLSX workbook ({type(exc).__name__})",
            "it may be truncated or corrupt: re-export it",
        ) from exc
    packed = max(path.stat().st_size, 1)
    if expanded > XLSX_MAX_EXPANDED or (expanded > 100 << 20 and expanded / packed > XLSX_MAX_RATIO):
        raise InputFileError(
            rel,
            f"would expand from {packed / 1e6:,.1f} MB to {expanded / 1e6:,.0f} MB when unzipped (a zip bomb?)",
            "it was not opened; re-export it from the source system",
        )


def _xlsx_rows(path: Path, rel: str, src: Source) -> Iterator[tuple[int, Any]]:
    from python_calamine import CalamineWorkbook

    _check_zip(path, rel)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet = wb.get_sheet_by_name(src.sheet) if isinstance(src.sheet, str) else wb.get_sheet_by_index(src.sheet)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for zip and XML faults
        raise InputFileError(
            rel,
            f"is not a readable XLSX workbook ({type(exc).__name__})",
            "it may be truncated or corrupt: re-export it from the source system",
        ) from exc
    for i, row in enumerate(rows, start=1):
        if all(v is None or v == "" for v in row):
            continue
        yield i, row


# -- JSON Lines ---------------------------------------------------------------------------------
def _jsonl_rows(path: Path, rel: str, src: Source) -> Iterator[tuple[int, Any]]:
    stream = _text_stream(path, rel, src)
    mapping = src.columns or {f: (f,) for f in src.fields}
    yield 0, [f for f in src.fields if f in mapping]  # a synthetic header: the fields, already mapped
    try:
        for i, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                yield i, "invalid JSON"
                continue
            if not isinstance(obj, dict):
                yield i, "not a JSON object"
                continue
            yield i, [_path_value(obj, mapping[f]) for f in src.fields if f in mapping]
    except UnicodeDecodeError as exc:
        raise InputFileError(rel, f"is not valid {src.encoding}", "re-export it as UTF-8") from exc
    finally:
        stream.close()


def _path_value(obj: dict, cols: tuple[str, ...]) -> str | None:
    parts = []
    for col in cols:
        v: Any = obj
        for key in _split_path(col):
            v = v.get(key) if isinstance(v, dict) else None
        if isinstance(v, list):  # attachments: their names, ';'-separated
            v = ";".join(str(x.get("name", "")) if isinstance(x, dict) else str(x) for x in v) or None
        elif isinstance(v, dict):
            v = json.dumps(v, ensure_ascii=False, sort_keys=True)
        parts.append(_cell(v))
    if len(parts) == 1:
        return parts[0]
    return None if None in parts else " ".join(parts)  # type: ignore[arg-type]


@cache
def _split_path(col: str) -> tuple[str, ...]:
    return tuple(col.split("."))


# -- Hijri ---------------------------------------------------------------------------------------
def _hijri_to_iso(values: list[str | None]) -> list[str | None]:
    """Umm al-Qura dates (Y/M/D, optional time) to ISO Gregorian; one conversion per distinct day.

    An invalid date becomes a marker that no date format accepts, so its row is quarantined.
    """
    days: dict[str, str | None] = {}
    out: list[str | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        day, _, time = v.translate(_DIGITS).strip().replace("T", " ").partition(" ")
        if day not in days:
            days[day] = _hijri_day(day)
        g = days[day]
        time = time.strip()
        out.append("invalid hijri date" if g is None else f"{g}T{time}" if time else g)
    return out


def _hijri_day(day: str) -> str | None:
    m = _HIJRI_DAY.match(day)
    if not m:
        return None
    try:
        return Hijri(int(m[1]), int(m[2]), int(m[3])).to_gregorian().isoformat()
    except (ValueError, OverflowError):
        return None


# -- CSV through DuckDB's reader ------------------------------------------------------------------
NATIVE_ENCODINGS = {"utf-8", "utf8", "utf-8-sig"}


def _line_breaks(path: Path) -> tuple[int, bool]:
    """How many LF bytes the file holds, and whether it ends with one (read in 16 MB blocks)."""
    n, last = 0, b""
    with path.open("rb") as fh:
        while block := fh.read(16 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n, last == b"\n"


def _cleaned(col: str) -> str:
    """``col`` as null when blank (only spaces, tabs, line breaks; the empty string and the null
    values are null already, by read_csv's ``nullstr``). trim() with its own characters is slow on
    long texts, so it runs only on values whose first byte sorts below "!": those that start with a
    space or a control character (strings compare byte by byte; left(col, 1) cost twice as much)."""
    return f"case when {col} < '!' and trim({col}, ' \t\r\n') = '' then null else {col} end"


def _mapped(
    fields: dict[str, Any], index: dict[str, int], value: Callable[[int], str], const: Callable[[int], str]
) -> str:
    """The SQL select list of the mapping's fields: ``value(i)`` reads cleaned column c<i>,
    ``const(k)`` the k-th field's constant; fields from several columns are joined by a space."""
    exprs = []
    for k, how in enumerate(fields.values()):
        if isinstance(how, str):
            exprs.append(const(k))
        elif len(how) == 1:
            exprs.append(value(index[how[0]]))
        else:
            parts = [value(index[c]) for c in how]
            exprs.append(
                "case when "
                + " or ".join(f"{p} is null" for p in parts)
                + " then null else "
                + " || ' ' || ".join(parts)
                + " end"
            )
    return ", ".join(f"{e} as {name}" for e, name in zip(exprs, fields))


def extract_csv_native(
    con: Any,
    path: Path,
    rel: str,
    src: Source,
    source_name: str,
    first_row_id: int,
    target: str,
    keep: str | None = None,
) -> int | None:
    """Load a UTF-8 CSV with DuckDB's reader into ``target``; the rows it added.

    None when the file needs the Python reader: another encoding, or any row DuckDB rejects (the
    Python reader then gives each its physical line and reason). Columns are named c0..cN here,
    so nothing from the file's header is ever part of the SQL. A record's line is its position
    plus the line breaks inside earlier records' quoted fields.

    With ``keep`` (a table name the caller chose), a file without line breaks inside its fields is
    not copied: the rows as read stay in table ``keep`` and view ``keep``_rows gives them in
    ``target``'s columns (cleaned and mapped as a copy would be; the file's constants come from
    table ``native_file``, which the caller creates). Copying every string once more cost more
    than the cleaning it does.
    """
    if src.format != "csv" or src.encoding.lower() not in NATIVE_ENCODINGS or src.calendar != "gregorian":
        return None
    if path.stat().st_size == 0:
        raise InputFileError(rel, "the file is empty (0 bytes)", "re-export it, or remove it from the input directory")
    rows = _csv_rows(path, rel, src)
    header = next(rows, (0, None))[1]
    rows.close()
    if not header or isinstance(header, str):
        return None
    fields, names = plan(header, src, rel)
    index = {n: i for i, n in enumerate(names)}
    if len(index) != len(names):
        return None  # duplicate column names: let the Python reader decide
    columns = {f"c{i}": "VARCHAR" for i in range(len(names))}
    # the file's line breaks are counted while DuckDB reads it
    with beside(_line_breaks, path) as counted:
        con.execute("set preserve_insertion_order = true")
        try:
            con.execute(
                "create or replace temp table _native as select * from read_csv(?, header = true, auto_detect = false, "
                "columns = ?, delim = ?, quote = '\"', escape = '\"', strict_mode = true, store_rejects = true, "
                "rejects_table = '_native_rejects', rejects_scan = '_native_scans', encoding = 'utf-8', nullstr = ?)",
                # the empty string and the mapping's null values, quoted or not, are read as null
                [str(path), columns, src.delimiter, list(dict.fromkeys(("", *src.null_values)))],
            )
            rejected = con.execute("select count(*) from _native_rejects").fetchone()[0]
            if rejected:
                return None
            params: dict[str, Any] = {
                "first_row_id": first_row_id,
                "source": source_name,
                "mapping": src.key,
                "file": rel,
            }
            params.update({f"k{k}": how for k, how in enumerate(fields.values()) if isinstance(how, str)})
            used = sorted({index[c] for how in fields.values() if not isinstance(how, str) for c in how})
            cleaned = ", ".join(_cleaned(f"c{i}") + f" as c{i}" for i in used) or "null as _none"
            newlines = " + ".join(  # counted only in values that have one (a search is cheaper than a copy)
                f"case when contains(c{i}, chr(10)) then strlen(c{i}) - strlen(replace(c{i}, chr(10), '')) else 0 end"
                for i in range(len(names))
            )
            breaks, count = con.execute(f"select coalesce(sum({newlines}), 0), count(*) from _native").fetchone()
            file_breaks, ends_with_break = counted.result()
            if file_breaks != count + 1 + breaks - (0 if ends_with_break else 1):
                # DuckDB skipped a record without a reject (a line over its max_line_size does that),
                # or the file has blank or CR-only lines: the Python reader accounts for every line.
                return None
            # A record's line: 2 (after the header) + its position + the line breaks inside earlier records.
            line = (
                "2 + r + coalesce(sum(breaks) over (order by r rows between unbounded preceding and 1 preceding), 0)"
                if breaks
                else "2 + r"
            )
            if keep is not None and not breaks:
                _keep_rows(con, keep, src, fields, index, params)
                return int(count)
            select_fields = _mapped(fields, index, lambda i: f"c{i}", lambda k: f"$k{k}")
            n = con.execute(
                f"insert into {target} (row_id, source, mapping, file, line, {', '.join(fields)}) "
                f"with numbered as (select rowid as r, {newlines if breaks else '0'} as breaks, * from _native), "
                f"cleaned as (select r, breaks, {cleaned} from numbered) "
                f"select $first_row_id + r, $source, $mapping, $file, {line}, {select_fields} "
                "from cleaned",
                params,
            ).fetchone()[0]
            return int(n)
        finally:
            con.execute("set preserve_insertion_order = false")
            con.execute("drop table if exists _native")
            con.execute("drop table if exists _native_rejects")
            con.execute("drop table if exists _native_scans")


def _keep_rows(
    con: Any, keep: str, src: Source, fields: dict[str, Any], index: dict[str, int], params: dict[str, Any]
) -> None:
    """Keep ``_native`` as table ``keep`` and define view ``keep``_rows over it (see
    extract_csv_native). The view holds no value from the file or its mapping: the source, file,
    first row id and constant fields are one row of ``native_file``, bound."""
    if not keep.isidentifier():
        raise ValueError(f"not a table name: {keep!r}")
    consts = [how if isinstance(how, str) else None for how in fields.values()]
    con.execute(
        "insert into native_file values (?, ?, ?, ?, ?, ?)",
        [
            keep,
            params["first_row_id"],
            params["source"],
            params["mapping"],
            params["file"],
            consts,
        ],
    )
    con.execute(f"alter table _native rename to {keep}")

    def value(i: int) -> str:
        return "(" + _cleaned(f"n.c{i}") + ")"

    select_fields = _mapped(fields, index, value, lambda k: f"f.consts[{k + 1}]")
    con.execute(
        f"create temp view {keep}_rows as select f.first_row_id + n.rowid as row_id, f.source, f.mapping, "
        f"f.file, 2 + n.rowid as line, {select_fields} from {keep} as n, native_file as f "
        f"where f.name = '{keep}'"
    )
