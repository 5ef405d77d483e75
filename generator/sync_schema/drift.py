"""The semantic diff between the committed snapshot and the live database, with severities."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from sync_schema import ir
from sync_schema.model import jsonb, typemap


class Severity(enum.IntEnum):
    """How likely a change is to break code that uses the generated types."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class DetailKind(enum.StrEnum):
    """What a detail says, as a stable name: code reads this, people read the label."""

    ADDED_VALUES = "added_values"
    REMOVED_VALUES = "removed_values"
    REORDERED_VALUES = "reordered_values"
    COMMENT_CHANGED = "comment_changed"
    KIND_CHANGED = "kind_changed"
    ADDED_REQUIRED_COLUMNS = "added_required_columns"
    ADDED_COLUMNS = "added_columns"
    REMOVED_COLUMNS = "removed_columns"
    NOW_NULLABLE = "now_nullable"
    NOW_NOT_NULL_AND_REQUIRED_ON_INSERT = "now_not_null_and_required_on_insert"
    NOW_NOT_NULL = "now_not_null"
    DEFAULT_REMOVED_FROM_NOT_NULL_COLUMNS = "default_removed_from_not_null_columns"
    IDENTITY_OR_GENERATION_CHANGED = "identity_or_generation_changed"
    DEFAULTS_CHANGED = "defaults_changed"
    PRIMARY_KEY_CHANGED = "primary_key_changed"
    PRIMARY_KEY_RENAMED = "primary_key_renamed"
    JSON_SCHEMA_CHANGED = "json_schema_changed"
    COLUMN_COMMENTS_CHANGED = "column_comments_changed"
    FOREIGN_KEYS_ADDED = "foreign_keys_added"
    FOREIGN_KEYS_REMOVED = "foreign_keys_removed"
    FOREIGN_KEYS_RETARGETED = "foreign_keys_retargeted"
    SIGNATURE_CHANGED = "signature_changed"
    OVERLOADS_REMOVED = "overloads_removed"
    OVERLOADS_ADDED = "overloads_added"
    OVERLOADS_CHANGED = "overloads_changed"
    ADDED_ATTRIBUTES = "added_attributes"
    REMOVED_ATTRIBUTES = "removed_attributes"
    BASE_TYPE_CHANGED = "base_type_changed"
    DEFAULT_CHANGED = "default_changed"
    CHECK_CONSTRAINTS_ADDED = "check_constraints_added"
    CHECK_CONSTRAINTS_REMOVED = "check_constraints_removed"
    CHECK_CONSTRAINTS_CHANGED = "check_constraints_changed"
    UNIQUE_CONSTRAINTS_ADDED = "unique_constraints_added"
    UNIQUE_CONSTRAINTS_REMOVED = "unique_constraints_removed"
    UNIQUE_CONSTRAINTS_CHANGED = "unique_constraints_changed"
    CHANGED_TYPES = "changed_types"
    CHANGED_TYPES_SAME_PYTHON_TYPES = "changed_types_same_python_types"
    CLASS_NAMES_CHANGED = "class_names_changed"
    RENAMED_COLUMNS = "renamed_columns"
    RENAMED_VALUES = "renamed_values"
    MEMBER_NAMES_CHANGED = "member_names_changed"


