"""Allocate every class name of the tree once, collision-free, keeping the committed lock."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sync_schema import ir, naming
from sync_schema.layout import primary_schema, schema_packages
from sync_schema.model.prepare import (
    JsonSchemaColumn,
    json_schema_columns,
    row_type_composites,
    table_group,
)
from sync_schema.options import Options

_TYPING_NAMES = frozenset(
    {"Any", "Literal", "Never", "NotRequired", "TypedDict", "TypeAlias", "Final"}
)
# Every name the type mapping can import: a class of the same name would shadow it.
_IMPORTED_NAMES = frozenset(
    {
        "Decimal", "UUID", "date", "datetime", "time", "timedelta", "Range", "Multirange", "JsonValue",
        "IPvAnyInterface", "IPvAnyNetwork", "IPv4Address", "IPv6Address", "IPv4Interface",
        "IPv6Interface", "IPv4Network", "IPv6Network", "Bytea", "Interval", "TimeTz",
        "JsonNotNull", "Hstore", "HstoreText",
    }
)  # fmt: skip
PYDANTIC_BASE = "SchemaModel"
FROZEN_ROW_BASE = "SchemaRowModel"
ENUM_BASE = "_LabelEnum"
#: Every name the templates bind at module level besides the objects' classes: no class may
#: take one, or it would shadow it (even through a [tool.sync-schema.naming] override).
#: Enum is no longer bound (StrEnum is), but stays taken: freeing it would rename classes.
_TEMPLATE_NAMES = frozenset(
    {
        *_TYPING_NAMES, *_IMPORTED_NAMES, "TYPE_CHECKING", "Enum", "StrEnum", ENUM_BASE, "Json",
        "BaseModel", "ConfigDict", "Field", PYDANTIC_BASE, FROZEN_ROW_BASE,
        "SCHEMA_VERSION", "LAST_SYNC", "DB_HASH", "GENERATOR_VERSION",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TableNames:
    """The class names chosen for one relation."""

    row: str
    insert: str | None
    update: str | None
    model: str
    model_insert: str | None
    model_update: str | None
    group: str  # entities | relationships | views


@dataclass(slots=True)
class Names:
    """Every class name in the tree, decided once and collision-free."""

    enums: dict[str, tuple[str, str]] = field(default_factory=dict)
    members: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: "member schema.enum.label" -> member name, the enum members' part of the lock
    member_lock: dict[str, str] = field(default_factory=dict)
    tables: dict[str, TableNames] = field(default_factory=dict)
    #: qualified composite type name -> class name (TypedDict and Pydantic model alike)
    composites: dict[str, str] = field(default_factory=dict)
    #: function signature -> (Args, Returns, Result) names
    functions: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: schema -> dotted prefix of its subpackage ("" for public, which stays flat)
    packages: dict[str, str] = field(default_factory=dict)
    #: "schema.table.column" of a JSON-Schema-typed column -> (module, root class name)
    jsonb: dict[str, tuple[str, str]] = field(default_factory=dict)


#: The lock of names: "kind identity" (e.g. "table public.users", "function public.f(integer)")
#: -> the base of the object's class names ("User" for UserRow, UserInsert, ...).
NameLock = Mapping[str, str]


@dataclass(slots=True)
class _Slot:
    """One object to name: its lock key, the name it asks for, and where the result goes."""

    key: str
    wanted: Callable[[], str | None]  # None while it depends on a name not yet decided
    suffixes: tuple[str, ...]
    overridden: bool
    place: Callable[[str], None]


def decide_names(
    db: ir.Database,
    options: Options,
    lock: NameLock | None = None,
    *,
    jsonb: Mapping[str, JsonSchemaColumn] | None = None,
) -> Names:
    """Allocate class names, collision-free; with a `lock`, existing objects keep theirs.

    Without a lock: jsonb roots, enums, relations, composites, functions, each in sorted
    order (the primary schema first), the first to ask for a name getting it. With the lock
    of the previous generation (`name_lock`): objects whose [naming] override changed take
    it first, then every locked object keeps its names while they are free, and only then
    are new objects placed, so a new object that collides gets the suffix.
    """
    taken: set[str] = {*naming.BUILTIN_NAMES, *_TEMPLATE_NAMES}
    names = Names(packages=schema_packages(db.schemas))
    if jsonb is None:
        jsonb = json_schema_columns(db, options)
    slots = _slots(db, options, names, jsonb, lock)
    if lock is None:
        for slot in slots:
            slot.place(_free_group(_known(slot), slot.suffixes, taken))
        return names
    pending: list[_Slot] = []
    changed = [s for s in slots if s.key in lock and s.overridden and not _follows(lock[s.key], s)]
    for slot in changed:
        # The user renamed it in [tool.sync-schema.naming]: that choice beats any lock.
        slot.place(_free_group(_known(slot), slot.suffixes, taken))
    done = {slot.key for slot in changed}
    for slot in slots:
        if slot.key in done:
            continue
        locked = lock.get(slot.key)
        if locked is None or not _follows(locked, slot) or _taken(locked, slot.suffixes, taken):
            pending.append(slot)
            continue
        taken.update(locked + s for s in slot.suffixes)
        slot.place(locked)
    for slot in pending:
        slot.place(_free_group(_known(slot), slot.suffixes, taken))
    return names


def name_lock(names: Names) -> dict[str, str]:
    """The lock schema.json records: "kind identity" -> base class name, sorted."""
    lock = {f"enum {qn}": cls for qn, (cls, _alias) in names.enums.items()}
    lock.update((f"table {qn}", t.model) for qn, t in names.tables.items())
    lock.update((f"composite {qn}", cls) for qn, cls in names.composites.items())
    lock.update(
        (f"function {sig}", args.removesuffix("Args"))
        for sig, (args, _returns, _result) in names.functions.items()
    )
    lock.update((f"jsonb {key}", cls) for key, (_module, cls) in names.jsonb.items())
    lock.update(names.member_lock)
    return dict(sorted(lock.items()))


def _known(slot: _Slot) -> str:
    wanted = slot.wanted()
    assert wanted is not None, slot.key  # slots are placed in an order that decides it first
    return wanted


def _follows(locked: str, slot: _Slot) -> bool:
    """Whether a locked base is the object's wanted name, or that name with a number."""
    wanted = slot.wanted()
    return wanted is not None and _follows_name(locked, wanted)


