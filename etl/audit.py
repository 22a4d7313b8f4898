"""``python -m etl audit``: what anyone holding every published version can work out, side by side.

``etl.publish`` suppresses each new version with every earlier one in mind (``_joint``). This
module checks the result from the public's side, with none of the publisher's reasoning: it reads
only what is public under ``OUT`` (each version's ``suppression.json``, its counts with null where
suppressed and its equations, and the build each version was published from, in ``data.json``),
writes it down as linear equations, and asks which counts from 1 to threshold-1, and which changes
of a count between two builds from 1 to threshold-1, those equations fix.

The unknowns are each build's true counts: two versions published from the same warehouse build
(``warehouse_version``, ``warehouse_built_at``, ``lake_snapshot``) show the same data. The
equations are each version's own (a total is the sum of its parts), the calendar in every build (a
year is the sum of its quarters, a quarter of its months, count by count), and every published
value; a count a published version does not list is 0 in it. Two assumptions are checked in turn:

- ``as built``: the data may have changed between builds, in any way;
- ``unchanged``: a count is the same in every build unless what is public shows that it changed (two
  values that differ, or equations that cannot otherwise hold). A period is most often published
  again with nothing new in it, and anyone may assume so. Where the public figures show a change,
  the count, and the same count of the periods above it, is taken as changed.

What is not claimed: bounds (a suppressed count known to lie between 1 and 9 is no disclosure of its
value); assumptions finer than these two (for instance that one count changed and a second did not,
where nothing public says which); and, under ``unchanged``, a change fixed through a count assumed
unchanged while neither of its two values is fixed (a change is checked where both are).

A finding under ``unchanged`` is what anyone who assumes so works out; where the data did change,
that figure is wrong. The audit reports it all the same, for a figure already public cannot be
taken back; ``publish`` (which asks this module before it writes) stops only on findings ``as
built``, which hold whatever the data did.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from etl.errors import EtlError
from etl.publish import PERIOD_LABEL, children_of, read_record, versions
from etl.suppression import in_row_space

ASSUMPTIONS = ("as built", "unchanged")
_TOL = 1e-6


@dataclass(frozen=True)
class Version:
    """One published version as the public has it."""

    period: str
    number: int
    published_at: str
    build: tuple
    threshold: int
    cells: dict[tuple, int | None]
    equations: list[tuple[tuple, tuple[tuple, ...]]]

    @property
    def name(self) -> str:
        return f"{self.period} v{self.number}"


@dataclass(frozen=True)
class Finding:
    """A small count (or a small change of one between two builds) that the public can work out."""

    assumption: str
    period: str
    key: tuple
    value: int
    sources: tuple[str, ...]  # the versions whose figures it is worked out from
    change: tuple[str, str] | None = None  # for a change: the first version published from each build
    build: str | None = None  # for one build's count (not one taken as unchanged): the build's first version

    def describe(self) -> str:
        what = " ".join(str(part) for part in self.key)
        if self.change:
            a, b = self.change
            head = f"{self.period} {what}: changed by {self.value:+d} between the data of {a} and of {b}"
        else:
            head = f"{self.period} {what} = {self.value}"
            if self.build:
                head += f" (in the data of {self.build})"
        return f"{head}, worked out from {', '.join(self.sources)} (assumption: {self.assumption})"


@dataclass
class Audit:
    threshold: int
    versions: list[Version]
    builds: int
    skipped: list[Path]  # versions without suppression.json: not taken into account
    findings: list[Finding] = field(default_factory=list)
    refuted: dict[str, int] = field(default_factory=dict)  # year -> counts the public figures show changed


def version_from(period: str, number: int, metadata: dict, record: dict) -> Version:
    """A version from its ``data.json`` metadata and its ``suppression.json`` record."""
    build = (metadata.get("warehouse_version"), metadata.get("warehouse_built_at"), metadata.get("lake_snapshot"))
    cells, equations = read_record(record)
    return Version(period, number, metadata["published_at"], build, int(metadata["threshold"]), cells, equations)


def read_versions(out: Path, year: str | None = None) -> tuple[list[Version], list[Path]]:
    """Every version under ``out`` (of ``year`` only, when given) with its ``suppression.json``, in
    order of publication; and the version folders without one (published before it existed)."""
    found, skipped = [], []
    folders = sorted(p for p in out.iterdir() if p.is_dir() and PERIOD_LABEL.match(p.name)) if out.is_dir() else []
    folders = [p for p in folders if year is None or p.name[:4] == year]
    for folder in folders:
        for n in versions(out, folder.name):
            path = folder / f"v{n}"
            if not (path / "suppression.json").exists():
                skipped.append(path)
                continue
            try:
                record = json.loads((path / "suppression.json").read_text(encoding="utf-8"))
                meta = json.loads((path / "data.json").read_text(encoding="utf-8"))["metadata"]
                found.append(version_from(folder.name, n, meta, record))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise EtlError(f"{path}: cannot read suppression.json or data.json ({exc}): a snapshot?") from exc
    found.sort(key=lambda v: (v.published_at, v.period, v.number))
    return found, skipped


def audit(out: Path, threshold: int | None = None) -> Audit:
    """Check every version under ``out`` under both assumptions. ``threshold``: the smallest count
    that may be known (default: the largest any version was published with)."""
    found, skipped = read_versions(out)
    if threshold is None:
        threshold = max((v.threshold for v in found), default=2)
    result = Audit(threshold, found, len({v.build for v in found}), skipped)
    result.findings = check(found, threshold, result.refuted)
    return result


def check(found: list[Version], threshold: int, refuted: dict | None = None) -> list[Finding]:
    """The findings from ``found`` (in order of publication), a year at a time: the calendar links
    only a year's periods. ``refuted``, when given, receives per year how many counts the public
    figures show changed between builds."""
    builds = list(dict.fromkeys(v.build for v in found))
    by_year: dict[str, list[Version]] = defaultdict(list)
    for v in found:
        by_year[v.period[:4]].append(v)
    findings = []
    for year, group in sorted(by_year.items()):
        order = [builds.index(b) for b in builds if any(v.build == b for v in group)]
        seen: set = set()
        for assumption in ASSUMPTIONS:
            model = _Year(year, group, order, builds)
            if assumption == "unchanged":
                split = model.merge_what_is_not_refuted()
                if refuted is not None:
                    refuted[year] = split
            for finding in model.findings(assumption, threshold):
                same = (finding.period, finding.key, finding.change, finding.value)
                if assumption == "as built":
                    seen.add(same)
                elif same in seen:  # worked out without assuming anything already
                    continue
                findings.append(finding)
    return findings


def added_by(found: list[Version], new: Version, threshold: int) -> list[Finding]:
    """What publishing ``new`` after ``found`` would let anyone work out that they cannot already."""
    year = [v for v in found if v.period[:4] == new.period[:4]]
    after = check([*year, new], threshold)
    if not after:  # the usual case: nothing to subtract, and no need to check without the new one
        return []
    before = {_same(f) for f in check(year, threshold)}
    return [f for f in after if _same(f) not in before]


def _same(f: Finding) -> tuple:
    return (f.assumption, f.period, f.key, f.value, f.change, f.build)


class _Inconsistent(Exception):
    """The published figures cannot all hold under the current assumption; ``cells`` may explain it."""

    def __init__(self, cells: set) -> None:
        super().__init__(cells)
        self.cells = cells


class _Year:
    """A year's versions as equations over the builds' true counts."""

    def __init__(self, year: str, group: list[Version], builds: list[int], all_builds: list[tuple]) -> None:
        self.year = year
        self.group = group
        self.builds = builds  # indexes into all_builds, in order of publication
        self.build_of = {v.name: all_builds.index(v.build) for v in group}
        self.first = {}  # each build's first version of the year: how a finding names the build
        for v in group:
            self.first.setdefault(self.build_of[v.name], v.name)
        self.periods = [year, *(f"{year}-Q{q}" for q in range(1, 5)), *(f"{year}-{m:02d}" for m in range(1, 13))]
        self.keys = sorted({k for v in group for k in v.cells if k[0] != "action"}, key=repr)
        self.merged: set = set()  # counts (period, key) taken as one figure in every build

    @staticmethod
    def count(period: str, key: tuple) -> tuple:
        """A count of the calendar: an action's counts are one figure whatever the period."""
        return ("action", *key) if key[0] == "action" else (period, key)

    def var(self, build: int, period: str, key: tuple) -> Hashable:
        c = self.count(period, key)
        return ("*", c) if c in self.merged else (build, c)

    def _above(self, count: tuple) -> set:
        """The count and the same count of the periods above it (a change in June is one in Q2 and the year)."""
        if count[0] == "action":
            return {count}
        period, key = count
        return {count} | {(parent, key) for parent in self.periods if period in _below(parent)}

    def _system(self):
        """Known values, and the equations as rows {variable: coefficient} with the versions each comes from."""
        known: dict[Hashable, tuple[int, set]] = {}
        conflicts: set = set()
        rows: list[tuple[dict, set]] = []
        for v in self.group:
            b = self.build_of[v.name]
            listed = set(v.cells)
            values = {**{k: 0 for k in self.keys if k not in listed}, **v.cells}
            for key, value in values.items():
                if value is None:
                    continue
                x = self.var(b, v.period, key)
                if x in known and known[x][0] != value:
                    conflicts.add(self.count(v.period, key))
                known.setdefault(x, (int(value), set()))[1].add(v.name)
            for total, parts in v.equations:
                row: dict = defaultdict(float)
                row[self.var(b, v.period, total)] -= 1
                for p in parts:
                    row[self.var(b, v.period, p)] += 1
                rows.append((row, {v.name}))
        for b in self.builds:
            for parent in self.periods:
                kids = children_of(parent)
                if not kids:
                    continue
                for key in self.keys:
                    row = defaultdict(float)
                    row[self.var(b, parent, key)] -= 1
                    for kid in kids:
                        row[self.var(b, kid, key)] += 1
                    rows.append((row, set()))
        if conflicts:
            raise _Inconsistent(conflicts)
        return known, rows

    def merge_what_is_not_refuted(self) -> int:
        """Take every count as unchanged across builds, then split those the public figures show
        changed, until the figures hold. Returns how many counts were split."""
        every = {self.count(p, k) for p in self.periods for k in self.keys}
        every |= {self.count(v.period, k) for v in self.group for k in v.cells if k[0] == "action"}
        self.merged = set(every)
        while True:
            try:
                self._solve()
                return len(every) - len(self.merged)
            except _Inconsistent as exc:
                split = {a for c in exc.cells for a in self._above(c)} & self.merged
                if not split:
                    raise
                self.merged -= split

    def _solve(self) -> tuple[dict, list[_Part]]:
        """The known values, and the unknowns by connected part, each part solved."""
        known, rows = self._system()
        seen: dict = {}
        for row, origin in rows:
            rhs, unknown, sources = 0.0, {}, set(origin)
            for x, coef in row.items():
                if coef == 0:
                    continue
                if x in known:
                    rhs -= coef * known[x][0]
                    sources |= known[x][1]
                else:
                    unknown[x] = coef
            if not unknown:
                if abs(rhs) > _TOL:
                    raise _Inconsistent(_counts(row))
                continue
            same = (frozenset(unknown.items()), round(rhs, 9))
            if same in seen:  # one build's calendar again, where every count is taken as unchanged
                seen[same][2].update(sources)
                continue
            seen[same] = (unknown, rhs, sources, row)
        reduced = list(seen.values())
        if not reduced:
            return known, []
        names = list(dict.fromkeys(x for unknown, *_ in reduced for x in unknown))
        col = {x: i for i, x in enumerate(names)}
        r_idx, c_idx, data = [], [], []
        for i, (unknown, *_) in enumerate(reduced):
            for x, coef in unknown.items():
                r_idx.append(i)
                c_idx.append(col[x])
                data.append(coef)
        a = sparse.csr_matrix((data, (r_idx, c_idx)), shape=(len(reduced), len(names)))
        n, label = csgraph.connected_components(abs(a).T @ abs(a), directed=False)
        rows_of = defaultdict(list)
        for i, (unknown, *_) in enumerate(reduced):
            rows_of[label[col[next(iter(unknown))]]].append(i)
        parts = []
        for comp in range(n):
            cols = np.flatnonzero(label == comp)
            rws = rows_of[comp]
            part = _Part(
                [names[c] for c in cols],
                a[rws][:, cols].toarray(),
                np.array([reduced[i][1] for i in rws]),
                [reduced[i][2] for i in rws],
            )
            if part.bad.size:
                raise _Inconsistent({c for i in part.bad for c in _counts(reduced[rws[i]][3])})
            parts.append(part)
        return known, parts

    def findings(self, assumption: str, threshold: int) -> list[Finding]:
        try:
            known, parts = self._solve()
        except _Inconsistent as exc:
            raise EtlError(
                f"{self.year}: the published figures contradict each other (at {sorted(map(str, exc.cells))[:3]}); "
                "a version was altered after it was published, or two were published from different data "
                "under one build"
            ) from exc

        def small(value: float) -> int | None:
            n = round(float(value))
            return n if 1 <= abs(n) < threshold and abs(value - n) < 1e-6 else None

        out = []
        where = {name: part for part in parts for name in part.names}
        fixed: dict[Hashable, float] = {x: value for x, (value, _) in known.items()}
        for part in parts:
            fixed.update(
                {name: float(v) for name, v in zip(part.names, part.x, strict=True) if part.fixed[part.index[name]]}
            )

        def sources(combination: dict) -> tuple[str, ...]:
            """The versions whose figures ``combination`` is worked out from."""
            used: set = set()
            for x in combination:
                if x in known:
                    used |= known[x][1]
            rest = {x: coef for x, coef in combination.items() if x not in known}
            for part in {id(where[x]): where[x] for x in rest}.values():
                used |= part.sources_of({x: c for x, c in rest.items() if where[x] is part})
            return tuple(sorted(used))

        for name, value in fixed.items():  # any period's count, published or not
            n = small(value)
            if n is not None and n > 0:
                build = None if name[0] == "*" else self.first[name[0]]
                out.append(Finding(assumption, *self._label(name), n, sources({name: 1.0}), build=build))
        # A change between two builds: one count's values in both. Under ``as built`` no equation
        # links two builds, so a change is fixed exactly when both its values are. Under
        # ``unchanged`` a count taken as unchanged could link them; a change fixed that way while
        # neither value is, is not looked for.
        by_count: dict = defaultdict(dict)
        for name in fixed:
            if name[0] != "*":
                by_count[name[1]][name[0]] = name
        for per_build in by_count.values():
            for b1, b2 in itertools.combinations(sorted(per_build, key=self.builds.index), 2):
                x1, x2 = per_build[b1], per_build[b2]
                n = small(fixed[x2] - fixed[x1])
                if n is not None:
                    change = (self.first[b1], self.first[b2])
                    out.append(Finding(assumption, *self._label(x2), n, sources({x2: 1.0, x1: -1.0}), change))
        return out

    def _label(self, name: Hashable) -> tuple[str, tuple]:
        count = name[1]
        if count[0] == "action":
            return "every period", tuple(count)
        return count[0], tuple(count[1])


