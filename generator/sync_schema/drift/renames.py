"""Renames inferred from shape and position: tables, columns and functions without a catalog identity."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from sync_schema import ir
from sync_schema.drift.facts import default_value


def call_shape(f: ir.Function) -> tuple[object, ...]:
    """What a caller of `.rpc()` depends on: argument names, types, defaults and the result."""
    return (f.arguments, f.returns, f.returns_set, f.return_columns)


def function_renames(
    old: Mapping[tuple[str, str], list[ir.Function]],
    new: Mapping[tuple[str, str], list[ir.Function]],
) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """(old, new) (schema, name) of each function that seems renamed: a name gone and a new
    one in the same schema whose overloads take and return the same, with the same volatility,
    when no other name has that shape (the snapshot keeps no body to compare)."""

    def shape(item: tuple[tuple[str, str], list[ir.Function]]) -> Hashable:
        (schema, _name), overloads = item
        return (
            schema,
            tuple(sorted(((call_shape(f), f.volatility) for f in overloads), key=repr)),
        )

    gone = [(k, v) for k, v in old.items() if k not in new]
    added = [(k, v) for k, v in new.items() if k not in old]
    return sorted((a[0], b[0]) for a, b in unique_pairs(gone, added, shape))


def by_name(functions: Iterable[ir.Function]) -> dict[tuple[str, str], list[ir.Function]]:
    out: dict[tuple[str, str], list[ir.Function]] = {}
    for f in functions:
        out.setdefault((f.schema, f.name), []).append(f)
    return out


_T = TypeVar("_T")


def unique_pairs(
    old: Sequence[_T], new: Sequence[_T], shape: Callable[[_T], Hashable]
) -> list[tuple[_T, _T]]:
    """(o, n) for each shape exactly one old and one new object have: no pick among look-alikes."""
    by_old: dict[Hashable, list[_T]] = {}
    by_new: dict[Hashable, list[_T]] = {}
    for o in old:
        by_old.setdefault(shape(o), []).append(o)
    for n in new:
        by_new.setdefault(shape(n), []).append(n)
    return [
        (os[0], by_new[k][0])
        for k, os in by_old.items()
        if len(os) == 1 and len(by_new.get(k, ())) == 1
    ]


def table_shape(t: ir.Table) -> Hashable:
    """What `ALTER TABLE ... RENAME` keeps: schema, kind, columns and constraints but their names."""
    return (
        t.schema,
        t.kind,
        t.columns,
        t.primary_key.columns if t.primary_key else None,
        tuple(sorted(u.columns for u in t.unique_constraints)),
        tuple(
            sorted(
                (fk.columns, fk.target_schema, fk.target_table, fk.target_columns)
                for fk in t.foreign_keys
            )
        ),
        tuple(sorted(x.definition for x in t.check_constraints)),
    )


def _column_shape(t: ir.Table, column: ir.Column) -> Hashable:
    """What `ALTER TABLE ... RENAME COLUMN` keeps: type, nullability, default, generation, and
    the column's place in the primary key, unique constraints and foreign keys."""
    name = column.name
    return (
        column.type,
        column.nullable,
        default_value(column.default),
        column.identity,
        column.generated,
        column.generation_expression,
        t.primary_key.columns.index(name)
        if t.primary_key and name in t.primary_key.columns
        else -1,
        tuple(sorted(u.columns.index(name) for u in t.unique_constraints if name in u.columns)),
        tuple(
            sorted(
                (fk.target_schema, fk.target_table, fk.target_columns[fk.columns.index(name)])
                for fk in t.foreign_keys
                if name in fk.columns
            )
        ),
    )


def _gaps(names: Sequence[str], common: set[str]) -> dict[str | None, list[str]]:
    """The names not in `common`, grouped by the common name before them (None: at the start)."""
    gaps: dict[str | None, list[str]] = {}
    previous: str | None = None
    for name in names:
        if name in common:
            previous = name
        else:
            gaps.setdefault(previous, []).append(name)
    return gaps


def renamed_in_place(
    old: Sequence[str],
    new: Sequence[str],
    same: Callable[[str, str], bool],
    *,
    anywhere: bool = False,
) -> dict[str, str]:
    """old name -> new name of the items that kept their place: a gone and a new item between
    the same neighbours, matched in order among those `same` says could be one item.

    With `anywhere` (enum labels: ADD VALUE inserts at any place), only neighbourhoods that
    lost as many items as they gained count, else nothing tells a rename from an addition.
    """
    common = set(old) & set(new)
    old_gaps, new_gaps = _gaps(old, common), _gaps(new, common)
    renamed: dict[str, str] = {}
    for after, gone in old_gaps.items():
        start = 0
        fresh = new_gaps.get(after, [])
        if anywhere and len(fresh) != len(gone):
            continue
        for name in fresh:
            match = next((i for i in range(start, len(gone)) if same(gone[i], name)), None)
            if match is not None:
                renamed[gone[match]] = name
                start = match + 1
    return renamed


def column_renames(a: ir.Table, b: ir.Table) -> dict[str, str]:
    """old -> new name of each column of a that b seems to hold under another name."""
    a_cols = {c.name: c for c in a.columns}
    b_cols = {c.name: c for c in b.columns}
    return renamed_in_place(
        list(a_cols),
        list(b_cols),
        lambda x, y: _column_shape(a, a_cols[x]) == _column_shape(b, b_cols[y]),
    )


#: A plain identifier as Postgres prints it in an expression (quoted ones need their quotes).
_IDENTIFIER = re.compile(r'"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*')


def _renamed_in_text(expression: str, renamed: Mapping[str, str]) -> str:
    """An expression as Postgres prints it after the renames: its column references follow
    (only to compare it with the new one; literals that spell a name are changed too)."""

    def swap(found: re.Match[str]) -> str:
        word = found[0]
        name = word[1:-1].replace('""', '"') if word.startswith('"') else word
        if name not in renamed:
            return word
        new = renamed[name]
        return (
            new if re.fullmatch(r"[a-z_][a-z0-9_$]*", new) else '"' + new.replace('"', '""') + '"'
        )

    return _IDENTIFIER.sub(swap, expression)


def with_renamed_columns(t: ir.Table, renamed: Mapping[str, str]) -> ir.Table:
    """t with renamed columns under their new names, in its columns and its constraints."""

    def names(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(renamed.get(n, n) for n in columns)

    def column(c: ir.Column) -> ir.Column:
        expression = c.generation_expression
        return dataclasses.replace(
            c,
            name=renamed.get(c.name, c.name),
            generation_expression=_renamed_in_text(expression, renamed) if expression else None,
        )

    return dataclasses.replace(
        t,
        columns=tuple(column(c) for c in t.columns),
        check_constraints=tuple(
            dataclasses.replace(x, definition=_renamed_in_text(x.definition, renamed))
            for x in t.check_constraints
        ),
        primary_key=(
            dataclasses.replace(t.primary_key, columns=names(t.primary_key.columns))
            if t.primary_key
            else None
        ),
        unique_constraints=tuple(
            dataclasses.replace(u, columns=names(u.columns)) for u in t.unique_constraints
        ),
        foreign_keys=tuple(
            dataclasses.replace(fk, columns=names(fk.columns)) for fk in t.foreign_keys
        ),
    )
