"""The small comparisons every object kind shares: collect details, added/removed, defaults."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sync_schema import ir
from sync_schema.drift.changes import LABELS, Change, Detail, DetailKind, Entry, Severity


@dataclass(slots=True)
class Collector:
    details: list[Detail] = field(default_factory=list)

    def add(
        self,
        severity: Severity,
        kind: DetailKind,
        items: Sequence[str],
        entries: Sequence[Entry] | None = None,
    ) -> None:
        """A detail of `kind`; its entries default to one per item, named by it."""
        if items:
            structured = tuple(entries) if entries is not None else tuple(Entry(i) for i in items)
            self.details.append(Detail(severity, LABELS[kind], tuple(items), kind, structured))


def added_removed(
    kind: str, old: dict[str, Any], new: dict[str, Any], *, removed: Severity
) -> list[Change]:
    return [
        Change(kind, old[k].schema, old[k].name, "removed", removed)
        for k in sorted(old.keys() - new.keys())
    ] + [
        Change(kind, new[k].schema, new[k].name, "added", Severity.LOW)
        for k in sorted(new.keys() - old.keys())
    ]


def modified(kind: str, schema: str, name: str, c: Collector) -> list[Change]:
    if not c.details:
        return []
    severity = max(d.severity for d in c.details)
    return [Change(kind, schema, name, "modified", severity, tuple(c.details))]


def compare_named(
    c: Collector,
    kinds: tuple[DetailKind, DetailKind, DetailKind],
    a: dict[str, str],
    b: dict[str, str],
) -> None:
    """Named constraints added, removed and changed (kinds in that order)."""
    added, removed, changed = kinds
    new = [n for n in b if n not in a]
    c.add(Severity.LOW, added, [f"{n}: {b[n]}" for n in new], [Entry(n, None, b[n]) for n in new])
    c.add(Severity.LOW, removed, [n for n in a if n not in b])
    moved = [n for n in b if n in a and a[n] != b[n]]
    c.add(
        Severity.LOW,
        changed,
        [f"{n}: {b[n]}" for n in moved],
        [Entry(n, a[n], b[n]) for n in moved],
    )


#: A constant, cast once or more: `''::text`, `'x'::character varying(7)`, `NULL::text`, `0::bigint`.
_CAST_CONSTANT = re.compile(
    r"(?P<value>'(?:[^']|'')*'|-?[0-9]+(?:\.[0-9]+)?|NULL|true|false)"
    r"(?:::[a-z_][a-z0-9_ ]*(?:\([0-9, ]+\))?(?:\[\])*)+"
)


def default_value(expression: str | None) -> str | None:
    """A default as the value it gives: the spelling of a cast constant is not a change."""
    if expression is None:
        return None
    found = _CAST_CONSTANT.fullmatch(expression)
    if found is None:
        return expression
    value = found["value"]
    return None if value == "NULL" else value


def required_on_insert(column: ir.Column) -> bool:
    """Whether an Insert must carry the column: NOT NULL, no default, not generated, no identity."""
    return (
        not column.nullable
        and column.default is None
        and column.identity is None
        and column.generated is None
    )


CHECK_KINDS = (
    DetailKind.CHECK_CONSTRAINTS_ADDED,
    DetailKind.CHECK_CONSTRAINTS_REMOVED,
    DetailKind.CHECK_CONSTRAINTS_CHANGED,
)
UNIQUE_KINDS = (
    DetailKind.UNIQUE_CONSTRAINTS_ADDED,
    DetailKind.UNIQUE_CONSTRAINTS_REMOVED,
    DetailKind.UNIQUE_CONSTRAINTS_CHANGED,
)


def table_kind(table: ir.Table) -> str:
    return "VIEW" if table.is_view else "TABLE"


def kind_words(table: ir.Table) -> str:
    return table.kind.replace("_", " ")


def pk_text(pk: ir.PrimaryKey | None) -> str:
    return f"({', '.join(pk.columns)})" if pk else "(none)"


def short(text: str | None, limit: int = 80) -> str:
    if text is None:
        return "(removed)"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


#: The suffixes an object's classes add to its locked base, by lock key kind (and for views).
LOCK_SUFFIXES: dict[str, tuple[str, ...]] = {
    "enum": ("", "Value"),
    "table": ("Row", "Insert", "Update", ""),
    "VIEW": ("Row", ""),
    "composite": ("",),
    "function": ("Args", "Returns", "Result"),
    "jsonb": ("",),
}
