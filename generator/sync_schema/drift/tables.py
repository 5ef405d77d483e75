"""The comparison of tables and views: columns, keys, constraints, foreign keys, renames."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import get_args

from sync_schema import ir
from sync_schema.drift.changes import GUESS, Change, DetailKind, Entry, Severity
from sync_schema.drift.facts import (
    CHECK_KINDS,
    LOCK_SUFFIXES,
    UNIQUE_KINDS,
    Collector,
    compare_named,
    default_value,
    kind_words,
    modified,
    pk_text,
    required_on_insert,
    short,
    table_kind,
)
from sync_schema.drift.renames import (
    column_renames,
    table_shape,
    unique_pairs,
    with_renamed_columns,
)
from sync_schema.model import jsonb, typemap


class TableComparison:
    """SchemaSync's comparison of tables and views: columns, keys, constraints, renames."""

    local_schema: ir.Database
    db_schema: ir.Database
    _mappers: dict[tuple[int, str], typemap.TypeMapper]
    _renamed_tables: dict[str, tuple[ir.Table, ir.Table]] | None
    _renamed_columns: dict[str, tuple[str, dict[str, str]]]
    local_names: Mapping[str, str]
    db_names: Mapping[str, str]

    def _class_names(self, c: Collector, old_key: str, new_key: str, kind: str) -> None:
        """The classes an object's generated names move from and to, when both locks know it."""
        before, after = self.local_names.get(old_key), self.db_names.get(new_key)
        if before is None or after is None or before == after:
            return
        suffixes = LOCK_SUFFIXES["VIEW" if kind == "VIEW" else new_key.partition(" ")[0]]
        entries = [Entry(before + s, before + s, after + s) for s in suffixes]
        items = [f"{e.old} -> {e.new}" for e in entries]
        c.add(Severity.HIGH, DetailKind.CLASS_NAMES_CHANGED, items, entries)

    # -- tables and views ---------------------------------------------------------------------
    def compare_tables(self) -> list[Change]:
        """Tables and views: removal is critical, column-level changes per the severity rules."""
        old = {t.qualified_name: t for t in self.local_schema.tables}
        new = {t.qualified_name: t for t in self.db_schema.tables}
        changes: list[Change] = []
        for a, b in self.table_renames():
            del old[a.qualified_name], new[b.qualified_name]
            c = Collector()
            kind = table_kind(b)
            self._class_names(c, f"table {a.qualified_name}", f"table {b.qualified_name}", kind)
            changes.append(
                Change(
                    kind,
                    b.schema,
                    b.name,
                    "renamed",
                    Severity.HIGH,
                    tuple(c.details),
                    renamed_from=a.name,
                    guess=True,
                )
            )
        for key in sorted(old.keys() - new.keys()):
            t = old[key]
            changes.append(Change(table_kind(t), t.schema, t.name, "removed", Severity.CRITICAL))
        for key in sorted(new.keys() - old.keys()):
            t = new[key]
            changes.append(Change(table_kind(t), t.schema, t.name, "added", Severity.LOW))
        for key in sorted(old.keys() & new.keys()):
            changes += self.compare_table(old[key], new[key])
        return changes

    def table_renames(self) -> list[tuple[ir.Table, ir.Table]]:
        """(old, new) of each table or view that seems renamed: one gone and one new of the
        same schema, kind, columns and constraints (constraint names aside: a rename keeps
        them), when no other pair has that shape. A guess: the snapshot holds no catalog OIDs."""
        new_keys = {t.qualified_name for t in self.db_schema.tables}
        old_keys = {t.qualified_name for t in self.local_schema.tables}
        gone = [t for t in self.local_schema.tables if t.qualified_name not in new_keys]
        added = [t for t in self.db_schema.tables if t.qualified_name not in old_keys]
        return unique_pairs(gone, added, table_shape)

    def compare_table(self, a: ir.Table, b: ir.Table) -> list[Change]:
        """The changes inside one table or view."""
        c = Collector()
        if a.kind != b.kind:
            c.add(Severity.HIGH, DetailKind.KIND_CHANGED, [f"{kind_words(a)} -> {kind_words(b)}"])
        renamed = column_renames(a, b)
        if renamed:
            entries = [Entry(x, x, y, guess=True) for x, y in renamed.items()]
            items = [f"{e.old} -> {e.new} ({GUESS})" for e in entries]
            c.add(Severity.HIGH, DetailKind.RENAMED_COLUMNS, items, entries)
            # Compared under its new name from here on: the rename is its only change.
            a = with_renamed_columns(a, renamed)
        a = self._with_renamed_targets(a)
        a_cols = {col.name: col for col in a.columns}
        b_cols = {col.name: col for col in b.columns}
        added = [n for n in b_cols if n not in a_cols]
        # A required column breaks every Insert that leaves it out; views take no Insert.
        required = [n for n in added if not b.is_view and required_on_insert(b_cols[n])]
        c.add(Severity.HIGH, DetailKind.ADDED_REQUIRED_COLUMNS, required)
        c.add(Severity.MEDIUM, DetailKind.ADDED_COLUMNS, [n for n in added if n not in required])
        c.add(Severity.HIGH, DetailKind.REMOVED_COLUMNS, [n for n in a_cols if n not in b_cols])
        common = [n for n in b_cols if n in a_cols]
        self._compare_types(c, b.qualified_name, [(n, a_cols[n], b_cols[n]) for n in common])
        c.add(
            Severity.HIGH,
            DetailKind.NOW_NULLABLE,
            [n for n in common if b_cols[n].nullable and not a_cols[n].nullable],
        )
        # Readers are unaffected; writers must now send a value: every Insert without the key
        # breaks when there is no default, only those that send None when there is one.
        tightened = [n for n in common if a_cols[n].nullable and not b_cols[n].nullable]
        now_required = [n for n in tightened if not b.is_view and required_on_insert(b_cols[n])]
        c.add(Severity.HIGH, DetailKind.NOW_NOT_NULL_AND_REQUIRED_ON_INSERT, now_required)
        c.add(
            Severity.MEDIUM,
            DetailKind.NOW_NOT_NULL,
            [n for n in tightened if n not in now_required],
        )
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
            DetailKind.DEFAULT_REMOVED_FROM_NOT_NULL_COLUMNS,
            dropped_defaults,
        )
        c.add(
            Severity.MEDIUM,
            DetailKind.IDENTITY_OR_GENERATION_CHANGED,
            [
                n
                for n in common
                if (a_cols[n].identity, a_cols[n].generated, a_cols[n].generation_expression)
                != (b_cols[n].identity, b_cols[n].generated, b_cols[n].generation_expression)
            ],
        )
        redefaulted = [
            n
            for n in common
            if default_value(a_cols[n].default) != default_value(b_cols[n].default)
            and n not in dropped_defaults
        ]
        c.add(
            Severity.LOW,
            DetailKind.DEFAULTS_CHANGED,
            [f"{n} ({a_cols[n].default} -> {b_cols[n].default})" for n in redefaulted],
            [Entry(n, a_cols[n].default, b_cols[n].default) for n in redefaulted],
        )
        a_pk = a.primary_key.columns if a.primary_key else None
        b_pk = b.primary_key.columns if b.primary_key else None
        if a_pk != b_pk:
            c.add(Severity.HIGH, DetailKind.PRIMARY_KEY_CHANGED, [pk_text(b.primary_key)])
        elif a.primary_key != b.primary_key and b.primary_key is not None:
            c.add(Severity.LOW, DetailKind.PRIMARY_KEY_RENAMED, [b.primary_key.name])
        self._compare_foreign_keys(a, b, c)
        # A pg_jsonschema CHECK types its column's generated models: changing it changes types.
        a_json, b_json = jsonb.table_json_schemas(a), jsonb.table_json_schemas(b)
        c.add(
            Severity.HIGH,
            DetailKind.JSON_SCHEMA_CHANGED,
            [n for n in sorted(a_json.keys() | b_json.keys()) if a_json.get(n) != b_json.get(n)],
        )
        compare_named(
            c,
            CHECK_KINDS,
            {x.name: x.definition for x in a.check_constraints},
            {x.name: x.definition for x in b.check_constraints},
        )
        compare_named(
            c,
            UNIQUE_KINDS,
            {x.name: ", ".join(x.columns) for x in a.unique_constraints},
            {x.name: ", ".join(x.columns) for x in b.unique_constraints},
        )
        if a.comment != b.comment:
            c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [short(b.comment)])
        c.add(
            Severity.LOW,
            DetailKind.COLUMN_COMMENTS_CHANGED,
            [n for n in common if a_cols[n].comment != b_cols[n].comment],
        )
        return modified(table_kind(b), b.schema, b.name, c)

    def _compare_types(
        self,
        c: Collector,
        owner: str,
        pairs: Iterable[tuple[str, ir.Column, ir.Column]],
    ) -> None:
        """Retyped columns: HIGH, or LOW when every layer generates the same Python type."""
        retyped = [(n, x, y) for n, x, y in pairs if x.type != y.type]
        same = {n for n, x, y in retyped if self._same_python_type(x.type, y.type, f"{owner}.{n}")}
        for severity, kind, names in (
            (Severity.HIGH, DetailKind.CHANGED_TYPES, {n for n, _x, _y in retyped} - same),
            (Severity.LOW, DetailKind.CHANGED_TYPES_SAME_PYTHON_TYPES, same),
        ):
            entries = [Entry(n, x.type.sql, y.type.sql) for n, x, y in retyped if n in names]
            c.add(severity, kind, [f"{e.name} ({e.old} -> {e.new})" for e in entries], entries)

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

    def _with_renamed_targets(self, table: ir.Table) -> ir.Table:
        """table with its foreign keys pointing at renamed tables and columns by their new names
        (Postgres follows a rename: the key is unchanged)."""
        if self._renamed_tables is None:
            self._renamed_tables = {a.qualified_name: (a, b) for a, b in self.table_renames()}
            old = {t.qualified_name: t for t in self.local_schema.tables}
            new = {t.qualified_name: t for t in self.db_schema.tables}
            pairs = [
                *self._renamed_tables.values(),
                *((old[k], new[k]) for k in old.keys() & new.keys()),
            ]
            self._renamed_columns = {
                a.qualified_name: (b.name, column_renames(a, b)) for a, b in pairs
            }
        keys = []
        for fk in table.foreign_keys:
            target = self._renamed_columns.get(f"{fk.target_schema}.{fk.target_table}")
            if target is None:
                keys.append(fk)
                continue
            name, columns = target
            keys.append(
                dataclasses.replace(
                    fk,
                    target_table=name,
                    target_columns=tuple(columns.get(n, n) for n in fk.target_columns),
                )
            )
        return dataclasses.replace(table, foreign_keys=tuple(keys))

    def _compare_foreign_keys(self, a: ir.Table, b: ir.Table, c: Collector) -> None:
        def describe(fk: ir.ForeignKey) -> str:
            target = f"{fk.target_schema}.{fk.target_table}({', '.join(fk.target_columns)})"
            return f"({', '.join(fk.columns)}) -> {target}"

        a_fks = {fk.columns: fk for fk in a.foreign_keys}
        b_fks = {fk.columns: fk for fk in b.foreign_keys}
        c.add(
            Severity.MEDIUM,
            DetailKind.FOREIGN_KEYS_ADDED,
            [describe(b_fks[k]) for k in b_fks if k not in a_fks],
        )
        c.add(
            Severity.MEDIUM,
            DetailKind.FOREIGN_KEYS_REMOVED,
            [describe(a_fks[k]) for k in a_fks if k not in b_fks],
        )
        c.add(
            Severity.MEDIUM,
            DetailKind.FOREIGN_KEYS_RETARGETED,
            [
                describe(b_fks[k])
                for k in b_fks
                if k in a_fks
                and (a_fks[k].target_schema, a_fks[k].target_table, a_fks[k].target_columns)
                != (b_fks[k].target_schema, b_fks[k].target_table, b_fks[k].target_columns)
            ],
        )