def _follows_name(locked: str, wanted: str, sep: str = "") -> bool:
    """Whether `locked` is `wanted`, or `wanted` numbered as find_free_name numbers it."""
    stem = wanted[: -len(sep)] if sep and wanted.endswith(sep) else wanted
    numbered = re.escape(stem) + re.escape(sep) + r"(?:[2-9]|[1-9]\d+)"
    return locked == wanted or re.fullmatch(numbered, locked) is not None


def _taken(base: str, suffixes: tuple[str, ...], taken: set[str]) -> bool:
    return any(base + s in taken for s in suffixes)


def _slots(
    db: ir.Database,
    options: Options,
    names: Names,
    jsonb_columns: Mapping[str, JsonSchemaColumn],
    lock: NameLock | None = None,
) -> list[_Slot]:
    """Every object to name, in the order names are placed without a lock."""
    slots: list[_Slot] = []
    primary = primary_schema(db.schemas)
    for key, typed in jsonb_columns.items():
        relation, _dot, column_name = key.rpartition(".")
        wanted = naming.class_base_name(relation.partition(".")[2]) + naming.pascal(column_name)

        def jsonb(base: str, key: str = key, module: str = typed.module) -> None:
            names.jsonb[key] = (module, base)

        slots.append(
            _Slot(f"jsonb {key}", _const(_camel_at_underscores(wanted)), ("",), False, jsonb)
        )
    for enum in primary_first(db.enums, primary):
        override = options.names.get(enum.qualified_name)
        wanted = override or naming.enum_class_name(enum.name)
        slots.append(
            _Slot(
                f"enum {enum.qualified_name}",
                _const(wanted),
                ("", "Value"),
                override is not None,
                functools.partial(_place_enum, names, options, lock, enum),
            )
        )
    for table in primary_first(db.tables, primary):
        group = table_group(table, options)
        override = options.names.get(table.qualified_name)
        wanted = override or naming.class_base_name(table.name)
        suffixes = ("", "Row") if group == "views" else ("", "Row", "Insert", "Update")
        slots.append(
            _Slot(
                f"table {table.qualified_name}",
                _const(wanted),
                suffixes,
                override is not None,
                functools.partial(_place_table, names, table.qualified_name, group),
            )
        )
    relations = {t.qualified_name for t in db.tables}
    for composite in primary_first((*db.composite_types, *row_type_composites(db)), primary):
        qualified = composite.qualified_name
        override = None if qualified in relations else options.names.get(qualified)
        # A table's row type is named after the table's classes (TagRow, TagRecord).
        asks: Callable[[], str | None] = (
            functools.partial(_record_name, names, qualified)
            if qualified in relations
            else _const(override or naming.pascal(composite.name))
        )

        def composite_place(base: str, qualified: str = qualified) -> None:
            names.composites[qualified] = base

        slots.append(
            _Slot(f"composite {qualified}", asks, ("",), override is not None, composite_place)
        )
    # Sorted by signature, so overloads are numbered the same way on every run.
    for function in primary_first(db.functions, primary):
        override = options.names.get(function.signature)
        wanted = override or naming.pascal(function.name)

        def function_place(base: str, signature: str = function.signature) -> None:
            names.functions[signature] = (base + "Args", base + "Returns", base + "Result")

        slots.append(
            _Slot(
                f"function {function.signature}",
                _const(wanted),
                _FUNCTION_SUFFIXES,
                override is not None,
                function_place,
            )
        )
    return slots


