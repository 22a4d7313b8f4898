"""Source mappings (data/sources.yaml): load, check and match files to them.

A mapping says how one export format becomes the canonical record; adding a format is a YAML change.
Every problem with the file is reported as a ``ConfigError`` naming the source and what to fix.
"""

from __future__ import annotations

import codecs
import difflib
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from etl.errors import ConfigError

PARTICIPATION_FIELDS: tuple[str, ...] = (
    "source_record_id",
    "channel",
    "tool",
    "submitted_at",
    "text",
    "rating",
    "language",
    "region",
    "beneficiary_type",
    "sender",
    "attachments_count",
    "attachment_names",
    "moderation_status",
    "moderation_control",
    "moderated_at",
    "responded_at",
    "poll_id",
    "question",
    "answer",
)
ACTION_FIELDS: tuple[str, ...] = (
    "action_id",
    "title_ar",
    "title_en",
    "description_ar",
    "description_en",
    "theme",
    "owner_unit",
    "status",
    "proposed_at",
    "approved_at",
    "started_at",
    "completed_at",
    "is_public",
    "linked_themes",
)
DATE_FIELDS = {
    "submitted_at",
    "moderated_at",
    "responded_at",
    "proposed_at",
    "approved_at",
    "started_at",
    "completed_at",
}
KINDS = {"participation": PARTICIPATION_FIELDS, "improvement_action": ACTION_FIELDS}


@dataclass(frozen=True)
class Source:
    """One export format and how its columns map to the canonical record."""

    key: str
    name_ar: str
    name_en: str
    kind: str
    pattern: str
    format: str
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: int | str = 0
    null_values: tuple[str, ...] = ()
    calendar: str = "gregorian"
    date_formats: tuple[str, ...] = ("iso",)
    timezone: str = "Asia/Riyadh"
    constants: dict[str, str] = field(default_factory=dict)
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # empty for the canonical template
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    required: tuple[str, ...] = ("submitted_at",)
    source_from_file: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return KINDS[self.kind]

    @property
    def is_template(self) -> bool:
        """The canonical template: the header names the canonical fields themselves."""
        return not self.columns

    def matches(self, relpath: str) -> bool:
        return fnmatch.fnmatch(relpath, self.pattern)


def load_sources(path: Path) -> dict[str, Source]:
    """Read and check data/sources.yaml: each source through ``SourceSpec`` (unknown keys refused)."""
    if not path.exists():
        raise ConfigError(f"{path}: source mappings not found; set SOURCES_PATH or restore data/sources.yaml")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix the file and run again") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), dict):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping")
    return {str(key): _source(str(key), spec or {}, path) for key, spec in doc["sources"].items()}


class _DuplicateKey(ValueError):
    pass


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key written twice in one mapping: YAML keeps the last silently,
    so a second ``values:`` in a source would drop the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise _DuplicateKey(f"line {line}: {key!r} is written twice in the same mapping; keep one")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"{name!r} is not a time zone name (use one such as Asia/Riyadh or UTC)") from None
    return name


def _known_encoding(name: str) -> str:
    try:
        codecs.lookup(name)
    except LookupError:
        raise ValueError(f"{name!r} is not an encoding (use one such as utf-8, utf-8-sig or cp1256)") from None
    return name


def _date_format(fmt: str) -> str:
    """``iso``, or a strptime format that DuckDB, which parses the dates, accepts."""
    if fmt == "iso":
        return fmt
    if "%" not in fmt:
        raise ValueError(f"{fmt!r} is not a date format (use iso, or strptime codes such as %d/%m/%Y %H:%M)")
    try:
        duckdb.execute("select try_strptime('', ?)", [fmt])
    except duckdb.Error:
        raise ValueError(f"{fmt!r} is not a date format DuckDB reads (strptime codes such as %d/%m/%Y)") from None
    return fmt


