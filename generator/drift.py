"""The semantic diff between the committed snapshot and the live database, with severities."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from generator import ir, jsonschema, typemap


class Severity(enum.IntEnum):
    """How likely a change is to break code that uses the generated types."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True, slots=True)
class Detail:
    """One fact about a modified object, e.g. `Added values: pending, on_hold`."""

    severity: Severity
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Change:
    """One object that differs, with the most severe of its details."""

    kind: str  # SCHEMA, ENUM, TABLE, VIEW, FUNCTION, COMPOSITE TYPE, DOMAIN
    schema: str
    name: str
    change: str  # added | removed | modified
    severity: Severity
    details: tuple[Detail, ...] = ()

    @property
    def display_name(self) -> str:
        """Unqualified for `public` and for schemas themselves, qualified otherwise."""
        if self.kind == "SCHEMA" or self.schema in ("public", ""):
            return self.name
        return f"{self.schema}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable form."""
        return {
            "severity": self.severity.name,
            "object_type": self.kind,
            "schema": self.schema,
            "name": self.name,
            "change": self.change,
            "details": [
                {"severity": d.severity.name, "what": d.label, "items": list(d.items)}
                for d in self.details
            ],
        }


#: The suffixes an object's classes add to its locked base, by lock key kind (and for views).
_LOCK_SUFFIXES: dict[str, tuple[str, ...]] = {
    "enum": ("", "Value"),
    "table": ("Row", "Insert", "Update", ""),
    "VIEW": ("Row", ""),
    "composite": ("",),
    "function": ("Args", "Returns", "Result"),
    "jsonb": ("",),
}


def _lock_objects(db: ir.Database) -> dict[str, tuple[str, str, str]]:
    """Lock key (`codemodel.name_lock`) -> (change kind, schema, name) of each object of db."""
    out = {f"enum {e.qualified_name}": ("ENUM", e.schema, e.name) for e in db.enums}
    for t in db.tables:
        out[f"table {t.qualified_name}"] = (_table_kind(t), t.schema, t.name)
        # A typed jsonb column's root class belongs to its table.
        out.update(
            (f"jsonb {t.qualified_name}.{c.name}", (_table_kind(t), t.schema, t.name))
            for c in t.columns
        )
        out[f"composite {t.qualified_name}"] = ("COMPOSITE TYPE", t.schema, t.name)
    for c in db.composite_types:
        out[f"composite {c.qualified_name}"] = ("COMPOSITE TYPE", c.schema, c.name)
    out.update((f"function {f.signature}", ("FUNCTION", f.schema, f.name)) for f in db.functions)
    return out


_KIND_ORDER = ["SCHEMA", "ENUM", "TABLE", "VIEW", "FUNCTION", "COMPOSITE TYPE", "DOMAIN"]


def sort_changes(changes: Iterable[Change]) -> list[Change]:
    """Most severe first, then by object kind and name."""
    return sorted(
        changes,
        key=lambda c: (-c.severity, _kind_rank(c.kind), c.kind, c.schema, c.name),
    )


def _kind_rank(kind: str) -> int:
    # Kinds added by a SchemaSync subclass sort after the built-in ones.
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


@dataclass(slots=True)
class _Collector:
    details: list[Detail] = field(default_factory=list)

    def add(self, severity: Severity, label: str, items: Sequence[str]) -> None:
        if items:
            self.details.append(Detail(severity, label, tuple(items)))


