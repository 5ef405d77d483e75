"""SchemaSync: the semantic diff between the committed snapshot and the live database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sync_schema import ir
from sync_schema.drift.changes import GUESS, Change, DetailKind, Entry, Severity, sort_changes
from sync_schema.drift.facts import (
    CHECK_KINDS,
    Collector,
    added_removed,
    compare_named,
    default_value,
    modified,
    short,
    table_kind,
)
from sync_schema.drift.renames import by_name, call_shape, function_renames, renamed_in_place
from sync_schema.drift.tables import TableComparison
from sync_schema.model import typemap


def _lock_objects(db: ir.Database) -> dict[str, tuple[str, str, str]]:
    """Lock key (`model.names.name_lock`) -> (change kind, schema, name) of each object of db."""
    out = {f"enum {e.qualified_name}": ("ENUM", e.schema, e.name) for e in db.enums}
    for t in db.tables:
        out[f"table {t.qualified_name}"] = (table_kind(t), t.schema, t.name)
        # A typed jsonb column's root class belongs to its table.
        out.update(
            (f"jsonb {t.qualified_name}.{c.name}", (table_kind(t), t.schema, t.name))
            for c in t.columns
        )
        out[f"composite {t.qualified_name}"] = ("COMPOSITE TYPE", t.schema, t.name)
    for c in db.composite_types:
        out[f"composite {c.qualified_name}"] = ("COMPOSITE TYPE", c.schema, c.name)
    out.update((f"function {f.signature}", ("FUNCTION", f.schema, f.name)) for f in db.functions)
    return out


class SchemaSync(TableComparison):
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
        #: the locks of names (`model.names.name_lock`) of the committed and the new tree
        self.local_names = local_names or {}
        self.db_names = db_names or {}
        self._mappers: dict[tuple[int, str], typemap.TypeMapper] = {}
        #: old qualified name -> (old, new) of renamed tables, and old qualified name -> (new
        #: name, renamed columns) of every table that still exists; filled on first use
        self._renamed_tables: dict[str, tuple[ir.Table, ir.Table]] | None = None
        self._renamed_columns: dict[str, tuple[str, dict[str, str]]] = {}

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
            *self.compare_member_names(),
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
            c = Collector()
            self._class_names(c, key, key, kind)
            changes.append(Change(kind, schema, name, "modified", Severity.HIGH, tuple(c.details)))
        return changes

    def compare_member_names(self) -> list[Change]:
        """Enum members of an unchanged label under another name: `Status.X` code breaks."""
        changes: list[Change] = []
        for e in self.db_schema.enums:
            entries = []
            for label in e.labels:
                key = f"member {e.qualified_name}.{label}"
                before, after = self.local_names.get(key), self.db_names.get(key)
                if before is not None and after is not None and before != after:
                    cls = self.db_names.get(f"enum {e.qualified_name}", e.name)
                    entries.append(Entry(label, f"{cls}.{before}", f"{cls}.{after}"))
            if entries:
                c = Collector()
                items = [f"{x.old} -> {x.new}" for x in entries]
                c.add(Severity.HIGH, DetailKind.MEMBER_NAMES_CHANGED, items, entries)
                changes += modified("ENUM", e.schema, e.name, c)
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
        changes = added_removed("ENUM", old, new, removed=Severity.CRITICAL)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = Collector()
            # ALTER TYPE ... RENAME VALUE keeps the label's place in the sort order and the
            # number of labels; a label gone while others came is read as a replacement.
            renamed = (
                renamed_in_place(a.labels, b.labels, lambda _x, _y: True, anywhere=True)
                if len(a.labels) == len(b.labels)
                else {}
            )
            if renamed:
                entries = [Entry(x, x, y, guess=True) for x, y in renamed.items()]
                items = [f"{e.old} -> {e.new} ({GUESS})" for e in entries]
                c.add(Severity.HIGH, DetailKind.RENAMED_VALUES, items, entries)
                a = dataclasses.replace(a, labels=tuple(renamed.get(v, v) for v in a.labels))
            added = [v for v in b.labels if v not in a.labels]
            removed = [v for v in a.labels if v not in b.labels]
            c.add(Severity.HIGH, DetailKind.ADDED_VALUES, added)
            c.add(Severity.HIGH, DetailKind.REMOVED_VALUES, removed)
            kept_old = [v for v in a.labels if v in b.labels]
            kept_new = [v for v in b.labels if v in a.labels]
            if kept_old != kept_new:
                c.add(Severity.HIGH, DetailKind.REORDERED_VALUES, kept_new)
            if a.comment != b.comment:
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [short(b.comment)])
            changes += modified("ENUM", b.schema, b.name, c)
        return changes

    # -- functions ----------------------------------------------------------------------------
    def compare_functions(self) -> list[Change]:
        """Removed or re-signed functions are high: callers of `.rpc()` break."""
        old = by_name(self.local_schema.functions)
        new = by_name(self.db_schema.functions)
        changes: list[Change] = []
        for (schema, before), (_schema, after) in function_renames(old, new):
            a_overloads, b_overloads = old.pop((schema, before)), new.pop((schema, after))
            c = Collector()
            if len(a_overloads) == len(b_overloads) == 1:
                keys = (f"function {f.signature}" for f in (*a_overloads, *b_overloads))
                self._class_names(c, next(keys), next(keys), "FUNCTION")
            changes.append(
                Change(
                    "FUNCTION",
                    schema,
                    after,
                    "renamed",
                    Severity.HIGH,
                    tuple(c.details),
                    renamed_from=before,
                    guess=True,
                )
            )
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
            c = Collector()
            if len(a) == 1 and len(b) == 1:
                fa, fb = next(iter(a.values())), next(iter(b.values()))
                if call_shape(fa) != call_shape(fb):
                    c.add(
                        Severity.HIGH,
                        DetailKind.SIGNATURE_CHANGED,
                        [f"{fa.signature} -> {fb.signature}"],
                    )
                elif fa.comment != fb.comment:
                    c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [short(fb.comment)])
            else:
                c.add(Severity.HIGH, DetailKind.OVERLOADS_REMOVED, sorted(a.keys() - b.keys()))
                c.add(Severity.LOW, DetailKind.OVERLOADS_ADDED, sorted(b.keys() - a.keys()))
                c.add(
                    Severity.HIGH,
                    DetailKind.OVERLOADS_CHANGED,
                    sorted(
                        sig
                        for sig in a.keys() & b.keys()
                        if call_shape(a[sig]) != call_shape(b[sig])
                    ),
                )
            changes += modified("FUNCTION", schema, name, c)
        return changes

    # -- composite types and domains ----------------------------------------------------------
    def compare_composite_types(self) -> list[Change]:
        """Composite types behave like tables for their users."""
        old = {t.qualified_name: t for t in self.local_schema.composite_types}
        new = {t.qualified_name: t for t in self.db_schema.composite_types}
        changes = added_removed("COMPOSITE TYPE", old, new, removed=Severity.HIGH)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = Collector()
            a_attrs = {x.name: x for x in a.attributes}
            b_attrs = {x.name: x for x in b.attributes}
            c.add(
                Severity.MEDIUM,
                DetailKind.ADDED_ATTRIBUTES,
                [n for n in b_attrs if n not in a_attrs],
            )
            c.add(
                Severity.HIGH,
                DetailKind.REMOVED_ATTRIBUTES,
                [n for n in a_attrs if n not in b_attrs],
            )
            self._compare_types(
                c,
                b.qualified_name,
                [(n, a_attrs[n], b_attrs[n]) for n in b_attrs if n in a_attrs],
            )
            if a.comment != b.comment:
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [short(b.comment)])
            changes += modified("COMPOSITE TYPE", b.schema, b.name, c)
        return changes

    def compare_domains(self) -> list[Change]:
        """A domain's base type and nullability matter like a column's."""
        old = {d.qualified_name: d for d in self.local_schema.domains}
        new = {d.qualified_name: d for d in self.db_schema.domains}
        changes = added_removed("DOMAIN", old, new, removed=Severity.HIGH)
        for key in sorted(old.keys() & new.keys()):
            a, b = old[key], new[key]
            c = Collector()
            if a.base != b.base:
                c.add(
                    Severity.HIGH, DetailKind.BASE_TYPE_CHANGED, [f"{a.base.sql} -> {b.base.sql}"]
                )
            if b.nullable and not a.nullable:
                c.add(Severity.HIGH, DetailKind.NOW_NULLABLE, [b.name])
            if a.nullable and not b.nullable:
                c.add(Severity.MEDIUM, DetailKind.NOW_NOT_NULL, [b.name])
            compare_named(
                c,
                CHECK_KINDS,
                {x.name: x.definition for x in a.check_constraints},
                {x.name: x.definition for x in b.check_constraints},
            )
            if default_value(a.default) != default_value(b.default):
                c.add(Severity.LOW, DetailKind.DEFAULT_CHANGED, [f"{a.default} -> {b.default}"])
            if a.comment != b.comment:
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [short(b.comment)])
            changes += modified("DOMAIN", b.schema, b.name, c)
        return changes
