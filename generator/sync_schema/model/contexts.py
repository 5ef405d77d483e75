"""The values templates lay out: one class per kind of generated class, field or member."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NamedTuple

from sync_schema.snapshot import VersionInfo


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


# --- one context per template: the variables it lays out ---------------------------------------


@dataclass(frozen=True, slots=True)
class EnumsModule:
    """enums.py."""

    enums: list[EnumClass]
    imports: list[str]
    base: str


@dataclass(frozen=True, slots=True)
class TypedDictsModule:
    """database/entities.py, relationships.py and views.py."""

    classes: list[TDClass]
    imports: list[str]
    group: str


@dataclass(frozen=True, slots=True)
class CompositesModule:
    """database/types.py."""

    classes: list[TDClass]
    imports: list[str]


@dataclass(frozen=True, slots=True)
class FunctionsModule:
    """database/functions.py."""

    classes: list[TDClass]
    aliases: list[TypeAliasDef]
    imports: list[str]


@dataclass(frozen=True, slots=True)
class ModelsModule:
    """generated/fastapi/models.py."""

    unset: str | None
    classes: list[ModelClass]
    imports: list[str]
    base: str
    row_base: str | None


@dataclass(frozen=True, slots=True)
class ClientModule:
    """client.py."""

    imports: list[str]
    relations: list[ClientRelation]
    primary: ClientSchema
    others: list[ClientSchema]
    views: list[str]
    never: bool
    overloads: bool
    comparisons: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class VersionModule:
    """schema_version.py."""

    version: VersionInfo


@dataclass(frozen=True, slots=True)
class ModelsInit:
    """generated/fastapi/__init__.py."""

    names: list[str]


@dataclass(frozen=True, slots=True)
class DatabaseInit:
    """database/__init__.py: each module with its public names."""

    modules: list[tuple[str, list[str]]]
    all_names: list[str]


@dataclass(frozen=True, slots=True)
class PackageInit:
    """A schema package's __init__.py (the root's also re-exports the version)."""

    root: bool
    database_names: list[str]
    enum_names: list[str]
    all_names: list[str]


@dataclass(frozen=True, slots=True)
class NoContext:
    """A template that lays out fixed text (json_types.py, pg_types.py, a bare __init__.py)."""


TemplateContext = (
    EnumsModule
    | TypedDictsModule
    | CompositesModule
    | FunctionsModule
    | ModelsModule
    | ClientModule
    | VersionModule
    | ModelsInit
    | DatabaseInit
    | PackageInit
    | NoContext
)


def template_variables(context: TemplateContext) -> dict[str, object]:
    """The context's fields as the template's variables."""
    return {f.name: getattr(context, f.name) for f in dataclasses.fields(context)}