class SchemaSync:
    """Compares the committed schema (`local_schema`) with the database's (`db_schema`).

    Subclass it and extend `compare_schemas()` to add project rules.
    """

    def __init__(
        self,
        local_schema: ir.Database | None,
        db_schema: ir.Database,
        *,
        local_names: Mapping[str, str] | None = None,
        db_names: Mapping[str, str] | None = None,
    ) -> None:
        self.local_schema = local_schema or ir.Database(schemas=db_schema.schemas)
        self.db_schema = db_schema
        #: the locks of names (`codemodel.name_lock`) of the committed and the new tree
        self.local_names = local_names or {}
        self.db_names = db_names or {}
        self._mappers: dict[tuple[int, str], typemap.TypeMapper] = {}

    def compare_schemas(self) -> list[Change]:
        """Every change, most severe first."""
        changes = [
            *self.compare_schema_names(),
            *self.compare_enums(),
            *self.compare_tables(),
            *self.compare_functions(),
            *self.compare_composite_types(),
            *self.compare_domains(),
            *self.compare_class_names(),
        ]
        return sort_changes(changes)

    # -- generated names ----------------------------------------------------------------------
    def compare_class_names(self) -> list[Change]:
        """An object that still exists under other class names: code using the old ones retargets."""
        objects = _lock_objects(self.db_schema)
        changes: list[Change] = []
        for key in sorted(self.local_names.keys() & self.db_names.keys()):
            before, after = self.local_names[key], self.db_names[key]
            if before == after or key not in objects:
                continue
            kind, schema, name = objects[key]
            suffixes = _LOCK_SUFFIXES["VIEW" if kind == "VIEW" else key.partition(" ")[0]]
            items = [f"{before}{s} -> {after}{s}" for s in suffixes]
            detail = Detail(Severity.HIGH, "Class names changed", tuple(items))
            changes.append(Change(kind, schema, name, "modified", Severity.HIGH, (detail,)))
        return changes

    # -- schemas ------------------------------------------------------------------------------
    def compare_schema_names(self) -> list[Change]:
        """A schema that is no longer generated breaks every import from it."""
        old, new = set(self.local_schema.schemas), set(self.db_schema.schemas)
        return [Change("SCHEMA", s, s, "removed", Severity.CRITICAL) for s in sorted(old - new)] + [
            Change("SCHEMA", s, s, "added", Severity.LOW) for s in sorted(new - old)
        ]

    # -- enums --------------------------------------------------------------------------------
    def compare_enums(self) -> list[Change]:
        """Removed enums are critical, modified ones high, new ones low."""
        old = {e.qualified_name: e for e in self.local_schema.enums}
        new = {e.qualified_name: e for e in self.db_schema.enums}
        changes = _added_removed("ENUM", old, new, removed=Severity.CRITICAL)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = _Collector()
            added = [v for v in b.labels if v not in a.labels]
            removed = [v for v in a.labels if v not in b.labels]
            c.add(Severity.HIGH, "Added values", added)
            c.add(Severity.HIGH, "Removed values", removed)
            kept_old = [v for v in a.labels if v in b.labels]
            kept_new = [v for v in b.labels if v in a.labels]
            if kept_old != kept_new:
                c.add(Severity.HIGH, "Reordered values", kept_new)
            if a.comment != b.comment:
                c.add(Severity.LOW, "Comment changed", [_short(b.comment)])
            changes += _modified("ENUM", b.schema, b.name, c)
        return changes

    # -- tables and views ---------------------------------------------------------------------
    def compare_tables(self) -> list[Change]:
        """Tables and views: removal is critical, column-level changes per the severity rules."""
        old = {t.qualified_name: t for t in self.local_schema.tables}
        new = {t.qualified_name: t for t in self.db_schema.tables}
        changes: list[Change] = []
        for key in sorted(old.keys() - new.keys()):
            t = old[key]
            changes.append(Change(_table_kind(t), t.schema, t.name, "removed", Severity.CRITICAL))
        for key in sorted(new.keys() - old.keys()):
            t = new[key]
            changes.append(Change(_table_kind(t), t.schema, t.name, "added", Severity.LOW))
        for key in sorted(old.keys() & new.keys()):
            changes += self.compare_table(old[key], new[key])
        return changes

    def compare_table(self, a: ir.Table, b: ir.Table) -> list[Change]:
        """The changes inside one table or view."""
        c = _Collector()
        if a.kind != b.kind:
            c.add(Severity.HIGH, "Kind changed", [f"{_kind_words(a)} -> {_kind_words(b)}"])
        a_cols = {col.name: col for col in a.columns}
        b_cols = {col.name: col for col in b.columns}
        added = [n for n in b_cols if n not in a_cols]
        # A required column breaks every Insert that leaves it out; views take no Insert.
        required = [n for n in added if not b.is_view and _required(b_cols[n])]
        c.add(Severity.HIGH, "Added required columns", required)
        c.add(Severity.MEDIUM, "Added columns", [n for n in added if n not in required])
        c.add(Severity.HIGH, "Removed columns", [n for n in a_cols if n not in b_cols])
        common = [n for n in b_cols if n in a_cols]
        self._compare_types(
            c, b.qualified_name, [(n, a_cols[n], b_cols[n]) for n in common], "Changed types"
        )
        c.add(
            Severity.HIGH,
            "Now nullable",
            [n for n in common if b_cols[n].nullable and not a_cols[n].nullable],
        )
        # Readers are unaffected; writers must now send a value: every Insert without the key
        # breaks when there is no default, only those that send None when there is one.
        tightened = [n for n in common if a_cols[n].nullable and not b_cols[n].nullable]
        now_required = [n for n in tightened if not b.is_view and _required(b_cols[n])]
        c.add(Severity.HIGH, "Now NOT NULL and required on insert", now_required)
        c.add(Severity.MEDIUM, "Now NOT NULL", [n for n in tightened if n not in now_required])
        dropped_defaults = [
            n
            for n in common
            if a_cols[n].default is not None
            and b_cols[n].default is None
            and not b_cols[n].nullable
        ]
        # The Insert key becomes required, as for an added required column.
        c.add(
            Severity.MEDIUM if b.is_view else Severity.HIGH,
            "Default removed from NOT NULL columns",
            dropped_defaults,
        )
        c.add(
            Severity.MEDIUM,
            "Identity or generation changed",
            [
                n
                for n in common
                if (a_cols[n].identity, a_cols[n].generated, a_cols[n].generation_expression)
                != (b_cols[n].identity, b_cols[n].generated, b_cols[n].generation_expression)
            ],
        )
        c.add(
            Severity.LOW,
            "Defaults changed",
            [
                f"{n} ({a_cols[n].default} -> {b_cols[n].default})"
                for n in common
                if a_cols[n].default != b_cols[n].default and n not in dropped_defaults
            ],
        )
        a_pk = a.primary_key.columns if a.primary_key else None
        b_pk = b.primary_key.columns if b.primary_key else None
        if a_pk != b_pk:
            c.add(Severity.HIGH, "Primary key changed", [_pk(b.primary_key)])
        elif a.primary_key != b.primary_key and b.primary_key is not None:
            c.add(Severity.LOW, "Primary key renamed", [b.primary_key.name])
        self._compare_foreign_keys(a, b, c)
        # A pg_jsonschema CHECK types its column's generated models: changing it changes types.
        a_json, b_json = jsonschema.table_json_schemas(a), jsonschema.table_json_schemas(b)
        c.add(
            Severity.HIGH,
            "JSON Schema changed",
            [n for n in sorted(a_json.keys() | b_json.keys()) if a_json.get(n) != b_json.get(n)],
        )
        _compare_named(
            c,
            "check constraints",
            {x.name: x.definition for x in a.check_constraints},
            {x.name: x.definition for x in b.check_constraints},
        )
        _compare_named(
            c,
            "unique constraints",
            {x.name: ", ".join(x.columns) for x in a.unique_constraints},
            {x.name: ", ".join(x.columns) for x in b.unique_constraints},
        )
        if a.comment != b.comment:
            c.add(Severity.LOW, "Comment changed", [_short(b.comment)])
        c.add(
            Severity.LOW,
            "Column comments changed",
            [n for n in common if a_cols[n].comment != b_cols[n].comment],
        )
        return _modified(_table_kind(b), b.schema, b.name, c)

    def _compare_types(
        self,
        c: _Collector,
        owner: str,
        pairs: Iterable[tuple[str, ir.Column, ir.Column]],
        label: str,
    ) -> None:
        """Retyped columns: HIGH, or LOW when every layer generates the same Python type."""
        retyped = [(n, x, y) for n, x, y in pairs if x.type != y.type]
        same = {n for n, x, y in retyped if self._same_python_type(x.type, y.type, f"{owner}.{n}")}
        items = {n: f"{n} ({x.type.sql} -> {y.type.sql})" for n, x, y in retyped}
        c.add(Severity.HIGH, label, [items[n] for n, _x, _y in retyped if n not in same])
        c.add(Severity.LOW, f"{label} (same Python types)", [items[n] for n in items if n in same])

    def _same_python_type(self, old: ir.TypeRef, new: ir.TypeRef, where: str) -> bool:
        """Whether the TypedDict (json and python) and Pydantic layers all annotate old as new."""
        return all(
            self._mapper(self.local_schema, layer).type(old, where).annotation
            == self._mapper(self.db_schema, layer).type(new, where).annotation
            for layer in get_args(typemap.Layer)
        )

    def _mapper(self, db: ir.Database, layer: typemap.Layer) -> typemap.TypeMapper:
        key = (id(db), layer)
        mapper = self._mappers.get(key)
        if mapper is None:
            # Stand-in class names: the same enum or composite maps alike, different ones not.
            mapper = self._mappers[key] = typemap.TypeMapper(
                layer=layer,
                db=db,
                enum_names={e.qualified_name: (e.qualified_name,) * 2 for e in db.enums},
                composite_names={t.qualified_name: t.qualified_name for t in db.composite_types},
            )
        return mapper

    def _compare_foreign_keys(self, a: ir.Table, b: ir.Table, c: _Collector) -> None:
        def describe(fk: ir.ForeignKey) -> str:
            target = f"{fk.target_schema}.{fk.target_table}({', '.join(fk.target_columns)})"
            return f"({', '.join(fk.columns)}) -> {target}"

        a_fks = {fk.columns: fk for fk in a.foreign_keys}
        b_fks = {fk.columns: fk for fk in b.foreign_keys}
        c.add(
            Severity.MEDIUM,
            "Foreign keys added",
            [describe(b_fks[k]) for k in b_fks if k not in a_fks],
        )
        c.add(
            Severity.MEDIUM,
            "Foreign keys removed",
            [describe(a_fks[k]) for k in a_fks if k not in b_fks],
        )
        c.add(
            Severity.MEDIUM,
            "Foreign keys retargeted",
            [
                describe(b_fks[k])
                for k in b_fks
                if k in a_fks
                and (a_fks[k].target_schema, a_fks[k].target_table, a_fks[k].target_columns)
                != (b_fks[k].target_schema, b_fks[k].target_table, b_fks[k].target_columns)
            ],
        )

    # -- functions ----------------------------------------------------------------------------
    def compare_functions(self) -> list[Change]:
        """Removed or re-signed functions are high: callers of `.rpc()` break."""
        old = _by_name(self.local_schema.functions)
        new = _by_name(self.db_schema.functions)
        changes: list[Change] = []
        for key in sorted(old.keys() | new.keys()):
            schema, name = key
            a = {f.signature: f for f in old.get(key, [])}
            b = {f.signature: f for f in new.get(key, [])}
            if not a:
                changes.append(Change("FUNCTION", schema, name, "added", Severity.LOW))
                continue
            if not b:
                changes.append(Change("FUNCTION", schema, name, "removed", Severity.HIGH))
                continue
            c = _Collector()
            if len(a) == 1 and len(b) == 1:
                fa, fb = next(iter(a.values())), next(iter(b.values()))
                if _call_shape(fa) != _call_shape(fb):
                    c.add(Severity.HIGH, "Signature changed", [f"{fa.signature} -> {fb.signature}"])
                elif fa.comment != fb.comment:
                    c.add(Severity.LOW, "Comment changed", [_short(fb.comment)])
            else:
                c.add(Severity.HIGH, "Overloads removed", sorted(a.keys() - b.keys()))
                c.add(Severity.LOW, "Overloads added", sorted(b.keys() - a.keys()))
                c.add(
                    Severity.HIGH,
                    "Overloads changed",
                    sorted(
                        sig
                        for sig in a.keys() & b.keys()
                        if _call_shape(a[sig]) != _call_shape(b[sig])
                    ),
                )
            changes += _modified("FUNCTION", schema, name, c)
        return changes

    # -- composite types and domains ----------------------------------------------------------
    def compare_composite_types(self) -> list[Change]:
        """Composite types behave like tables for their users."""
        old = {t.qualified_name: t for t in self.local_schema.composite_types}
        new = {t.qualified_name: t for t in self.db_schema.composite_types}
        changes = _added_removed("COMPOSITE TYPE", old, new, removed=Severity.HIGH)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = _Collector()
            a_attrs = {x.name: x for x in a.attributes}
            b_attrs = {x.name: x for x in b.attributes}
            c.add(Severity.MEDIUM, "Added attributes", [n for n in b_attrs if n not in a_attrs])
            c.add(Severity.HIGH, "Removed attributes", [n for n in a_attrs if n not in b_attrs])
            self._compare_types(
                c,
                b.qualified_name,
                [(n, a_attrs[n], b_attrs[n]) for n in b_attrs if n in a_attrs],
                "Changed types",
            )
            if a.comment != b.comment:
                c.add(Severity.LOW, "Comment changed", [_short(b.comment)])
            changes += _modified("COMPOSITE TYPE", b.schema, b.name, c)
        return changes

    def compare_domains(self) -> list[Change]:
        """A domain's base type and nullability matter like a column's."""
        old = {d.qualified_name: d for d in self.local_schema.domains}
        new = {d.qualified_name: d for d in self.db_schema.domains}
        changes = _added_removed("DOMAIN", old, new, removed=Severity.HIGH)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = _Collector()
            if a.base != b.base:
                c.add(Severity.HIGH, "Base type changed", [f"{a.base.sql} -> {b.base.sql}"])
            if b.nullable and not a.nullable:
                c.add(Severity.HIGH, "Now nullable", [b.name])
            if a.nullable and not b.nullable:
                c.add(Severity.MEDIUM, "Now NOT NULL", [b.name])
            _compare_named(
                c,
                "check constraints",
                {x.name: x.definition for x in a.check_constraints},
                {x.name: x.definition for x in b.check_constraints},
            )
            if a.default != b.default:
                c.add(Severity.LOW, "Default changed", [f"{a.default} -> {b.default}"])
            if a.comment != b.comment:
                c.add(Severity.LOW, "Comment changed", [_short(b.comment)])
            changes += _modified("DOMAIN", b.schema, b.name, c)
        return changes