#: How each kind of detail is shown.
LABELS: dict[DetailKind, str] = {
    DetailKind.ADDED_VALUES: "Added values",
    DetailKind.REMOVED_VALUES: "Removed values",
    DetailKind.REORDERED_VALUES: "Reordered values",
    DetailKind.COMMENT_CHANGED: "Comment changed",
    DetailKind.KIND_CHANGED: "Kind changed",
    DetailKind.ADDED_REQUIRED_COLUMNS: "Added required columns",
    DetailKind.ADDED_COLUMNS: "Added columns",
    DetailKind.REMOVED_COLUMNS: "Removed columns",
    DetailKind.NOW_NULLABLE: "Now nullable",
    DetailKind.NOW_NOT_NULL_AND_REQUIRED_ON_INSERT: "Now NOT NULL and required on insert",
    DetailKind.NOW_NOT_NULL: "Now NOT NULL",
    DetailKind.DEFAULT_REMOVED_FROM_NOT_NULL_COLUMNS: "Default removed from NOT NULL columns",
    DetailKind.IDENTITY_OR_GENERATION_CHANGED: "Identity or generation changed",
    DetailKind.DEFAULTS_CHANGED: "Defaults changed",
    DetailKind.PRIMARY_KEY_CHANGED: "Primary key changed",
    DetailKind.PRIMARY_KEY_RENAMED: "Primary key renamed",
    DetailKind.JSON_SCHEMA_CHANGED: "JSON Schema changed",
    DetailKind.COLUMN_COMMENTS_CHANGED: "Column comments changed",
    DetailKind.FOREIGN_KEYS_ADDED: "Foreign keys added",
    DetailKind.FOREIGN_KEYS_REMOVED: "Foreign keys removed",
    DetailKind.FOREIGN_KEYS_RETARGETED: "Foreign keys retargeted",
    DetailKind.SIGNATURE_CHANGED: "Signature changed",
    DetailKind.OVERLOADS_REMOVED: "Overloads removed",
    DetailKind.OVERLOADS_ADDED: "Overloads added",
    DetailKind.OVERLOADS_CHANGED: "Overloads changed",
    DetailKind.ADDED_ATTRIBUTES: "Added attributes",
    DetailKind.REMOVED_ATTRIBUTES: "Removed attributes",
    DetailKind.BASE_TYPE_CHANGED: "Base type changed",
    DetailKind.DEFAULT_CHANGED: "Default changed",
    DetailKind.CHECK_CONSTRAINTS_ADDED: "Check constraints added",
    DetailKind.CHECK_CONSTRAINTS_REMOVED: "Check constraints removed",
    DetailKind.CHECK_CONSTRAINTS_CHANGED: "Check constraints changed",
    DetailKind.UNIQUE_CONSTRAINTS_ADDED: "Unique constraints added",
    DetailKind.UNIQUE_CONSTRAINTS_REMOVED: "Unique constraints removed",
    DetailKind.UNIQUE_CONSTRAINTS_CHANGED: "Unique constraints changed",
    DetailKind.CHANGED_TYPES: "Changed types",
    DetailKind.CHANGED_TYPES_SAME_PYTHON_TYPES: "Changed types (same Python types)",
    DetailKind.CLASS_NAMES_CHANGED: "Class names changed",
    DetailKind.RENAMED_COLUMNS: "Renamed columns",
    DetailKind.RENAMED_VALUES: "Renamed values",
    DetailKind.MEMBER_NAMES_CHANGED: "Member names changed",
}

#: How a rename inferred from the shape of two objects is marked, in every format.
GUESS = "guess"


@dataclass(frozen=True, slots=True)
class Entry:
    """One structured item of a detail: the column, value or overload it is about, before and after."""

    name: str
    old: str | None = None
    new: str | None = None
    #: a rename inferred from position and shape, not proven by a catalog identity
    guess: bool = False

    def to_json(self) -> dict[str, Any]:
        """`name`, `old`, `new`, and `guess` on an inferred rename."""
        out: dict[str, Any] = {"name": self.name, "old": self.old, "new": self.new}
        if self.guess:
            out["guess"] = True
        return out


@dataclass(frozen=True, slots=True)
class Detail:
    """One fact about a modified object, e.g. `Added values: pending, on_hold`."""

    severity: Severity
    label: str
    items: tuple[str, ...]
    kind: DetailKind | None = None
    #: the items as data (for impact and JSON): one Entry per item, in the same order
    entries: tuple[Entry, ...] = ()

    @classmethod
    def of(cls, severity: Severity, kind: DetailKind, *entries: Entry | str) -> Detail:
        """A detail from its entries, shown as `name` or `name (old -> new)`."""
        structured = tuple(e if isinstance(e, Entry) else Entry(e) for e in entries)
        items = tuple(
            e.name if e.old is None and e.new is None else f"{e.name} ({e.old} -> {e.new})"
            for e in structured
        )
        return cls(severity, LABELS[kind], items, kind, structured)


