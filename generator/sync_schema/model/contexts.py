"""The values templates lay out: one class per kind of generated class, field or member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


# The per-field context objects are NamedTuples: big schemas build a hundred thousand of them,
# and a frozen dataclass's __init__ is several times slower to call.
class TDField(NamedTuple):
    """One key of a TypedDict."""

    key: str
    key_literal: str
    annotation: str
    comment: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TDClass:
    """A TypedDict, in class syntax or (when a key is not an identifier) functional syntax."""

    name: str
    name_literal: str
    docstring: str
    comment: tuple[str, ...]
    functional: bool
    total: bool
    fields: tuple[TDField, ...]


class ModelField(NamedTuple):
    """One field of a Pydantic model: `attr: annotation = value` (value may be empty)."""

    attr: str
    annotation: str
    value: str
    comment: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModelClass:
    """A Pydantic v2 model."""

    name: str
    base: str
    docstring: str
    fields: tuple[ModelField, ...]


@dataclass(frozen=True, slots=True)
class ClientRelation:
    """One table or view as client.py's `db.table(name)` overload sees it."""

    name_literal: str
    row: str
    #: None for a view: it has no insert, update, upsert or delete
    insert: str | None
    update: str | None
    #: the alias of the Literal of its column names, and that Literal
    columns: str
    columns_annotation: str
    qualified: str
    #: its filter class (comparisons typed per column) and its query class (sync; async: Async+)
    filters: str
    select: str
    #: (Literal of column names, value type) per distinct value type, in column order
    groups: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ClientFunction:
    """One function signature as client.py's `db.rpc(name, args)` overload sees it."""

    name_literal: str
    args: str
    returns: str


@dataclass(frozen=True, slots=True)
class ClientSchema:
    """One generated schema as client.py's `db.schema(name)` overload sees it."""

    name_literal: str
    #: its client class (sync; async: Async+): TypedClient for the primary schema
    client: str
    #: the suffix of its `_SELECTS` and `_VIEWS` tables ("" for the primary's)
    suffix: str
    relations: tuple[ClientRelation, ...]
    #: the name literals of its views
    views: tuple[str, ...]
    functions: tuple[ClientFunction, ...]


@dataclass(frozen=True, slots=True)
class TypeAliasDef:
    """`Name: TypeAlias = annotation`, after its comment lines."""

    name: str
    annotation: str
    comment: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EnumMember:
    """`NAME = "label"`."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class EnumClass:
    """A str Enum plus the Literal alias of its labels."""

    name: str
    docstring: str
    members: tuple[EnumMember, ...]
    alias: str
    alias_annotation: str