def _added_removed(
    kind: str, old: dict[str, Any], new: dict[str, Any], *, removed: Severity
) -> list[Change]:
    return [
        Change(kind, old[k].schema, old[k].name, "removed", removed)
        for k in sorted(old.keys() - new.keys())
    ] + [
        Change(kind, new[k].schema, new[k].name, "added", Severity.LOW)
        for k in sorted(new.keys() - old.keys())
    ]


def _modified(kind: str, schema: str, name: str, c: _Collector) -> list[Change]:
    if not c.details:
        return []
    severity = max(d.severity for d in c.details)
    return [Change(kind, schema, name, "modified", severity, tuple(c.details))]


def _compare_named(c: _Collector, what: str, a: dict[str, str], b: dict[str, str]) -> None:
    c.add(Severity.LOW, f"{what.capitalize()} added", [f"{n}: {b[n]}" for n in b if n not in a])
    c.add(Severity.LOW, f"{what.capitalize()} removed", [n for n in a if n not in b])
    c.add(
        Severity.LOW,
        f"{what.capitalize()} changed",
        [f"{n}: {b[n]}" for n in b if n in a and a[n] != b[n]],
    )


def _required(column: ir.Column) -> bool:
    """Whether an Insert must carry the column: NOT NULL, no default, not generated, no identity."""
    return (
        not column.nullable
        and column.default is None
        and column.identity is None
        and column.generated is None
    )