@dataclass(frozen=True, slots=True)
class Change:
    """One object that differs, with the most severe of its details."""

    kind: str  # SCHEMA, ENUM, TABLE, VIEW, FUNCTION, COMPOSITE TYPE, DOMAIN
    schema: str
    name: str
    change: str  # added | removed | modified | renamed
    severity: Severity
    details: tuple[Detail, ...] = ()
    #: for a rename, the old name (`name` is the new one)
    renamed_from: str | None = None
    #: the rename is inferred from position and shape (no catalog identity proves it)
    guess: bool = False

    @property
    def summary(self) -> str:
        """What happened: `added`, ..., or `renamed users -> members (guess)`."""
        if self.renamed_from is None:
            return self.change
        mark = f" ({GUESS})" if self.guess else ""
        return f"renamed {self.renamed_from} -> {self.name}{mark}"

    @property
    def display_name(self) -> str:
        """Unqualified for `public` and for schemas themselves, qualified otherwise."""
        if self.kind == "SCHEMA" or self.schema in ("public", ""):
            return self.name
        return f"{self.schema}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable form."""
        out: dict[str, Any] = {
            "severity": self.severity.name,
            "object_type": self.kind,
            "schema": self.schema,
            "name": self.name,
            "change": self.change,
        }
        if self.renamed_from is not None:
            out["renamed_from"] = self.renamed_from
            out["guess"] = self.guess
        out["details"] = [
            {
                "severity": d.severity.name,
                "what": d.label,
                "kind": d.kind.value if d.kind else None,
                "items": list(d.items),
                "entries": [e.to_json() for e in d.entries],
            }
            for d in self.details
        ]
        return out


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
    """Lock key (`model.names.name_lock`) -> (change kind, schema, name) of each object of db."""
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
            c = _Collector()
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
                c = _Collector()
                items = [f"{x.old} -> {x.new}" for x in entries]
                c.add(Severity.HIGH, DetailKind.MEMBER_NAMES_CHANGED, items, entries)
                changes += _modified("ENUM", e.schema, e.name, c)
        return changes

    def _class_names(self, c: _Collector, old_key: str, new_key: str, kind: str) -> None:
        """The classes an object's generated names move from and to, when both locks know it."""
        before, after = self.local_names.get(old_key), self.db_names.get(new_key)
        if before is None or after is None or before == after:
            return
        suffixes = _LOCK_SUFFIXES["VIEW" if kind == "VIEW" else new_key.partition(" ")[0]]
        entries = [Entry(before + s, before + s, after + s) for s in suffixes]
        items = [f"{e.old} -> {e.new}" for e in entries]
        c.add(Severity.HIGH, DetailKind.CLASS_NAMES_CHANGED, items, entries)

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
            # ALTER TYPE ... RENAME VALUE keeps the label's place in the sort order and the
            # number of labels; a label gone while others came is read as a replacement.
            renamed = (
                _renamed_in_place(a.labels, b.labels, lambda _x, _y: True, anywhere=True)
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
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [_short(b.comment)])
            changes += _modified("ENUM", b.schema, b.name, c)
        return changes

    # -- tables and views ---------------------------------------------------------------------
    def compare_tables(self) -> list[Change]:
        """Tables and views: removal is critical, column-level changes per the severity rules."""
        old = {t.qualified_name: t for t in self.local_schema.tables}
        new = {t.qualified_name: t for t in self.db_schema.tables}
        changes: list[Change] = []
        for a, b in self.table_renames():
            del old[a.qualified_name], new[b.qualified_name]
            c = _Collector()
            kind = _table_kind(b)
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
            changes.append(Change(_table_kind(t), t.schema, t.name, "removed", Severity.CRITICAL))
        for key in sorted(new.keys() - old.keys()):
            t = new[key]
            changes.append(Change(_table_kind(t), t.schema, t.name, "added", Severity.LOW))
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
        return _unique_pairs(gone, added, _table_shape)

    def compare_table(self, a: ir.Table, b: ir.Table) -> list[Change]:
        """The changes inside one table or view."""
        c = _Collector()
        if a.kind != b.kind:
            c.add(Severity.HIGH, DetailKind.KIND_CHANGED, [f"{_kind_words(a)} -> {_kind_words(b)}"])
        renamed = _column_renames(a, b)
        if renamed:
            entries = [Entry(x, x, y, guess=True) for x, y in renamed.items()]
            items = [f"{e.old} -> {e.new} ({GUESS})" for e in entries]
            c.add(Severity.HIGH, DetailKind.RENAMED_COLUMNS, items, entries)
            # Compared under its new name from here on: the rename is its only change.
            a = _with_renamed_columns(a, renamed)
        a = self._with_renamed_targets(a)
        a_cols = {col.name: col for col in a.columns}
        b_cols = {col.name: col for col in b.columns}
        added = [n for n in b_cols if n not in a_cols]
        # A required column breaks every Insert that leaves it out; views take no Insert.
        required = [n for n in added if not b.is_view and _required(b_cols[n])]
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
        now_required = [n for n in tightened if not b.is_view and _required(b_cols[n])]
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
            if _default_value(a_cols[n].default) != _default_value(b_cols[n].default)
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
            c.add(Severity.HIGH, DetailKind.PRIMARY_KEY_CHANGED, [_pk(b.primary_key)])
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
        _compare_named(
            c,
            _CHECK_KINDS,
            {x.name: x.definition for x in a.check_constraints},
            {x.name: x.definition for x in b.check_constraints},
        )
        _compare_named(
            c,
            _UNIQUE_KINDS,
            {x.name: ", ".join(x.columns) for x in a.unique_constraints},
            {x.name: ", ".join(x.columns) for x in b.unique_constraints},
        )
        if a.comment != b.comment:
            c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [_short(b.comment)])
        c.add(
            Severity.LOW,
            DetailKind.COLUMN_COMMENTS_CHANGED,
            [n for n in common if a_cols[n].comment != b_cols[n].comment],
        )
        return _modified(_table_kind(b), b.schema, b.name, c)

    def _compare_types(
        self,
        c: _Collector,
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
                a.qualified_name: (b.name, _column_renames(a, b)) for a, b in pairs
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

    def _compare_foreign_keys(self, a: ir.Table, b: ir.Table, c: _Collector) -> None:
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

    # -- functions ----------------------------------------------------------------------------
    def compare_functions(self) -> list[Change]:
        """Removed or re-signed functions are high: callers of `.rpc()` break."""
        old = _by_name(self.local_schema.functions)
        new = _by_name(self.db_schema.functions)
        changes: list[Change] = []
        for (schema, before), (_schema, after) in _function_renames(old, new):
            a_overloads, b_overloads = old.pop((schema, before)), new.pop((schema, after))
            c = _Collector()
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
            c = _Collector()
            if len(a) == 1 and len(b) == 1:
                fa, fb = next(iter(a.values())), next(iter(b.values()))
                if _call_shape(fa) != _call_shape(fb):
                    c.add(
                        Severity.HIGH,
                        DetailKind.SIGNATURE_CHANGED,
                        [f"{fa.signature} -> {fb.signature}"],
                    )
                elif fa.comment != fb.comment:
                    c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [_short(fb.comment)])
            else:
                c.add(Severity.HIGH, DetailKind.OVERLOADS_REMOVED, sorted(a.keys() - b.keys()))
                c.add(Severity.LOW, DetailKind.OVERLOADS_ADDED, sorted(b.keys() - a.keys()))
                c.add(
                    Severity.HIGH,
                    DetailKind.OVERLOADS_CHANGED,
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
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [_short(b.comment)])
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
                c.add(
                    Severity.HIGH, DetailKind.BASE_TYPE_CHANGED, [f"{a.base.sql} -> {b.base.sql}"]
                )
            if b.nullable and not a.nullable:
                c.add(Severity.HIGH, DetailKind.NOW_NULLABLE, [b.name])
            if a.nullable and not b.nullable:
                c.add(Severity.MEDIUM, DetailKind.NOW_NOT_NULL, [b.name])
            _compare_named(
                c,
                _CHECK_KINDS,
                {x.name: x.definition for x in a.check_constraints},
                {x.name: x.definition for x in b.check_constraints},
            )
            if _default_value(a.default) != _default_value(b.default):
                c.add(Severity.LOW, DetailKind.DEFAULT_CHANGED, [f"{a.default} -> {b.default}"])
            if a.comment != b.comment:
                c.add(Severity.LOW, DetailKind.COMMENT_CHANGED, [_short(b.comment)])
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


