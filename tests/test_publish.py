"""The public snapshot: suppression (property-based), content, freezing, the PDF, no personal data."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import zipfile
from pathlib import Path
from unittest.mock import patch

import duckdb
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.cli import main
from etl.errors import ConfigError, EtlError
from etl.publish import parse_period, publish
from etl.suppression import Grid, suppress
from tests.conftest import REFERENCE, ROOT

THRESHOLD = 10
ARTIFACTS = ROOT / "artifacts"


# -- suppression -----------------------------------------------------------------------------------
def two_way(table: np.ndarray, name: str = "t") -> Grid:
    """A two-way table with both margins and the grand total."""
    g = Grid()
    grand = (name, "T", "T")
    r, c = table.shape
    for i in range(r):
        for j in range(c):
            g.cell((name, i, j), table[i, j])
        g.cell((name, i, "T"), table[i].sum())
        g.total((name, i, "T"), [(name, i, j) for j in range(c)])
    for j in range(c):
        g.cell((name, "T", j), table[:, j].sum())
        g.total((name, "T", j), [(name, i, j) for i in range(r)])
    g.cell(grand, table.sum())
    g.total(grand, [(name, i, "T") for i in range(r)])
    g.total(grand, [(name, "T", j) for j in range(c)])
    return g


def recoverable(g: Grid, hidden: set) -> list:
    """Suppressed cells whose value the published cells and the equations fix, found independently
    of the implementation: x_j is fixed iff adding the unit row e_j does not raise the rank of the
    equations restricted to the suppressed cells."""
    keys = sorted(hidden, key=repr)
    if not keys:
        return []
    col = {k: i for i, k in enumerate(keys)}
    rows = []
    for total, parts in g.equations:
        row = np.zeros(len(keys))
        for k, coef in [(total, -1), *[(p, 1) for p in parts]]:
            if k in col:
                row[col[k]] += coef
        rows.append(row)
    a = np.array(rows) if rows else np.zeros((0, len(keys)))
    base = np.linalg.matrix_rank(a) if a.size else 0
    out = []
    for k, i in col.items():
        unit = np.zeros(len(keys))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == base:
            out.append(k)
    return out


small_counts = st.one_of(st.integers(0, 0), st.integers(1, THRESHOLD - 1), st.integers(THRESHOLD, 400))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(1, 6).flatmap(
        lambda r: st.integers(1, 5).flatmap(
            lambda c: st.lists(small_counts, min_size=r * c, max_size=r * c).map(lambda v: np.array(v).reshape(r, c))
        )
    )
)
def test_two_way_tables_cannot_be_recovered_from_totals(table: np.ndarray) -> None:
    g = two_way(table)
    hidden = suppress(g, THRESHOLD)
    for key, value in g.values.items():
        assert key in hidden or value == 0 or value >= THRESHOLD, (key, value)
    assert recoverable(g, hidden) == []
    # the plain-line reading of the same property: no row or column has exactly one hidden entry
    r, c = table.shape
    lines = [[("t", i, j) for j in [*range(c), "T"]] for i in [*range(r), "T"]]
    lines += [[("t", i, j) for i in [*range(r), "T"]] for j in [*range(c), "T"]]
    for line in lines:
        assert sum(k in hidden for k in line) != 1, line


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(small_counts, min_size=6, max_size=6),
    st.lists(st.integers(0, 1), min_size=6, max_size=6),
    st.lists(small_counts, min_size=3, max_size=3),
)
def test_tables_sharing_totals_are_protected_together(cells, split, extra) -> None:
    """A one-way table (by tool) shares the grand total with a two-way one (channel x status),
    and a third table's total equals one of its margins: solved as one system."""
    table = np.array(cells).reshape(3, 2)
    g = two_way(table)
    total = int(table.sum())
    by_tool = [sum(v for v, s in zip(cells, split, strict=True) if s == k) for k in (0, 1)]
    keys = [g.cell(("tool", k), v) for k, v in enumerate(by_tool)]
    g.total(("t", "T", "T"), keys)
    parts = [g.cell(("sub", i), v) for i, v in enumerate(extra[:2])]
    g.cell(("sub",), sum(extra[:2]))
    g.total(("sub",), parts)
    hidden = suppress(g, THRESHOLD)
    assert total == g.values[("t", "T", "T")]
    for key, value in g.values.items():
        assert key in hidden or value == 0 or value >= THRESHOLD
    assert recoverable(g, hidden) == []


def cube(values: np.ndarray) -> Grid:
    """A three-way table with every margin ("T" on one, two or three axes), each margin the total
    of its parts along each axis it sums over: tables that share totals, linked into one system."""
    g = Grid()
    axes = [[*range(n), "T"] for n in values.shape]
    for key in itertools.product(*axes):
        index = tuple(slice(None) if k == "T" else k for k in key)
        g.cell(("c", *key), int(values[index].sum()))
    for key in itertools.product(*axes):
        for axis, k in enumerate(key):
            if k == "T":
                parts = [(*key[:axis], i, *key[axis + 1 :]) for i in range(values.shape[axis])]
                g.total(("c", *key), [("c", *p) for p in parts])
    return g