def _call_shape(f: ir.Function) -> tuple[object, ...]:
    """What a caller of `.rpc()` depends on: argument names, types, defaults and the result."""
    return (f.arguments, f.returns, f.returns_set, f.return_columns)


def _by_name(functions: Iterable[ir.Function]) -> dict[tuple[str, str], list[ir.Function]]:
    out: dict[tuple[str, str], list[ir.Function]] = {}
    for f in functions:
        out.setdefault((f.schema, f.name), []).append(f)
    return out


def _table_kind(table: ir.Table) -> str:
    return "VIEW" if table.is_view else "TABLE"


def _kind_words(table: ir.Table) -> str:
    return table.kind.replace("_", " ")


def _pk(pk: ir.PrimaryKey | None) -> str:
    return f"({', '.join(pk.columns)})" if pk else "(none)"


def _short(text: str | None, limit: int = 80) -> str:
    if text is None:
        return "(removed)"
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --- text output ---------------------------------------------------------------------------


def format_change(change: Change) -> list[str]:
    """The seed's block: `[HIGH] ENUM: project_status`, `  Change: modified`, then details."""
    lines = [
        f"[{change.severity.name}] {change.kind}: {change.display_name}",
        f"  Change: {change.change}",
    ]
    lines += [f"  {d.label}: {', '.join(d.items)}" for d in change.details]
    return lines


def count_by_severity(changes: Iterable[Change]) -> dict[str, int]:
    """{"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n}."""
    counts = {s.name: 0 for s in sorted(Severity, reverse=True)}
    for change in changes:
        counts[change.severity.name] += 1
    return counts