def _compare_named(
    c: _Collector,
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


def _default_value(expression: str | None) -> str | None:
    """A default as the value it gives: the spelling of a cast constant is not a change."""
    if expression is None:
        return None
    found = _CAST_CONSTANT.fullmatch(expression)
    if found is None:
        return expression
    value = found["value"]
    return None if value == "NULL" else value


def _required(column: ir.Column) -> bool:
    """Whether an Insert must carry the column: NOT NULL, no default, not generated, no identity."""
    return (
        not column.nullable
        and column.default is None
        and column.identity is None
        and column.generated is None
    )


_CHECK_KINDS = (
    DetailKind.CHECK_CONSTRAINTS_ADDED,
    DetailKind.CHECK_CONSTRAINTS_REMOVED,
    DetailKind.CHECK_CONSTRAINTS_CHANGED,
)
_UNIQUE_KINDS = (
    DetailKind.UNIQUE_CONSTRAINTS_ADDED,
    DetailKind.UNIQUE_CONSTRAINTS_REMOVED,
    DetailKind.UNIQUE_CONSTRAINTS_CHANGED,
)


def _call_shape(f: ir.Function) -> tuple[object, ...]:
    """What a caller of `.rpc()` depends on: argument names, types, defaults and the result."""
    return (f.arguments, f.returns, f.returns_set, f.return_columns)


def _function_renames(
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
            tuple(sorted(((_call_shape(f), f.volatility) for f in overloads), key=repr)),
        )

    gone = [(k, v) for k, v in old.items() if k not in new]
    added = [(k, v) for k, v in new.items() if k not in old]
    return sorted((a[0], b[0]) for a, b in _unique_pairs(gone, added, shape))


def _by_name(functions: Iterable[ir.Function]) -> dict[tuple[str, str], list[ir.Function]]:
    out: dict[tuple[str, str], list[ir.Function]] = {}
    for f in functions:
        out.setdefault((f.schema, f.name), []).append(f)
    return out


_T = TypeVar("_T")


def _unique_pairs(
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


def _table_shape(t: ir.Table) -> Hashable:
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
        _default_value(column.default),
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


def _renamed_in_place(
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


def _column_renames(a: ir.Table, b: ir.Table) -> dict[str, str]:
    """old -> new name of each column of a that b seems to hold under another name."""
    a_cols = {c.name: c for c in a.columns}
    b_cols = {c.name: c for c in b.columns}
    return _renamed_in_place(
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


def _with_renamed_columns(t: ir.Table, renamed: Mapping[str, str]) -> ir.Table:
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
        f"  Change: {change.summary}",
    ]
    lines += [f"  {d.label}: {', '.join(d.items)}" for d in change.details]
    return lines


def count_by_severity(changes: Iterable[Change]) -> dict[str, int]:
    """{"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n}."""
    counts = {s.name: 0 for s in sorted(Severity, reverse=True)}
    for change in changes:
        counts[change.severity.name] += 1
    return counts
