"""Statistical disclosure control for the public snapshot: primary and complementary suppression.

Every published count is 0, at least the threshold, or suppressed. A small count (1 to threshold-1)
is suppressed first (primary suppression). Published tables carry totals, and the same totals appear
in several tables, so a suppressed cell could be worked out by subtraction: complementary
suppression hides further cells until none can.

The counts of all tables of a snapshot are solved together, as one system of linear equations
(``total = sum of its parts``), so a figure shared between tables (the grand total, a channel's
volume) is one variable with one fate. A suppressed cell can be recovered exactly when its value is
the same in every solution of the equations with the published cells fixed, that is, when the null
space of the equations restricted to the suppressed cells is zero in its coordinate. While some
suppressed cell is so determined, the smallest non-zero published cell of an equation it appears
in is suppressed too (least information lost). The loop ends: each round suppresses one more cell.

What is not claimed: bounds. Knowing that a suppressed count is between 1 and the threshold, or
that counts are not negative, can narrow a suppressed cell to an interval; it never gives its value.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Grid:
    """Counts to publish, by key, and the equations between them (each: total = sum of parts)."""

    values: dict[Hashable, int] = field(default_factory=dict)
    equations: list[tuple[Hashable, tuple[Hashable, ...]]] = field(default_factory=list)

    def cell(self, key: Hashable, value: int) -> Hashable:
        """Declare a count. Declaring the same key twice must give the same value: it is one figure."""
        value = int(value)
        if value < 0:
            raise ValueError(f"{key!r}: a count cannot be negative ({value})")
        if key in self.values and self.values[key] != value:
            raise ValueError(f"{key!r} declared twice with different values: {self.values[key]} and {value}")
        self.values[key] = value
        return key

    def total(self, total: Hashable, parts: Iterable[Hashable]) -> None:
        """``total`` is the sum of ``parts`` (all declared already)."""
        parts = tuple(parts)
        missing = [k for k in (total, *parts) if k not in self.values]
        if missing:
            raise KeyError(f"undeclared cells in an equation: {missing}")
        if sum(self.values[p] for p in parts) != self.values[total]:
            raise ValueError(f"{total!r}: the parts do not add up to the total")
        self.equations.append((total, parts))


def _matrix(grid: Grid, index: dict[Hashable, int]) -> np.ndarray:
    a = np.zeros((len(grid.equations), len(index)))
    for row, (total, parts) in enumerate(grid.equations):
        a[row, index[total]] -= 1
        for p in parts:
            a[row, index[p]] += 1
    return a


def determined(a: np.ndarray, suppressed: list[int]) -> list[int]:
    """Those suppressed cells (column indexes of ``a``) whose value the equations fix exactly."""
    if not suppressed:
        return []
    sub = a[:, suppressed]
    if not sub.any():
        return []
    _, s, vt = np.linalg.svd(sub)
    rank = int((s > 1e-9 * max(1.0, s[0] if s.size else 0)).sum())
    null = vt[rank:]  # rows span the null space of sub
    if null.shape[0] == 0:
        return list(suppressed)
    free = np.abs(null).max(axis=0) > 1e-9
    return [c for c, f in zip(suppressed, free, strict=True) if not f]


def _neighbours(a: np.ndarray, hidden: np.ndarray, cells: list[int], values: np.ndarray, limit: int) -> list[int]:
    """Published cells sharing an equation with any of ``cells``: the ``limit`` smallest non-zero first."""
    rows = np.flatnonzero(np.abs(a[:, cells]).sum(axis=1))
    found = {int(c) for r in rows for c in np.flatnonzero(a[r]) if not hidden[c]}
    return sorted(found, key=lambda c: (values[c] == 0, values[c], c))[:limit]


def _partners(a: np.ndarray, values: np.ndarray, hidden: np.ndarray, target: int) -> list[int]:
    """Cells to suppress so that ``target`` can no longer be recovered: the cheapest single cell
    that frees it; else the cheapest pair (as a rectangle in a two-way table); else the smallest
    neighbour, and the next round goes on from there."""

    def frees(extra: tuple[int, ...]) -> bool:
        trial = hidden.copy()
        trial[list(extra)] = True
        return target not in determined(a, list(np.flatnonzero(trial)))

    first = _neighbours(a, hidden, [target], values, 16)
    for c in first:
        if frees((c,)):
            return [c]
    pairs = []
    for c in first:
        trial = hidden.copy()
        trial[c] = True
        for d in _neighbours(a, trial, [c], values, 16):
            if frees((c, d)):
                pairs.append((values[c] + values[d], c, d))
    if pairs:
        return list(min(pairs)[1:])
    if first:
        return first[:1]
    rest = _neighbours(a, hidden, list(np.flatnonzero(hidden)), values, 1)
    if not rest:  # every cell of every equation is hidden already
        raise RuntimeError("no published cell left to suppress")
    return rest


def suppress(grid: Grid, threshold: int) -> set[Hashable]:
    """The keys to suppress: every count from 1 to ``threshold - 1``, and the complementary cells
    that keep each of them from being recovered through the equations."""
    if threshold < 1:
        raise ValueError("the threshold must be at least 1")
    keys = list(grid.values)
    index = {k: i for i, k in enumerate(keys)}
    values = np.array([grid.values[k] for k in keys], dtype=np.int64)
    hidden = (values >= 1) & (values < threshold)
    a = _matrix(grid, index)
    while True:
        fixed = determined(a, list(np.flatnonzero(hidden)))
        if not fixed:
            break
        hidden[_partners(a, values, hidden, fixed[0])] = True
    return {keys[i] for i in np.flatnonzero(hidden)}
