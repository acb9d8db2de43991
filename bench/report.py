"""Figures, targets and the one table ``make bench`` prints.

A :class:`Row` is one measurement of fakefiles (``value``), optionally with what it is
compared with in the same run (``base``: the bare reference, or the 100-file case) and the
paired per-repeat ratios. A :class:`Target` on a row says which figure must stay on which side
of a limit; a miss within :data:`NOISE` of the limit is reported as "near" (these machines are
noisy), past it as "MISSED", which makes the run exit non-zero. A target this stack cannot
reach carries its measured ``reason`` and the figure it was documented at (``bound``): a miss
no worse than that is "known" (printed with the reason, exit status 0); worse is "MISSED".
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NOISE = 0.10  # a miss by less than 10% of the limit is "near", not a failure


@dataclass
class Stat:
    values: list[float]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


def stat(values: list[float]) -> Stat | None:
    return Stat(list(values)) if values else None


@dataclass
class Target:
    op: Literal[">=", "<=", "<"]
    limit: float
    on: Literal["ratio", "value"] = "ratio"

    def describe(self, unit: str) -> str:
        suffix = "×" if self.on == "ratio" else f" {unit}"
        return f"{self.op} {self.limit:g}{suffix}"


@dataclass
class Row:
    group: str
    name: str
    unit: str
    value: Stat | None
    base: Stat | None = None
    ratio: Stat | None = None
    base_label: str = "ref"
    target: Target | None = None
    note: str = ""  # why there is no figure, or what it was measured with
    reason: str = ""  # a named, measured reason for a known miss
    bound: float | None = None  # the figure that reason was documented at

    @property
    def checked(self) -> float | None:
        if self.target is None:
            return None
        figure = self.ratio if self.target.on == "ratio" else self.value
        return None if figure is None else figure.median

    @property
    def status(self) -> str:
        if self.target is None:
            return ""
        x = self.checked
        if x is None:
            return "n/a"
        t = self.target
        met = x >= t.limit if t.op == ">=" else x <= t.limit if t.op == "<=" else x < t.limit
        if met:
            return "met"
        if self.reason and self.bound is not None:
            if x >= self.bound if t.op == ">=" else x <= self.bound:
                return "known"
        near = x >= t.limit * (1 - NOISE) if t.op == ">=" else x <= t.limit * (1 + NOISE)
        if near:
            return "near"
        return "MISSED"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["status"] = self.status
        return out


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    @property
    def missed(self) -> list[Row]:
        return [r for r in self.rows if r.status == "MISSED"]


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.3f}"


def triple(s: Stat | None) -> str:
    return "-" if s is None else f"{fmt(s.min)} / {fmt(s.median)} / {fmt(s.max)}"


def table(report: Report) -> str:
    head = ["measurement", "unit", "fakefiles min/med/max", "compared with min/med/max",
            "ratio (med)", "target", "status"]
    lines: list[list[str]] = []
    group = None
    for row in report.rows:
        if row.group != group:
            group = row.group
            lines.append([f"[{group}]", "", "", "", "", "", ""])
        if row.value is None:
            lines.append([row.name, row.unit, row.note or "n/a", "", "", "", row.status])
            continue
        base = "" if row.base is None else f"{row.base_label}: {triple(row.base)}"
        ratio = "" if row.ratio is None else fmt(row.ratio.median) + "×"
        target = "" if row.target is None else row.target.describe(row.unit)
        lines.append([row.name, row.unit, triple(row.value), base, ratio, target, row.status])
    widths = [max(len(line[i]) for line in [head, *lines]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    # Each note once, after the rows it explains (a known miss's reason first).
    notes: dict[str, list[str]] = {}
    for r in report.rows:
        text = f"known miss: {r.reason}" if r.status == "known" else r.note
        if text and r.value is not None:
            notes.setdefault(text, []).append(r.name)
    if notes:
        out.append("")
        out += [f"* {', '.join(names)}: {text}" for text, names in notes.items()]
    return "\n".join(out)