class SourceSpec(BaseModel):
    """One entry of data/sources.yaml as written; unknown keys are refused (``date_format:`` is not
    ``date_formats:``), and so are canonical field names that do not exist for the source's kind."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    name_ar: str | None = None
    name_en: str | None = None
    kind: Literal["participation", "improvement_action"] = "participation"
    pattern: str = Field(min_length=1)
    format: Literal["csv", "xlsx", "jsonl"]
    encoding: Annotated[str, AfterValidator(_known_encoding)] = "utf-8"
    delimiter: str = Field(",", min_length=1, max_length=1)
    sheet: int | str = 0
    null_values: list[str] = []
    calendar: Literal["gregorian", "hijri"] = "gregorian"
    date_formats: list[Annotated[str, AfterValidator(_date_format)]] = Field(["iso"], min_length=1)
    timezone: Annotated[str, AfterValidator(_known_zone)] = "Asia/Riyadh"
    constants: dict[str, str] = {}
    columns: Literal["canonical"] | dict[str, str | list[str]]
    values: dict[str, dict[str, str]] = {}
    required: list[str] = ["submitted_at"]
    source_from_file: bool = False

    @model_validator(mode="after")
    def _canonical_names(self) -> SourceSpec:
        allowed = KINDS[self.kind]
        named = {
            "columns": [] if self.columns == "canonical" else list(self.columns),
            "constants": list(self.constants),
            "values": list(self.values),
            "required": self.required,
        }
        for where, names in named.items():
            for name in names:
                if name not in allowed:
                    close = difflib.get_close_matches(name, allowed, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(allowed)}"
                    raise ValueError(f"{where}: {name!r} is not a canonical field of a {self.kind} record; {hint}")
        if self.columns != "canonical" and not self.columns:
            raise ValueError("columns: map canonical fields to export columns (or write 'canonical')")
        return self


FIELDS_OF_A_SOURCE = tuple(SourceSpec.model_fields)


def _problem(err: dict[str, Any]) -> str:
    """One pydantic error as a reader of the YAML file needs it: where, and what to write."""
    loc = ".".join(str(part) for part in err["loc"] if not isinstance(part, int) or len(err["loc"]) == 1)
    if err["type"] == "extra_forbidden":
        name = str(err["loc"][-1])
        close = difflib.get_close_matches(name, FIELDS_OF_A_SOURCE, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"a source takes {', '.join(FIELDS_OF_A_SOURCE)}"
        return f"{name!r} is not a setting of a source mapping; {hint}"
    if err["type"] == "missing":
        return f"needs {loc!r}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "literal_error":
        return f"{loc}: {msg[0].lower()}{msg[1:]}"
    return f"{loc}: {msg}" if loc and not msg.startswith(f"{loc}:") else msg


def _source(key: str, spec: object, path: Path) -> Source:
    where = f"{path}: source {key!r}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping of settings (format, pattern, columns, ...)")
    try:
        m = SourceSpec.model_validate(spec)
    except ValidationError as exc:
        raise ConfigError(f"{where}: " + "; ".join(_problem(e) for e in exc.errors())) from None
    return Source(
        key=key,
        name_ar=m.name_ar or key,
        name_en=m.name_en or key,
        kind=m.kind,
        pattern=m.pattern,
        format=m.format,
        encoding=m.encoding,
        delimiter=m.delimiter,
        sheet=m.sheet,
        null_values=tuple(m.null_values),
        calendar=m.calendar,
        date_formats=tuple(m.date_formats),
        timezone=m.timezone,
        constants=dict(m.constants),
        columns={}
        if m.columns == "canonical"
        else {name: tuple(col) if isinstance(col, list) else (col,) for name, col in m.columns.items()},
        values=m.values,
        required=tuple(m.required),
        source_from_file=m.source_from_file,
    )


def utf8_name(rel: str) -> str:
    """``rel``, a file's path in the landing zone as stored with every row read from it. A name that
    is not valid UTF-8 (Linux allows any bytes) could be neither stored nor shown: the run stops and
    names the file, its odd bytes escaped, so it can be renamed."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise ConfigError(f"{shown}: the file name is not valid UTF-8; rename it") from None
    return rel


def match_files(input_dir: Path, sources: dict[str, Source]) -> list[tuple[Path, Source]]:
    """Every file under ``input_dir`` with the one source it matches, in a stable order.

    A file that matches no source, or more than one, is an error: nothing is skipped silently.
    Hidden files (a leading dot) and README files are not exports and are passed over.
    """
    out: list[tuple[Path, Source]] = []
    for p in sorted(input_dir.rglob("*")):
        rel = p.relative_to(input_dir).as_posix()
        if p.is_dir() or any(part.startswith(".") for part in Path(rel).parts):
            continue
        if p.name.lower() in ("readme.md", "readme.txt", "license", "license.upstream"):
            continue
        utf8_name(rel)  # hidden files are passed over whatever their names
        hits = [s for s in sources.values() if s.matches(rel)]
        if not hits:
            raise ConfigError(
                f"{rel}: matches no source in data/sources.yaml; add a mapping for it or move it out of {input_dir}"
            )
        if len(hits) > 1:
            names = ", ".join(s.key for s in hits)
            raise ConfigError(f"{rel}: matches several sources ({names}); make their patterns distinct")
        out.append((p, hits[0]))
    return out