def checked_rounds(checks: list) -> object:
    """``_Pinned.still_fixed`` that also records its answer beside a fresh factorisation's."""
    from etl.suppression import _Pinned

    real = _Pinned.still_fixed

    def still_fixed(self, col: int) -> bool:
        answer = real(self, col)
        if self.partners and not self.closed:
            hidden = np.zeros(self.system.a.shape[1], dtype=bool)
            hidden[[*self.col_at, *self.partners]] = True
            cols, rows = self.system.component(col, hidden)
            checks.append((answer, col in self.system.fixed(cols, rows)))
        return answer

    return patch.object(_Pinned, "still_fixed", still_fixed)


mostly_small = st.one_of(st.integers(1, THRESHOLD - 1), st.integers(0, THRESHOLD - 1), st.integers(THRESHOLD, 60))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.tuples(st.integers(3, 5), st.integers(3, 4), st.integers(2, 3)).flatmap(
        lambda shape: st.lists(mostly_small, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
            lambda v: np.array(v).reshape(shape)
        )
    )
)
def test_linked_tables_too_large_for_the_exact_search_cannot_be_recovered(values: np.ndarray) -> None:
    """Components of more than EXACT_SEARCH cells: partners are suppressed one after another within
    a round, each check brought up to date from the round's factorisation; every such check must
    agree with a fresh one, and nothing suppressed can be worked out at the end."""
    g = cube(values)
    checks: list = []
    with checked_rounds(checks):
        hidden = suppress(g, THRESHOLD)
    assert [c for c in checks if c[0] != c[1]] == []
    for key, value in g.values.items():
        assert key in hidden or value == 0 or value >= THRESHOLD, (key, value)
    assert recoverable(g, hidden) == []


def test_a_large_component_takes_several_partners_a_round_and_frees_cells_on_the_way() -> None:
    """The path the property above exercises, seen to run: in a cube of mostly small counts, cells
    the round found fixed are found freed by partners chosen earlier in the same round, and others
    still fixed."""
    from etl.suppression import EXACT_SEARCH

    values = np.random.default_rng(4).choice([2, 4, 7, 12, 25, 40], size=(5, 4, 3), p=[0.2, 0.2, 0.2, 0.2, 0.1, 0.1])
    g = cube(values)
    assert len(g.values) > EXACT_SEARCH
    checks: list = []
    with checked_rounds(checks):
        hidden = suppress(g, THRESHOLD)
    assert {answer for answer, _ in checks} == {True, False}
    assert all(answer == fresh for answer, fresh in checks)
    assert recoverable(g, hidden) == []


def test_suppression_prefers_small_cells_and_keeps_large_ones() -> None:
    g = two_way(np.array([[3, 40, 50], [20, 30, 60], [25, 0, 12]]))
    hidden = suppress(g, THRESHOLD)
    assert hidden == {("t", 0, 0), ("t", 0, 1), ("t", 1, 0), ("t", 1, 1)}  # the cheapest rectangle
    assert suppress(two_way(np.array([[0, 40], [20, 30]])), THRESHOLD) == set()


def test_a_grid_refuses_inconsistent_figures() -> None:
    g = Grid()
    g.cell("a", 3)
    with pytest.raises(ValueError, match="declared twice"):
        g.cell("a", 4)
    g.cell("t", 5)
    with pytest.raises(ValueError, match="do not add up"):
        g.total("t", ["a"])


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ("2025-Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
    ],
)
def test_periods(text: str, first: dt.date, last: dt.date) -> None:
    p = parse_period(text)
    assert (p.first, p.last) == (first, last)


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-13", "Q2-2026", "26", "2026-q2; drop table", "last-year"])
def test_bad_periods_are_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="quarter"):
        parse_period(bad)


# -- the snapshot ----------------------------------------------------------------------------------
CANARY_TEXT = "CANARY-RAW-COMMENT تعليق خام لا يُنشر أبدا"
CANARY_PII = ("0551234567", "canary.person@example.com", "1012345679")