class _Part:
    """A connected part of the unknowns and the equations between them: ``a x = rhs``."""

    def __init__(self, names: list, a: np.ndarray, rhs: np.ndarray, sources: list[set]) -> None:
        self.names = names
        self.index = {x: i for i, x in enumerate(names)}
        self.a = a
        self.sources = sources
        self.x, *_ = np.linalg.lstsq(a, rhs, rcond=None)
        residual = a @ self.x - rhs
        self.bad = np.flatnonzero(np.abs(residual) > _TOL * max(1.0, float(np.abs(rhs).max(initial=0))))
        self.fixed = in_row_space(a)

    def _vector(self, combination: dict) -> np.ndarray:
        c = np.zeros(len(self.names))
        for x, coef in combination.items():
            c[self.index[x]] = coef
        return c

    def sources_of(self, combination: dict) -> set:
        """The versions of the equations that add up to ``combination`` (a fixed one)."""
        y, *_ = np.linalg.lstsq(self.a.T, self._vector(combination), rcond=None)
        return set().union(*(self.sources[i] for i in np.flatnonzero(np.abs(y) > 1e-9)))


def _below(period: str) -> set[str]:
    """Every period inside ``period``: a year's quarters and months, a quarter's months."""
    kids = children_of(period)
    return set(kids) | {m for k in kids for m in children_of(k)}


def _counts(row: dict) -> set:
    return {x[1] for x in row}