def _const(value: str) -> Callable[[], str | None]:
    return lambda: value


def _record_name(names: Names, qualified: str) -> str | None:
    table_names = names.tables.get(qualified)
    return None if table_names is None else table_names.model + "Record"


def _place_enum(
    names: Names, options: Options, lock: NameLock | None, enum: ir.Enum, cls: str
) -> None:
    names.enums[enum.qualified_name] = (cls, cls + "Value")
    keys = [f"{enum.qualified_name}.{label}" for label in enum.labels]
    wanted = [
        options.names.get(key) or naming.enum_member_name(label)
        for key, label in zip(keys, enum.labels, strict=True)
    ]
    placed: list[str | None] = [None] * len(keys)
    used: set[str] = set()
    # Locked members keep their names first (while they still follow the wanted name: a
    # changed override wins), so a new label that collides gets the suffix.
    for i, key in enumerate(keys):
        locked = (lock or {}).get(f"member {key}")
        if locked is not None and locked not in used and _follows_name(locked, wanted[i], "_"):
            placed[i] = locked
            used.add(locked)
    members = tuple(
        done if done is not None else naming.find_free_name(want, used, sep="_")
        for done, want in zip(placed, wanted, strict=True)
    )
    names.members[enum.qualified_name] = members
    names.member_lock.update(
        (f"member {key}", member) for key, member in zip(keys, members, strict=True)
    )


def _place_table(names: Names, qualified: str, group: str, base: str) -> None:
    if group == "views":
        names.tables[qualified] = TableNames(
            row=base + "Row",
            insert=None,
            update=None,
            model=base,
            model_insert=None,
            model_update=None,
            group=group,
        )
    else:
        names.tables[qualified] = TableNames(
            row=base + "Row",
            insert=base + "Insert",
            update=base + "Update",
            model=base,
            model_insert=base + "Insert",
            model_update=base + "Update",
            group=group,
        )


_FUNCTION_SUFFIXES = ("Args", "Returns", "Result")
#: The names client.py.jinja binds itself.
CLIENT_NAMES = frozenset(
    {
        "annotations", "Any", "Generic", "Literal", "Never", "Protocol", "Self", "TypeAlias",
        "TypeVar", "cast", "overload", "dataclass", "Iterable", "Response", "RawClient",
        "Filters", "SelectQuery", "SingleQuery", "MaybeSingleQuery", "ViewQuery", "TableQuery",
        "RpcQuery", "TypedClient", "AsyncSelectQuery", "AsyncSingleQuery",
        "AsyncMaybeSingleQuery", "AsyncViewQuery", "AsyncTableQuery", "AsyncRpcQuery",
        "AsyncTypedClient", "CountMethod", "ReturnMethod", "VIEWS", "Callable", "RowsQuery",
        "AsyncRowsQuery", "AnyFilters", "_SELECTS", "_ASYNC_SELECTS",
    }
)  # fmt: skip
_T = TypeVar("_T", ir.Enum, ir.Table, ir.CompositeType, ir.Function)


def primary_first(items: Iterable[_T], primary: str) -> list[_T]:
    # The flat schema takes its names first, so asking for one more schema renames none of them.
    return sorted(items, key=lambda item: item.schema != primary)


def _camel_at_underscores(name: str) -> str:
    """`name` as datamodel-code-generator spells a class name (`V1_2` -> `V12`), so it keeps it."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _free_group(wanted: str, suffixes: tuple[str, ...], taken: set[str]) -> str:
    """The first `wanted`, `wanted2`, ... for which every `base + suffix` is free; reserves them."""
    counter = 1
    base = wanted
    while any(base + s in taken for s in suffixes):
        counter += 1
        base = f"{wanted}{counter}"
    taken.update(base + s for s in suffixes)
    return base
