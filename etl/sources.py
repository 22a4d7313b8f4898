"""Source mappings (data/sources.yaml): load, check and match files to them.

A mapping says how one export format becomes the canonical record; adding a format is a YAML change.
Every problem with the file is reported as a ``ConfigError`` naming the source and what to fix.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
FORMATS = {"csv", "xlsx", "jsonl"}
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
    """Read and check data/sources.yaml."""
    if not path.exists():
        raise ConfigError(f"{path}: source mappings not found; set SOURCES_PATH or restore data/sources.yaml")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc.__class__.__name__}); fix the file and run again") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), dict):
        raise ConfigError(f"{path}: expected a top-level 'sources:' mapping")
    return {key: _source(key, spec or {}, path) for key, spec in doc["sources"].items()}


def _source(key: str, spec: dict[str, Any], path: Path) -> Source:
    where = f"{path}: source {key!r}"
    kind = spec.get("kind", "participation")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {sorted(KINDS)}")
    fmt = spec.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: format must be one of {sorted(FORMATS)}")
    if not spec.get("pattern"):
        raise ConfigError(f"{where}: needs a 'pattern' (a glob under the input directory)")
    allowed = set(KINDS[kind])
    raw_cols = spec.get("columns", {})
    columns: dict[str, tuple[str, ...]] = {}
    if raw_cols != "canonical":
        if not isinstance(raw_cols, dict) or not raw_cols:
            raise ConfigError(f"{where}: 'columns' must map canonical fields to export columns (or be 'canonical')")
        for name, col in raw_cols.items():
            if name not in allowed:
                raise ConfigError(f"{where}: {name!r} is not a canonical field; use one of {sorted(allowed)}")
            columns[name] = tuple(str(c) for c in col) if isinstance(col, list) else (str(col),)
    constants = {str(k): str(v) for k, v in (spec.get("constants") or {}).items()}
    for name in constants:
        if name not in allowed:
            raise ConfigError(f"{where}: constant {name!r} is not a canonical field")
    values = {str(f): {str(a): str(c) for a, c in m.items()} for f, m in (spec.get("values") or {}).items()}
    calendar = spec.get("calendar", "gregorian")
    if calendar not in ("gregorian", "hijri"):
        raise ConfigError(f"{where}: calendar must be gregorian or hijri")
    required = tuple(spec.get("required", ["submitted_at"]))
    for name in required:
        if name not in allowed:
            raise ConfigError(f"{where}: required field {name!r} is not a canonical field")
    return Source(
        key=key,
        name_ar=str(spec.get("name_ar", key)),
        name_en=str(spec.get("name_en", key)),
        kind=kind,
        pattern=str(spec["pattern"]),
        format=fmt,
        encoding=str(spec.get("encoding", "utf-8")),
        delimiter=str(spec.get("delimiter", ",")),
        sheet=spec.get("sheet", 0),
        null_values=tuple(str(v) for v in spec.get("null_values", [])),
        calendar=calendar,
        date_formats=tuple(spec.get("date_formats", ["iso"])),
        timezone=str(spec.get("timezone", "Asia/Riyadh")),
        constants=constants,
        columns=columns,
        values=values,
        required=required,
        source_from_file=bool(spec.get("source_from_file", False)),
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