@pytest.fixture(scope="module")
def planted(built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the test warehouse with raw comments and personal data planted in its texts."""
    wh, _ = built
    copy = tmp_path_factory.mktemp("planted") / "w.duckdb"
    shutil.copy(wh, copy)
    con = duckdb.connect(str(copy))
    planted_text = f"{CANARY_TEXT} {' '.join(CANARY_PII)}"
    con.execute(
        "update participation set text_redacted = ?, text_normalized = ? where rowid % 7 = 0",
        [planted_text, planted_text],
    )
    con.close()
    return copy


@pytest.fixture(scope="module")
def snapshot(planted: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("public")
    result = publish(planted, "2026-Q2", out, THRESHOLD, REFERENCE)
    assert result.path == out / "2026-Q2" / "v1"
    return result.path


def _everything_published(folder: Path) -> str:
    import pypdfium2 as pdfium

    parts = [p.read_text(encoding="utf-8-sig") for p in folder.rglob("*.csv")]
    parts.append((folder / "data.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(folder / "open_data_csv.zip") as z:
        parts += [z.read(n).decode("utf-8-sig") for n in z.namelist()]
    pdf = pdfium.PdfDocument(str(folder / "report.pdf"))
    parts += [page.get_textpage().get_text_range() for page in pdf]
    return "\n".join(parts)


def test_snapshot_holds_no_raw_text_and_no_personal_data(snapshot: Path) -> None:
    text = _everything_published(snapshot)
    assert "Participations by channel" in text  # the PDF's text was read
    for canary in (CANARY_TEXT[:20], "CANARY", *CANARY_PII):
        assert canary not in text
    for p in snapshot.rglob("*"):
        if p.is_file():
            raw = p.read_bytes()
            assert b"CANARY" not in raw and b"0551234567" not in raw


def test_every_published_count_is_zero_at_least_the_threshold_or_suppressed(snapshot: Path) -> None:
    data = json.loads((snapshot / "data.json").read_text(encoding="utf-8"))
    counts = {m["code"] for m in data["dictionary"]["metrics"] if m["kind"] == "count"}
    counts |= {"published", "hidden", "deleted", "pending", "total"}
    seen = suppressed = 0
    for t in data["dictionary"]["tables"]:
        for row in data[t["code"]]:
            for col, v in row.items():
                if col in counts:
                    seen += 1
                    suppressed += v is None
                    assert v is None or v == 0 or v >= THRESHOLD, (t["code"], row.get("code"), col, v)
    assert seen > 100 and suppressed > 0
    assert data["metadata"]["threshold"] == THRESHOLD


def _lines(rows: list[dict], columns: list[str]) -> list[list]:
    """Each column's cells with the total row's; with a ``total`` column, each row's cells with it."""
    body, total = rows[:-1], rows[-1]
    assert total["code"] == "total"
    lines = [[r[c] for r in body] + [total[c]] for c in columns]
    if "total" in total and "total" not in columns:
        lines += [[r[c] for c in columns] + [r["total"]] for r in rows]
    return lines


def test_published_tables_leave_no_lone_suppressed_cell(snapshot: Path) -> None:
    """Read back from the open data: in every row and column with its total, suppressed cells are
    none or at least two, so none can be had by subtraction."""
    data = json.loads((snapshot / "data.json").read_text(encoding="utf-8"))
    checks = {
        "outcomes_by_channel": ["published", "hidden", "deleted", "pending"],
        "volume_by_channel": ["participations"],
        "volume_by_tool": ["participations"],
        "volume_by_region": ["participations"],
        "volume_by_theme": ["participations"],
        "removals_by_control": ["removed"],
        "responsiveness_by_channel": ["answerable", "answered"],
        "satisfaction_by_channel": ["rated"],
    }
    for table, columns in checks.items():
        for line in _lines(data[table], columns):
            assert sum(v is None for v in line) != 1, (table, line)
    # the grand total is one figure everywhere
    totals = {data[t][-1]["participations"] for t in ("volume_by_channel", "volume_by_tool", "volume_by_theme")}
    assert len(totals) == 1 and totals == {data["outcomes_by_channel"][-1]["total"]}
    # a rate is never published beside a suppressed count
    for row in data["responsiveness_by_channel"]:
        if row["answered"] is None or row["answerable"] is None:
            assert row["share_answered"] is None and (
                row["answered"] is not None or row["median_hours_to_answer"] is None
            )


def test_figures_match_the_warehouse(snapshot: Path, planted: Path) -> None:
    data = json.loads((snapshot / "data.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(planted), read_only=True)
    n = con.execute(
        "select count(*) from participation where submitted_at >= '2026-04-01' and submitted_at < '2026-07-01'"
    ).fetchone()[0]
    per_channel = dict(
        con.execute(
            "select channel, count(*) from participation where submitted_at >= '2026-04-01' "
            "and submitted_at < '2026-07-01' group by 1"
        ).fetchall()
    )
    con.close()
    assert data["headline"]["participations"] == n
    for row in data["volume_by_channel"][:-1]:
        assert row["participations"] in (None, per_channel.get(row["code"], 0))
    assert all(a["title_ar"] and a["title_en"] for a in data["actions"])


def test_publishing_again_makes_a_new_version_and_keeps_the_old(planted: Path, tmp_path: Path) -> None:
    first = publish(planted, "2026-05", tmp_path, THRESHOLD, REFERENCE)
    before = {p.relative_to(first.path): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    second = publish(planted, "2026-05", tmp_path, THRESHOLD, REFERENCE)
    assert (first.version, second.version) == (1, 2)
    after = {p.relative_to(first.path): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    assert after == before
    assert all(not (p.stat().st_mode & 0o222) for p in first.path.rglob("*"))  # read-only, folders too
    meta = json.loads((second.path / "data.json").read_text(encoding="utf-8"))["metadata"]
    assert meta["version"] == 2 and meta["period"] == "2026-05" and meta["published_at"]
    assert not list(tmp_path.glob(".publishing-*"))


def test_personal_data_in_a_public_action_stops_publishing(planted: Path, tmp_path: Path) -> None:
    copy = tmp_path / "w.duckdb"
    shutil.copy(planted, copy)
    con = duckdb.connect(str(copy))
    con.execute("update improvement_action set description_en = 'call 0551234567' where is_public")
    con.close()
    with pytest.raises(EtlError, match="personal data"):
        publish(copy, "2026-Q2", tmp_path / "out", THRESHOLD, REFERENCE)
    assert not (tmp_path / "out" / "2026-Q2" / "v1").exists()


def test_cli_publish_and_its_errors(planted: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "pub"
    assert main(["publish", "--warehouse", str(planted), "--period", "2026-Q1", "--out", str(out)]) == 0
    assert "version 1" in capsys.readouterr().err
    assert main(["publish", "--warehouse", str(planted), "--period", "2026-Q9", "--out", str(out)]) == 2
    assert "use a quarter" in capsys.readouterr().err
    assert main(["publish", "--warehouse", str(planted), "--period", "2019", "--out", str(out)]) != 0
    assert "no participations" in capsys.readouterr().err
    assert not (out / "2019").exists() and sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "2026-Q1",
        "site",
    ]  # nothing written for the empty period, and the site of 2026-Q1 still there
    assert main(["publish", "--warehouse", str(tmp_path / "none.duckdb"), "--period", "2026", "--out", str(out)]) == 2


def test_the_pdf_renders_in_both_languages(snapshot: Path) -> None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(snapshot / "report.pdf"))
    assert len(pdf) >= 4
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    assert "E-participation transparency report" in text and "You said, we did" in text
    ARTIFACTS.mkdir(exist_ok=True)
    for i in (0, len(pdf) // 2):
        image = pdf[i].render(scale=1).to_pil()
        image.save(ARTIFACTS / f"report-page-{i + 1}.png")
        # Arabic pages carry text on the right: the right half of the title band is not blank
        band = np.asarray(image.convert("L"))[40:120]
        assert (band < 128).any()


def test_last_quarter_is_the_last_complete_one() -> None:
    assert parse_period("last-quarter", dt.date(2026, 11, 27)).label == "2026-Q3"
    assert parse_period("last-quarter", dt.date(2026, 2, 1)).label == "2025-Q4"


# -- across snapshots ------------------------------------------------------------------------------
def _family_totals(label: str) -> list[tuple[str, list[str]]]:
    """Written here from the calendar, not taken from etl.publish: parent period -> its parts."""
    year = label[:4]
    out = [(year, [f"{year}-Q{q}" for q in range(1, 5)])]
    out += [(f"{year}-Q{q}", [f"{year}-{m:02d}" for m in range(3 * q - 2, 3 * q + 1)]) for q in range(1, 5)]
    return out


def attacker_view(published: list[tuple[str, int, dict, list]], states: dict) -> tuple[np.ndarray, dict]:
    """What anyone holding every published version can write down, as equations over unknowns.

    ``published``: (period, data state, cells {key: value or None}, equations) per version. A
    version shows its period's counts in one state of the data; ``states`` maps each state to the
    true counts {(period, key): value}. Unknowns are the true counts of every state. Equations:
    each version's own, the calendar (a year is its quarters, a quarter its months) in every state,
    and each published value. Returns the matrix and the column of each unknown."""
    cols: dict = {}

    def col(state, period, key):
        return cols.setdefault((state, period, tuple(key)), len(cols))

    for state, truth in states.items():
        for period, key in truth:
            col(state, period, key)
    rows = []

    def eq(coefs: dict, rhs: float = 0.0) -> None:
        rows.append((coefs, rhs))

    for period, state, cells, equations in published:
        for total, parts in equations:
            c = {col(state, period, total): -1.0}
            for p in parts:
                c[col(state, period, p)] = c.get(col(state, period, p), 0) + 1.0
            eq(c)
        for key, value in cells.items():
            if value is not None:
                eq({col(state, period, key): 1.0}, value)
    for state, truth in states.items():
        keys = {key for _, key in truth if key[0] != "action"}
        for parent, kids in _family_totals(next(iter(truth))[0]):
            for key in keys:
                c = {col(state, parent, key): -1.0}
                for k in kids:
                    c[col(state, k, key)] = 1.0
                eq(c)
    a = np.zeros((len(rows), len(cols)))
    for i, (coefs, _) in enumerate(rows):
        for j, v in coefs.items():
            a[i, j] = v
    return a, cols


def null_space(a: np.ndarray) -> np.ndarray:
    """A basis of the unknowns' combinations that the equations ``a`` leave free (as columns)."""
    _, s, vt = np.linalg.svd(a) if a.size else (None, np.zeros(0), np.eye(a.shape[1]))
    rank = int((s > 1e-9 * max(1.0, s[0] if s.size else 0)).sum())
    return vt[rank:].T


def fixed_combination(null: np.ndarray, combo: np.ndarray) -> bool:
    """A linear combination of the unknowns is fixed iff it is orthogonal to every free direction."""
    return bool(np.abs(combo @ null).max(initial=0) < 1e-7)


def assert_nothing_small_recoverable(a: np.ndarray, cols: dict, states: dict) -> int:
    """No true count from 1 to threshold-1, in any state, and no difference of a count between two
    states from 1 to threshold-1, is fixed. Returns how many were checked."""
    checked = 0
    null = null_space(a)
    for state, truth in states.items():
        for (period, key), value in truth.items():
            if 1 <= value < THRESHOLD and (state, period, key) in cols:
                combo = np.zeros(len(cols))
                combo[cols[(state, period, key)]] = 1
                assert not fixed_combination(null, combo), (state, period, key, value)
                checked += 1
    names = list(states)
    for s1, s2 in itertools.pairwise(names):
        for (period, key), v2 in states[s2].items():
            v1 = states[s1].get((period, key), 0)
            if 1 <= abs(v2 - v1) < THRESHOLD and (s1, period, key) in cols and (s2, period, key) in cols:
                combo = np.zeros(len(cols))
                combo[cols[(s2, period, key)]] = 1
                combo[cols[(s1, period, key)]] = -1
                assert not fixed_combination(null, combo), ("difference", s1, s2, period, key, v2 - v1)
                checked += 1
    return checked


def _period_grid(truth: dict, period: str) -> Grid:
    """A synthetic period's snapshot: counts by category and by kind, both adding up to the total."""
    g = Grid()
    for dim in ("cat", "kind"):
        keys = sorted(k for (p, k) in truth if p == period and k[0] == dim)
        for k in keys:
            g.cell(k, truth[(period, k)])
        g.cell(("all",), truth[(period, ("all",))])
        g.total(("all",), keys)
    return g


def _truth(months: dict[int, np.ndarray]) -> dict:
    """Counts of every period of 2026 from the months' (category x kind) tables."""
    year = "2026"
    per = {f"{year}-{m:02d}": t for m, t in months.items()}
    for q in range(1, 5):
        per[f"{year}-Q{q}"] = sum(months[m] for m in range(3 * q - 2, 3 * q + 1))
    per[year] = sum(months.values())
    truth = {}
    for period, t in per.items():
        for i in range(t.shape[0]):
            truth[(period, ("cat", i))] = int(t[i].sum())
        for j in range(t.shape[1]):
            truth[(period, ("kind", j))] = int(t[:, j].sum())
        truth[(period, ("all",))] = int(t.sum())
    return truth


def _states(cells: list[list[int]], late: list[tuple[int, int, int, int]]) -> list[dict]:
    """The counts of every period of 2026 from twelve months' (category x kind) cells, and, when
    there is a late batch (month, category, kind, records), after it too."""
    months = {m + 1: np.array(c).reshape(3, 2) for m, c in enumerate(cells)}
    states = [_truth(months)]
    if late:
        changed = {m: t.copy() for m, t in months.items()}
        for month, i, j, n in late:
            changed[month][i, j] += n
        states.append(_truth(changed))
    return states


def _publish_in_order(order: list[str], states: list[dict], switch: int):
    """Publish ``order`` with the joint solver as ``publish`` does; the data changes to the second
    state (a late batch) before the ``switch``-th publication. Returns the public record."""
    from types import SimpleNamespace

    from etl.publish import Frozen, _joint, _known, joint_key
    from etl.suppression import solve

    frozen, public, version = [], [], {}
    for step, period in enumerate(order):
        state = 1 if step >= switch and len(states) > 1 else 0
        truth = states[state]
        periods = sorted({p for p, _ in truth})
        family = {p: SimpleNamespace(grid=_period_grid(truth, p)) for p in periods}
        joint, locked, unknown, protected = _joint(family, frozen)
        solution = solve(joint, THRESHOLD, locked=locked, unknown=unknown, protected=protected)
        grid = family[period].grid
        cells = {k: None if joint_key(period, k) in solution.hidden else v for k, v in grid.values.items()}
        for k, v in cells.items():
            assert v is None or v == 0 or v >= THRESHOLD
        version[period] = version.get(period, 0) + 1
        frozen.append(Frozen(period, version[period], _known(cells, grid.equations), grid.equations))
        public.append((period, state, cells, grid.equations))
    return public


PERIODS_2026 = ["2026", *(f"2026-Q{q}" for q in range(1, 5)), *(f"2026-{m:02d}" for m in range(1, 13))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(small_counts, min_size=6, max_size=6), min_size=12, max_size=12),
    st.lists(st.sampled_from(PERIODS_2026), min_size=2, max_size=7),
    st.lists(
        st.tuples(st.integers(1, 12), st.integers(0, 2), st.integers(0, 1), st.integers(1, THRESHOLD - 1)), max_size=2
    ),
    st.integers(0, 6),
)
def test_random_period_hierarchies_published_in_any_order_hide_every_small_count(cells, order, late, switch) -> None:
    """Months, quarters and the year, published in a random order, some of them again after a late
    batch of a few records: with every version side by side, no count from 1 to threshold-1 and no
    change between versions from 1 to threshold-1 can be worked out."""
    states = _states(cells, late)
    public = _publish_in_order(order, states, switch)
    a, cols = attacker_view(public, dict(enumerate(states)))
    assert_nothing_small_recoverable(a, cols, dict(enumerate(states)))


def test_a_quarter_and_its_months_cannot_be_differenced() -> None:
    """The case found by hand: a month's small cell as the quarter minus the other two months."""
    months = {m: np.array([[40, 30], [20, 25], [15, 12]]) for m in range(1, 13)}
    months[4] = np.array([[40, 30], [3, 2], [15, 12]])  # category 1 in April: 5
    states = [_truth(months)]
    public = _publish_in_order(["2026-Q2", "2026-05", "2026-06", "2026-04"], states, 99)
    a, cols = attacker_view(public, {0: states[0]})
    assert assert_nothing_small_recoverable(a, cols, {0: states[0]}) >= 1
    # the quarter, May or June hides its category 1, or April's 5 would be the quarter minus the two
    assert any(cells[("cat", 1)] is None for _, _, cells, _ in public[:3])


def test_a_period_published_again_with_nothing_new_cannot_be_differenced_with_its_first_version() -> None:
    """Found by the random test above: June showed its kind-0 count (210) and hid its total; in
    its second version, with the same data and December published in between, it showed the total
    (216) and hid the kind-0 count, so the kind-1 count was 216 - 210 = 6. A count unchanged since
    it was published is as good as published today."""
    rows = [[0] * 6] * 3 + [[347, 0, 0, 325, 1, 0], [0, 136, 6, 0, 263, 5], [209, 5, 1, 0, 0, 1]]
    rows += [[9, 0, 179, 345, 4, 197], [0, 3, 4, 0, 10, 0], [0, 345, 8, 172, 0, 1], [0, 0, 2, 221, 0, 7]]
    rows += [[256, 332, 204, 0, 0, 4], [0, 0, 282, 131, 101, 46]]
    states = [_truth({m + 1: np.array(c).reshape(3, 2) for m, c in enumerate(rows)})]
    public = _publish_in_order(["2026-06", "2026-12", "2026-06", "2026-11"], states, 99)
    a, cols = attacker_view(public, {0: states[0]})
    assert assert_nothing_small_recoverable(a, cols, {0: states[0]}) >= 1
    first, again = public[0][2], public[2][2]
    assert not (first[("kind", 0)] is not None and again[("all",)] is not None)


def test_a_late_batch_of_a_few_records_is_not_revealed_by_a_new_version() -> None:
    months = {m: np.array([[40, 30], [20, 25], [15, 12]]) for m in range(1, 13)}
    late = {m: t.copy() for m, t in months.items()}
    late[5][2, 1] += 3  # three late complaints of one category and kind in May
    states = [_truth(months), _truth(late)]
    public = _publish_in_order(["2026-Q2", "2026-Q2"], states, 1)
    first, second = public[0][2], public[1][2]
    assert all(v is not None for v in first.values())  # nothing small in the first version
    changed = [k for k in first if second[k] is None]
    assert ("cat", 2) in changed or ("kind", 1) in changed  # the difference of 3 is hidden
    a, cols = attacker_view(public, dict(enumerate(states)))
    assert assert_nothing_small_recoverable(a, cols, dict(enumerate(states))) >= 2


def test_a_quarter_its_months_and_its_year_published_from_the_warehouse_hide_every_small_count(
    planted: Path, tmp_path: Path, capsys
) -> None:
    """The real snapshots: every version's suppression.json (published with it) agrees with its
    data.json, and together, with the calendar's sums, they leave every small count unrecoverable."""
    from etl.publish import _declare, family_of

    order = ["2026-Q2", "2026-05", "2026-04", "2026", "2026-06"]
    for period in order:
        publish(planted, period, tmp_path, THRESHOLD, REFERENCE)
    con = duckdb.connect(str(planted), read_only=True)
    truth = {}
    for period in family_of("2026"):
        try:
            grid = _declare(con, parse_period(period), REFERENCE).grid
        except EtlError:
            continue
        truth |= {(period, k): v for k, v in grid.values.items()}
    con.close()
    public = []
    for period in order:
        folder = tmp_path / period / "v1"
        record = json.loads((folder / "suppression.json").read_text(encoding="utf-8"))
        cells = {tuple(k): v for k, v in record["cells"]}
        equations = [(tuple(t), [tuple(p) for p in parts]) for t, parts in record["equations"]]
        data = json.loads((folder / "data.json").read_text(encoding="utf-8"))
        assert data["headline"]["participations"] == cells[("all",)]
        rows = data["volume_by_channel"]
        keys = [("channel", r["code"]) if r["code"] != "total" else ("all",) for r in rows]
        assert [r["participations"] for r in rows] == [cells[k] for k in keys]
        public.append((period, 0, cells, equations))
    periods = {p for p, _ in truth}
    for period in family_of("2026"):  # a period without data is zero throughout
        if period not in periods:
            for key in {k for _, k in truth}:
                truth[(period, key)] = 0
    a, cols = attacker_view(public, {0: truth})
    assert assert_nothing_small_recoverable(a, cols, {0: truth}) > 20

    # The audit, reading only the folder, finds nothing either; nor after the second quarter is
    # published again from another build of the same data, and June from the first build again.
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(planted, rebuilt)
    con = duckdb.connect(str(rebuilt))
    con.execute("update warehouse_meta set built_at = built_at + interval 1 day")
    con.close()
    publish(rebuilt, "2026-Q2", tmp_path, THRESHOLD, REFERENCE)
    publish(planted, "2026-06", tmp_path, THRESHOLD, REFERENCE)
    assert main(["audit", "--out", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "checked 7 versions of 5 periods, published from 2 warehouse builds" in err
    assert "no count from 1 to 9, and no change of one, can be worked out" in err


def test_publications_at_once_are_solved_one_after_the_other(planted: Path, tmp_path: Path, monkeypatch) -> None:
    """Two publishes of one year at the same moment: the second waits for the first and is solved
    with its frozen version, as if they had been run one after the other (each blind to the other,
    they could together reveal what neither does alone)."""
    import threading
    import time

    import etl.publish as pub

    seen: list[int] = []
    real_frozen, real_build = pub.frozen_versions, pub.build

    def frozen_versions(out: Path, label: str):
        found = real_frozen(out, label)
        seen.append(len(found[0]))
        return found

    def slow_build(*args, **kwargs):
        time.sleep(1.0)  # both are surely under way at once
        return real_build(*args, **kwargs)

    monkeypatch.setattr(pub, "frozen_versions", frozen_versions)
    monkeypatch.setattr(pub, "build", slow_build)
    errors: list[BaseException] = []

    def go(period: str) -> None:
        try:
            publish(planted, period, tmp_path, THRESHOLD, REFERENCE)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(p,)) for p in ("2026-Q2", "2026-05")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert errors == []
    assert sorted(seen) == [0, 1]  # the second saw the first's frozen version


# -- the audit of a published folder ---------------------------------------------------------------
def _write_public(out: Path, public: list[tuple[str, int, dict, list]]) -> list[str]:
    """Write synthetic versions as ``publish`` lays them out (``suppression.json``, and the metadata
    of ``data.json`` that the audit reads): one warehouse build per data state. Returns each
    version's name, in order."""
    names, count = [], {}
    for step, (period, state, cells, equations) in enumerate(public):
        count[period] = count.get(period, 0) + 1
        folder = out / period / f"v{count[period]}"
        folder.mkdir(parents=True)
        record = {
            "cells": [[list(k), v] for k, v in cells.items()],
            "equations": [[list(t), [list(p) for p in parts]] for t, parts in equations],
        }
        (folder / "suppression.json").write_text(json.dumps(record), encoding="utf-8")
        meta = {
            "period": period,
            "published_at": f"2027-01-01T10:{step:02d}:00+03:00",
            "threshold": THRESHOLD,
            "warehouse_version": 1,
            "warehouse_built_at": f"build {state}",
        }
        (folder / "data.json").write_text(json.dumps({"metadata": meta}), encoding="utf-8")
        names.append(f"{period} v{count[period]}")
    return names


def _what_the_attacker_fixes(public: list, states: dict) -> tuple[set, set]:
    """The small counts (state, period, key, value) and small changes (period, key, change) that
    the test's own attacker works out."""
    a, cols = attacker_view(public, states)
    null = null_space(a)
    counts, changes = set(), set()
    for state, truth in states.items():
        for (period, key), value in truth.items():
            combo = np.zeros(len(cols))
            combo[cols[(state, period, key)]] = 1
            if 1 <= value < THRESHOLD and fixed_combination(null, combo):
                counts.add((state, period, key, value))
    for s1, s2 in itertools.pairwise(states):
        for (period, key), v2 in states[s2].items():
            change = v2 - states[s1][(period, key)]
            combo = np.zeros(len(cols))
            combo[cols[(s2, period, key)]], combo[cols[(s1, period, key)]] = 1, -1
            if 1 <= abs(change) < THRESHOLD and fixed_combination(null, combo):
                changes.add((period, key, change))
    return counts, changes


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(small_counts, min_size=6, max_size=6), min_size=12, max_size=12),
    # periods around the second quarter, where the late batches fall: a change can be worked out
    st.lists(st.sampled_from(["2026", "2026-Q1", "2026-Q2", "2026-04", "2026-05", "2026-06"]), min_size=1, max_size=5),
    st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=5, max_size=5),
    st.lists(st.tuples(st.integers(4, 6), st.integers(0, 2), st.integers(0, 1), st.integers(1, 30)), max_size=2),
    st.integers(0, 5),
)
def test_the_audit_works_out_what_the_attacker_does_from_any_pattern_of_hidden_cells(
    tmp_path_factory, cells, order, masks, late, switch
) -> None:
    """Versions that hide cells at random (not as the publisher would: most leak), from one or two
    data states: the audit, reading only the published folder, works out exactly the small counts
    and the small changes that the test's own attacker, knowing which versions share data, does."""
    from etl.audit import audit

    states = _states(cells, late)
    public = []
    for step, period in enumerate(order):
        state = 1 if step >= switch and len(states) > 1 else 0
        grid = _period_grid(states[state], period)
        hidden = {k for k, h in zip(sorted(grid.values, key=repr), masks[step], strict=True) if h}
        public.append((period, state, {k: None if k in hidden else v for k, v in grid.values.items()}, grid.equations))
    out = tmp_path_factory.mktemp("audit")
    names = _write_public(out, public)
    state_of = {name: state for name, (_, state, _, _) in zip(names, public, strict=True)}
    counts, changes = _what_the_attacker_fixes(public, dict(enumerate(states)))

    found = [f for f in audit(out).findings if f.assumption == "as built"]
    assert {(state_of[f.build], f.period, f.key, f.value) for f in found if not f.change} == counts
    assert {(f.period, f.key, f.value) for f in found if f.change} == changes
    for f in found:  # each names versions that hold the figures it is worked out from
        assert f.sources and set(f.sources) <= set(names)


def test_the_audit_finds_a_count_worked_out_across_two_versions_of_unchanged_data(tmp_path: Path, capsys) -> None:
    """The disclosure the publisher made before 3a4f7dc: June's first version showed its kind-0
    count and hid its total, its second (another build, nothing new in June) showed the total and
    hid kind 0. Assuming June unchanged, kind 1 is 216 - 210."""
    equations = [(("all",), (("kind", 0), ("kind", 1)))]
    june1 = {("all",): None, ("kind", 0): 210, ("kind", 1): None}
    december = {("all",): 0, ("kind", 0): 0, ("kind", 1): 0}
    june2 = {("all",): 216, ("kind", 0): None, ("kind", 1): None}
    public = [("2026-06", 0, june1, equations), ("2026-12", 0, december, equations), ("2026-06", 1, june2, equations)]
    _write_public(tmp_path, public)
    assert main(["audit", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["2026-06 kind 1 = 6, worked out from 2026-06 v1, 2026-06 v2 (assumption: unchanged)"]
    assert "checked 3 versions of 2 periods, published from 2 warehouse builds" in err
    assert "1 count from 1 to 9 can be worked out" in err


def test_a_publication_the_audit_can_work_a_small_count_out_of_is_not_written(
    planted: Path, tmp_path: Path, monkeypatch
) -> None:
    """The publisher asks ``etl.audit`` (which reads only what is public) for a second opinion
    before it writes: with a suppression that hides the small counts but not their complements,
    the small counts are totals minus parts, and nothing is published."""
    import etl.publish as pub
    from etl.suppression import Solution

    def primary_only(grid: Grid, threshold: int, *, locked=(), unknown=(), protected=()) -> Solution:
        small = {k for k, v in grid.values.items() if 1 <= v < threshold and k not in grid.unknown}
        return Solution(frozenset((small - set(locked)) | set(unknown) | grid.unknown), frozenset())

    monkeypatch.setattr(pub, "solve", primary_only)
    with pytest.raises(EtlError, match=r"2026-Q2: publishing it would let anyone work out \d+ small counts?"):
        publish(planted, "2026-Q2", tmp_path, THRESHOLD, REFERENCE)
    assert not (tmp_path / "2026-Q2").exists() and not list(tmp_path.glob(".publishing-*"))


def test_a_disclosure_already_public_is_listed_by_the_audit_and_does_not_stop_the_next_publication(
    planted: Path, tmp_path: Path, capsys
) -> None:
    """A version altered to show one of its small counts (as a publisher without suppression across
    versions could have): the audit lists it; the next publication, which adds nothing to it, goes
    ahead, since what is public already cannot be taken back."""
    from etl.publish import _declare

    publish(planted, "2026-06", tmp_path, THRESHOLD, REFERENCE)
    con = duckdb.connect(str(planted), read_only=True)
    truth = _declare(con, parse_period("2026-06"), REFERENCE).grid.values
    con.close()
    folder = tmp_path / "2026-06" / "v1"
    record = json.loads((folder / "suppression.json").read_text(encoding="utf-8"))
    shown = next(cell for cell in record["cells"] if cell[1] is None and 1 <= truth[tuple(cell[0])] < THRESHOLD)
    shown[1] = truth[tuple(shown[0])]
    folder.chmod(0o755)
    (folder / "suppression.json").chmod(0o644)
    (folder / "suppression.json").write_text(json.dumps(record), encoding="utf-8")

    publish(planted, "2026-05", tmp_path, THRESHOLD, REFERENCE)
    assert (tmp_path / "2026-05" / "v1" / "data.json").exists()
    capsys.readouterr()
    assert main(["audit", "--out", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    key = " ".join(str(part) for part in shown[0])
    assert f"2026-06 {key} = {shown[1]} (in the data of 2026-06 v1), worked out from 2026-06 v1" in lines[0]


def test_the_audit_refuses_figures_that_contradict_each_other(tmp_path: Path, capsys) -> None:
    """Two versions from one build (one data) that disagree: a version was altered after it was
    published. Nothing can be concluded from them, and the audit says so in one line."""
    equations = [(("all",), (("kind", 0), ("kind", 1)))]
    june1 = {("all",): 216, ("kind", 0): 210, ("kind", 1): None}
    june2 = {("all",): 216, ("kind", 0): 200, ("kind", 1): None}
    _write_public(tmp_path, [("2026-06", 0, june1, equations), ("2026-06", 0, june2, equations)])
    assert main(["audit", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "2026: the published figures contradict each other" in err and len(err.strip().splitlines()) == 1


def test_a_snapshot_is_asked_of_a_lake_only(built, tmp_path: Path, capsys) -> None:
    """``--at-snapshot`` on a DuckDB file would publish the file's data as if it were that snapshot."""
    wh, _ = built
    out = tmp_path / "public"
    assert main(["publish", "--period", "2026", "--warehouse", str(wh), "--out", str(out), "--at-snapshot", "3"]) == 2
    assert "--at-snapshot" in capsys.readouterr().err and not out.exists()
