"""The intermediate representation: frozen, sorted facts about the database, with no I/O.

A little over 500 lines on purpose: the dataclasses and their canonical JSON (DB_HASH, the
snapshot) stay side by side, so a field added to one is seen missing from the other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import operator
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from sync_schema import gcpause

RelationKind = Literal["table", "partitioned_table", "view", "materialized_view", "foreign_table"]
TypeKind = Literal["base", "enum", "composite", "domain", "range", "multirange", "pseudo"]

#: Relation kinds that hold rows a client can insert into.
WRITABLE_KINDS: frozenset[str] = frozenset({"table", "partitioned_table", "foreign_table"})

#: Bumped when the shape of the IR changes, so old snapshots are recognised.
IR_FORMAT = 1


class _Named:
    """`qualified_name` for every IR object that lives in a schema."""

    __slots__ = ()
    schema: str
    name: str

    @property
    def qualified_name(self) -> str:
        """`schema.name`, the key sync-schema uses in config and diffs."""
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class TypeRef(_Named):
    """A column's type: the element type's identity plus array depth and typmod facts."""

    schema: str
    name: str
    kind: TypeKind
    sql: str
    array_dims: int = 0
    max_length: int | None = None
    precision: int | None = None
    scale: int | None = None


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table, view or composite type, in catalog order."""

    name: str
    type: TypeRef
    nullable: bool
    default: str | None = None
    identity: Literal["always", "by_default"] | None = None
    generated: Literal["stored", "virtual"] | None = None
    generation_expression: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryKey:
    """A primary key constraint."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    """A unique constraint."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key, with its target resolved to names."""

    name: str
    columns: tuple[str, ...]
    target_schema: str
    target_table: str
    target_columns: tuple[str, ...]
    on_update: str = "no action"
    on_delete: str = "no action"


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    """A CHECK constraint, as Postgres prints its definition."""

    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class Table(_Named):
    """A table, partitioned table, view, materialized view or foreign table."""

    schema: str
    name: str
    kind: RelationKind
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    unique_constraints: tuple[UniqueConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    check_constraints: tuple[CheckConstraint, ...] = ()
    comment: str | None = None

    @property
    def is_view(self) -> bool:
        """Whether clients can only read this relation."""
        return self.kind not in WRITABLE_KINDS

    def column(self, name: str) -> Column | None:
        """The column called `name`, if any."""
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Enum(_Named):
    """An enum type with its labels in Postgres sort order."""

    schema: str
    name: str
    labels: tuple[str, ...]
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CompositeType(_Named):
    """A standalone composite type (CREATE TYPE ... AS (...))."""

    schema: str
    name: str
    attributes: tuple[Column, ...]
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Domain(_Named):
    """A domain over a base type, with its own nullability and checks."""

    schema: str
    name: str
    base: TypeRef
    nullable: bool = True
    default: str | None = None
    check_constraints: tuple[CheckConstraint, ...] = ()
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class FunctionArg:
    """One argument of a function."""

    name: str
    type: TypeRef
    mode: Literal["in", "out", "inout", "variadic", "table"] = "in"
    has_default: bool = False


@dataclass(frozen=True, slots=True)
class Function:
    """A function callable through PostgREST's rpc."""

    schema: str
    name: str
    arguments: tuple[FunctionArg, ...]
    returns: TypeRef | None
    returns_set: bool = False
    return_columns: tuple[Column, ...] = ()
    volatility: Literal["immutable", "stable", "volatile"] = "volatile"
    comment: str | None = None

    @property
    def signature(self) -> str:
        """`schema.name(argtypes)`, the identity Postgres uses for overloads."""
        args = ", ".join(
            a.type.sql for a in self.arguments if a.mode in ("in", "inout", "variadic")
        )
        return f"{self.schema}.{self.name}({args})"


@dataclass(frozen=True, slots=True)
class Database:
    """Everything sync-schema knows about the introspected schemas."""

    schemas: tuple[str, ...]
    enums: tuple[Enum, ...] = ()
    tables: tuple[Table, ...] = ()
    composite_types: tuple[CompositeType, ...] = ()
    domains: tuple[Domain, ...] = ()
    functions: tuple[Function, ...] = ()
    format: int = field(default=IR_FORMAT)

    def sorted(self) -> Database:
        """The same database with every collection in canonical order."""
        return dataclasses.replace(
            self,
            schemas=tuple(sorted(set(self.schemas))),
            enums=tuple(sorted(self.enums, key=lambda e: (e.schema, e.name))),
            tables=tuple(
                sorted((_sort_table(t) for t in self.tables), key=lambda t: (t.schema, t.name))
            ),
            composite_types=tuple(sorted(self.composite_types, key=lambda c: (c.schema, c.name))),
            domains=tuple(
                sorted(
                    (
                        dataclasses.replace(
                            d,
                            check_constraints=tuple(
                                sorted(d.check_constraints, key=lambda c: c.name)
                            ),
                        )
                        for d in self.domains
                    ),
                    key=lambda d: (d.schema, d.name),
                )
            ),
            functions=tuple(sorted(self.functions, key=lambda f: (f.schema, f.name, f.signature))),
        )

    @property
    def is_empty(self) -> bool:
        """Whether no object at all was found."""
        return not (
            self.enums or self.tables or self.composite_types or self.domains or self.functions
        )

    def only(self, schema: str) -> Database:
        """The objects of one schema (domains stay whole: they are looked up, not emitted)."""
        return dataclasses.replace(
            self,
            enums=tuple(e for e in self.enums if e.schema == schema),
            tables=tuple(t for t in self.tables if t.schema == schema),
            composite_types=tuple(c for c in self.composite_types if c.schema == schema),
            functions=tuple(f for f in self.functions if f.schema == schema),
        )

    def table(self, schema: str, name: str) -> Table | None:
        """The relation `schema.name`, if introspected."""
        return next((t for t in self.tables if t.schema == schema and t.name == name), None)

    def enum(self, schema: str, name: str) -> Enum | None:
        """The enum `schema.name`, if introspected."""
        return next((e for e in self.enums if e.schema == schema and e.name == name), None)


def _sort_table(table: Table) -> Table:
    # Columns keep catalog order (attnum): it is meaningful. Constraints have no order, so sort.
    return dataclasses.replace(
        table,
        unique_constraints=tuple(sorted(table.unique_constraints, key=lambda c: c.name)),
        foreign_keys=tuple(sorted(table.foreign_keys, key=lambda c: c.name)),
        check_constraints=tuple(sorted(table.check_constraints, key=lambda c: c.name)),
    )


# --- canonical JSON -------------------------------------------------------------------------


def to_dict(db: Database) -> dict[str, Any]:
    """The canonical plain-data form of the IR (no OIDs, nothing machine-specific)."""
    result = _plain(db.sorted(), {})
    assert isinstance(result, dict)
    return result


#: Marks a field without a default (always written).
_REQUIRED: Any = object()
#: Written even when equal to its default, so a reader can tell the format of any snapshot.
_ALWAYS_WRITTEN = frozenset({"format"})
#: Values written as they are: no recursion needed.
_SCALARS = frozenset({str, int, bool, float, type(None)})


class _FieldSpec(typing.NamedTuple):
    """How to turn one dataclass into plain data: its fields, their defaults, one getter."""

    names: tuple[str, ...]
    defaults: tuple[Any, ...]
    values: Any  # operator.attrgetter of every field: one C call per object


_FIELD_SPECS: dict[type, _FieldSpec | None] = {}


def _field_spec(cls: type) -> _FieldSpec | None:
    if cls not in _FIELD_SPECS:
        spec = None
        if dataclasses.is_dataclass(cls):
            fields = dataclasses.fields(cls)
            names = tuple(f.name for f in fields)
            spec = _FieldSpec(
                names=names,
                defaults=tuple(
                    _REQUIRED
                    if f.name in _ALWAYS_WRITTEN or f.default is dataclasses.MISSING
                    else f.default
                    for f in fields
                ),
                values=operator.attrgetter(*names) if len(names) > 1 else _one_getter(names[0]),
            )
        _FIELD_SPECS[cls] = spec
    return _FIELD_SPECS[cls]


def _one_getter(name: str) -> Any:
    getter = operator.attrgetter(name)
    return lambda value: (getter(value),)


def _plain(value: Any, memo: dict[Any, Any]) -> Any:
    # Fields equal to their default are left out: half the size, and an added IR field with a
    # default keeps every existing snapshot and DB_HASH as they were. Types repeat across
    # thousands of columns, so each distinct TypeRef is converted once and shared.
    if type(value) in _SCALARS:
        return value
    if isinstance(value, tuple):
        return [_plain(v, memo) for v in value]
    spec = _field_spec(type(value))
    if spec is None:
        return value
    if type(value) is TypeRef:
        # Keyed by identity: introspection shares one TypeRef per distinct type, and hashing a
        # dataclass's eight fields for every column would cost more than converting it.
        cached = memo.get(id(value))
        if cached is None:
            cached = memo[id(value)] = _plain_fields(value, spec, memo)
        return cached
    return _plain_fields(value, spec, memo)


def _plain_fields(value: Any, spec: _FieldSpec, memo: dict[Any, Any]) -> Any:
    result = {}
    for name, default, item in zip(spec.names, spec.defaults, spec.values(value), strict=True):
        if item is default or (default is not _REQUIRED and item == default):
            continue
        result[name] = item if type(item) in _SCALARS else _plain(item, memo)
    return result


def to_json(db: Database, *, indent: int | None = None) -> str:
    """Canonical JSON text: sorted keys, stable separators, UTF-8 kept readable."""
    return dumps(to_dict(db), indent=indent)


def dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON with the canonical settings (sorted keys, no ASCII escaping)."""
    separators = (",", ": ") if indent else (",", ":")
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, indent=indent, separators=separators
    )


#: A top-level key of `to_dict` output -> its value as canonical JSON, item by item for lists.
JsonParts = dict[str, "str | list[str]"]


def json_parts(db: Database) -> JsonParts:
    """The canonical JSON of `to_dict(db)`, one string per list item: encoded once, then both
    hashed (`hash_parts`) and written one object per line (schema.json)."""
    with gcpause.paused():
        sorted_db = db.sorted()
        spec = _encoder_spec(Database)
        memo: dict[int, str] = {}
        parts: JsonParts = {}
        for key, default, value in zip(
            spec.names, spec.defaults, spec.values(sorted_db), strict=True
        ):
            if value is default or (default is not _REQUIRED and value == default):
                continue
            if type(value) is tuple:
                parts[key] = [_encode(item, memo) for item in value]
            else:
                parts[key] = _encode(value, memo)
    return parts


class _EncoderSpec(typing.NamedTuple):
    """How to write one dataclass as canonical JSON: its fields in sorted order, and more."""

    names: tuple[str, ...]
    keys: tuple[str, ...]  # each name as an encoded JSON key with its colon: '"name":'
    defaults: tuple[Any, ...]
    values: Any  # operator.attrgetter of the fields, in sorted order


_ENCODER_SPECS: dict[type, _EncoderSpec] = {}
_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _encoder_spec(cls: type) -> _EncoderSpec:
    spec = _ENCODER_SPECS.get(cls)
    if spec is None:
        plain = _field_spec(cls)
        if plain is None:
            raise TypeError(f"cannot encode {cls.__name__} as IR JSON")
        order = sorted(range(len(plain.names)), key=plain.names.__getitem__)
        names = tuple(plain.names[i] for i in order)
        getter = operator.attrgetter(*names) if len(names) > 1 else _one_getter(names[0])
        spec = _ENCODER_SPECS[cls] = _EncoderSpec(
            names=names,
            keys=tuple(f"{_encode_str(n)}:" for n in names),
            defaults=tuple(plain.defaults[i] for i in order),
            values=getter,
        )
    return spec


def _encode(value: Any, memo: dict[int, str]) -> str:
    # The text json.dumps(_plain(value), sort_keys=True, ensure_ascii=False, separators=(",",
    # ":")) would give, written without building the dicts first: a third less time.
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is tuple or kind is list:
        return f"[{','.join([_encode(item, memo) for item in value])}]"
    if kind is TypeRef:
        # Introspection shares one TypeRef per distinct type: encode each once.
        cached = memo.get(id(value))
        if cached is None:
            cached = memo[id(value)] = _encode_fields(value, _encoder_spec(kind), memo)
        return cached
    if isinstance(value, str):  # a subclass, such as a StrEnum member: json.dumps takes it too
        return _encode_str(value)
    if isinstance(value, int):
        return int.__repr__(value)
    return _encode_fields(value, _encoder_spec(kind), memo)


def _encode_fields(value: Any, spec: _EncoderSpec, memo: dict[int, str]) -> str:
    items = []
    for key, default, item in zip(spec.keys, spec.defaults, spec.values(value), strict=True):
        if item is default or (default is not _REQUIRED and item == default):
            continue
        items.append(key + _encode(item, memo))
    return f"{{{','.join(items)}}}"


def hash_parts(parts: JsonParts) -> str:
    """sha256 of the compact canonical JSON the parts make up (the same as `dumps` of the whole)."""
    body = ",".join(
        f"{dumps(key)}:" + (f"[{','.join(value)}]" if isinstance(value, list) else value)
        for key, value in parts.items()
    )
    return hashlib.sha256(f"{{{body}}}".encode()).hexdigest()


def db_hash(db: Database) -> str:
    """sha256 of the compact canonical JSON: the identity of a database schema."""
    return hash_parts(json_parts(db))


def from_json(text: str) -> Database:
    """Rebuild a Database from `to_json` output."""
    return from_dict(json.loads(text))


def from_dict(data: dict[str, Any]) -> Database:
    """Rebuild a Database from `to_dict` output."""
    result = _decode(Database, data)
    assert isinstance(result, Database)
    return result


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ValueError(f"expected an object for {tp.__name__}, got {type(value).__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(value) - names
        if unknown:
            raise ValueError(f"unknown keys for {tp.__name__}: {sorted(unknown)}")
        return tp(**{k: _decode(hints[k], v) for k, v in value.items()})
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(tp)
        return tuple(_decode(item_type, v) for v in value)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(inner, value)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ValueError(f"unexpected value {value!r}")
        return value
    if tp in (str, int, bool):
        if not isinstance(value, tp):
            raise ValueError(f"expected {tp.__name__}, got {type(value).__name__}")
        return value
    raise TypeError(f"cannot decode {tp!r}")  # pragma: no cover - a new IR field type
