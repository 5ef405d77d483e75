"""Map Postgres types to Python annotations for each generated layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sync_schema import ir
from sync_schema.layout import (
    JSON_MODULE,
    JSONB_MODELS_PACKAGE,
    JSONB_PACKAGE,
    PG_TYPES_MODULE,
    composites_module,
    enums_module,
    models_module,
)

Layer = Literal["json", "python", "pydantic"]

Import = tuple[
    str, str
]  # (module, name); a module starting with "@" is one of the generated tree's


@dataclass(frozen=True, slots=True)
class PyType:
    """A Python annotation and the imports it needs."""

    annotation: str
    imports: frozenset[Import] = frozenset()
    known: bool = True

    def wrap(self, template: str, *extra: Import) -> PyType:
        """This type placed inside `template` (with `{}` for the annotation)."""
        return PyType(template.format(self.annotation), self.imports | set(extra), self.known)


_ANY = PyType("Any", frozenset({("typing", "Any")}), known=False)

# name -> (json layer, python/pydantic layer). Element types only; arrays are wrapped later.
_SCALARS_JSON: dict[str, str] = {
    **dict.fromkeys(["int2", "int4", "int8"], "int"),
    **dict.fromkeys(["float4", "float8", "numeric"], "float"),
    "bool": "bool",
    **dict.fromkeys(
        [
            "text", "varchar", "bpchar", "char", "name", "citext", "uuid", "date", "time",
            "timetz", "timestamp", "timestamptz", "interval", "bytea", "inet", "cidr",
            "macaddr", "macaddr8", "money", "xml", "tsvector", "tsquery", "bit", "varbit",
            "point", "line", "lseg", "box", "path", "polygon", "circle", "pg_lsn", "jsonpath",
            # to_json writes only int2/int4/int8/float/numeric as JSON numbers: oid is "42".
            "oid", "xid", "cid", "regclass", "regtype",
        ],
        "str",
    ),
}  # fmt: skip

_PY: dict[str, tuple[str, str | None]] = {
    **dict.fromkeys(["int2", "int4", "int8", "oid", "xid", "cid"], ("int", None)),
    **dict.fromkeys(["float4", "float8"], ("float", None)),
    "numeric": ("Decimal", "decimal"),
    "bool": ("bool", None),
    **dict.fromkeys(
        [
            "text", "varchar", "bpchar", "char", "name", "citext", "money", "xml", "tsvector",
            "tsquery", "bit", "varbit", "point", "line", "lseg", "box", "path", "polygon",
            "circle", "pg_lsn", "jsonpath", "regclass", "regtype", "macaddr", "macaddr8",
        ],
        ("str", None),
    ),
    "uuid": ("UUID", "uuid"),
    "date": ("date", "datetime"),
    "time": ("time", "datetime"),
    "timetz": ("time", "datetime"),
    "timestamp": ("datetime", "datetime"),
    "timestamptz": ("datetime", "datetime"),
    "interval": ("timedelta", "datetime"),
    "bytea": ("bytes", None),
}  # fmt: skip

# Where the Pydantic layer reads PostgREST's text form and dumps what Postgres accepts:
# Pydantic's bytes takes "\\x..." as its text, timedelta has no months, time refuses "+02".
_PYDANTIC_OVERRIDES: dict[str, str] = {
    "bytea": "Bytea",
    "interval": "Interval",
    "timetz": "TimeTz",
}

# Extension types that reach clients as text: citext, and pgvector's vectors ("[1,2,3]"),
# which PostgREST returns and psycopg loads (without pgvector's adapter) as strings.
_EXTENSION_TEXT_TYPES = frozenset({"citext", "vector", "halfvec", "sparsevec"})

_IP_PYTHON = {
    "inet": ("IPv4Address | IPv6Address | IPv4Interface | IPv6Interface", "ipaddress"),
    "cidr": ("IPv4Network | IPv6Network", "ipaddress"),
}
_IP_PYDANTIC = {"inet": "IPvAnyInterface", "cidr": "IPvAnyNetwork"}

_RANGE_BASE = {
    "int4range": "int4",
    "int8range": "int8",
    "numrange": "numeric",
    "daterange": "date",
    "tsrange": "timestamp",
    "tstzrange": "timestamptz",
}
_MULTIRANGE_RANGE = {
    "int4multirange": "int4range",
    "int8multirange": "int8range",
    "nummultirange": "numrange",
    "datemultirange": "daterange",
    "tsmultirange": "tsrange",
    "tstzmultirange": "tstzrange",
}


@dataclass(slots=True)
class TypeMapper:
    """Resolves TypeRefs for one layer, with the names decided for enums and composites."""

    layer: Layer
    db: ir.Database
    #: qualified enum name -> (Enum class, Literal alias), both importable from the enums module
    enum_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: qualified composite type name -> its class (a TypedDict, or a Pydantic model beside it)
    composite_names: Mapping[str, str] = field(default_factory=dict)
    #: "schema.table.column" -> (module, class) of the column's JSON-Schema models
    jsonb_models: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: schema -> dotted prefix of its subpackage ("" for public)
    packages: Mapping[str, str] = field(default_factory=dict)
    #: the schema of the module being written: its own Pydantic models need no import
    schema: str = "public"
    #: called with a message when a type has no mapping
    warn: Callable[[str], None] = lambda _msg: None
    _domains: dict[str, ir.Domain] = field(default_factory=dict)
    # Big schemas repeat a few dozen types over thousands of columns: map each one once.
    _known: dict[ir.TypeRef, PyType] = field(default_factory=dict)
    _warned: bool = False

    def __post_init__(self) -> None:
        self._domains = {d.qualified_name: d for d in self.db.domains}

    def column(self, column: ir.Column, where: str, *, write: bool = False) -> PyType:
        """The annotation for a column value (without None); `where` is "schema.table.column".

        With `write`, a json/jsonb column takes no JSON null: PostgREST stores it as SQL NULL.
        """
        typed = self.jsonb_models.get(where)
        if typed is not None:
            module, name = typed
            package = JSONB_MODELS_PACKAGE if self.layer == "pydantic" else JSONB_PACKAGE
            return PyType(name, frozenset({(f"@{package}.{module}", name)}))
        if write and self._is_json_value(column.type):
            return PyType("JsonNotNull", frozenset({(JSON_MODULE, "JsonNotNull")}))
        depth = self._hstore_depth(column.type) if write and self.layer != "python" else None
        if depth is not None:
            # PostgREST reads hstore as a JSON object but writes it through hstore's text input.
            if self.layer == "pydantic":
                result = PyType("HstoreText", frozenset({(PG_TYPES_MODULE, "HstoreText")}))
            else:
                result = PyType("str")
            for _ in range(depth):
                result = result.wrap("list[{}]")
            return result
        return self.type(column.type, where)

    def _hstore_depth(self, ref: ir.TypeRef) -> int | None:
        """The array depth of an hstore value, through domains; None for any other type."""
        depth = ref.array_dims
        seen: set[str] = set()
        while ref.kind == "domain" and ref.qualified_name in self._domains:
            if ref.qualified_name in seen:
                return None
            seen.add(ref.qualified_name)
            ref = self._domains[ref.qualified_name].base
            depth += ref.array_dims
        return depth if _is_hstore(ref) else None

    def _is_json_value(self, ref: ir.TypeRef) -> bool:
        """A single json/jsonb value, directly or through domains."""
        while ref.kind == "domain" and ref.array_dims == 0 and ref.qualified_name in self._domains:
            ref = self._domains[ref.qualified_name].base
        return ref.array_dims == 0 and ref.schema == "pg_catalog" and ref.name in ("json", "jsonb")

    def type(self, ref: ir.TypeRef, where: str) -> PyType:
        """The annotation for a value of `ref`, arrays included."""
        known = self._known.get(ref)
        if known is not None:
            return known
        self._warned = False
        result = self._full(ref, where)
        if not self._warned:  # an unmapped type warns once per column, naming each one
            self._known[ref] = result
        return result

    def _full(self, ref: ir.TypeRef, where: str) -> PyType:
        """The annotation for `ref` with its array dimensions, uncached."""
        if self.layer == "python" and _psycopg_loads_as_text(ref):
            return PyType("str")
        result = self._element(ref, where)
        for _ in range(ref.array_dims):
            result = result.wrap("list[{}]")
        return result

    def _element(self, ref: ir.TypeRef, where: str) -> PyType:
        if ref.kind == "domain":
            domain = self._domains.get(ref.qualified_name)
            if domain is None:
                return self._unknown(ref, where)
            # The base keeps its own dimensions: a domain over integer[] holds lists.
            return self._full(domain.base, where)
        if ref.kind == "enum":
            names = self.enum_names.get(ref.qualified_name)
            if names is None:
                # An enum outside the introspected schemas: its labels are unknown here.
                return self._unknown(ref, where)
            enum_class, literal_alias = names
            name = enum_class if self.layer == "pydantic" else literal_alias
            module = enums_module(self.packages.get(ref.schema, ""))
            return PyType(name, frozenset({(module, name)}))
        if ref.kind == "composite":
            composite = self.composite_names.get(ref.qualified_name)
            if composite is None:
                # A table's row type or a composite outside the introspected schemas.
                return self._unknown(ref, where)
            package = self.packages.get(ref.schema, "")
            if self.layer != "pydantic":
                return PyType(composite, frozenset({(composites_module(package), composite)}))
            if ref.schema == self.schema:
                return PyType(composite)  # the composite's model lives in the same module
            return PyType(composite, frozenset({(models_module(package), composite)}))
        if ref.schema != "pg_catalog":
            if ref.kind == "base" and ref.name in _EXTENSION_TEXT_TYPES:
                return PyType("str")
            if _is_hstore(ref):
                # PostgREST: hstore's cast to json, an object of str -> str | null; psycopg
                # (no registered adapter): its text; Pydantic: the object, from either.
                if self.layer == "json":
                    return PyType("dict[str, str | None]")
                if self.layer == "python":
                    return PyType("str")
                return PyType("Hstore", frozenset({(PG_TYPES_MODULE, "Hstore")}))
            return self._unknown(ref, where)
        if ref.name in ("json", "jsonb"):
            if self.layer == "pydantic":
                return PyType("JsonValue", frozenset({("pydantic", "JsonValue")}))
            return PyType("Json", frozenset({(JSON_MODULE, "Json")}))
        if self.layer == "json":
            if ref.name in _SCALARS_JSON:
                return PyType(_SCALARS_JSON[ref.name])
            if ref.kind in ("range", "multirange"):
                return PyType("str")
            return self._unknown(ref, where)
        if ref.name in _IP_PYTHON:
            if self.layer == "pydantic":
                name = _IP_PYDANTIC[ref.name]
                return PyType(name, frozenset({("pydantic", name)}))
            annotation, module = _IP_PYTHON[ref.name]
            members = {n.strip() for n in annotation.split("|")}
            return PyType(annotation, frozenset((module, n) for n in members))
        if ref.kind in ("range", "multirange") and self.layer == "pydantic":
            # Pydantic cannot validate psycopg's Range; the API layer speaks Postgres' text form.
            return PyType("str")
        if ref.name in _MULTIRANGE_RANGE:
            base = _RANGE_BASE[_MULTIRANGE_RANGE[ref.name]]
            inner = self._element(
                ir.TypeRef(schema="pg_catalog", name=base, kind="base", sql=""), where
            )
            return inner.wrap("Multirange[{}]", ("psycopg.types.multirange", "Multirange"))
        if ref.name in _RANGE_BASE:
            inner = self._element(
                ir.TypeRef(schema="pg_catalog", name=_RANGE_BASE[ref.name], kind="base", sql=""),
                where,
            )
            return inner.wrap("Range[{}]", ("psycopg.types.range", "Range"))
        if self.layer == "pydantic" and ref.name in _PYDANTIC_OVERRIDES:
            name = _PYDANTIC_OVERRIDES[ref.name]
            return PyType(name, frozenset({(PG_TYPES_MODULE, name)}))
        if ref.name in _PY:
            py_name, py_module = _PY[ref.name]
            return PyType(py_name, frozenset({(py_module, py_name)}) if py_module else frozenset())
        return self._unknown(ref, where)

    def _unknown(self, ref: ir.TypeRef, where: str) -> PyType:
        self._warned = True
        self.warn(f"{where}: no Python type for {ref.sql!r}; typed as Any")
        return _ANY


def _is_hstore(ref: ir.TypeRef) -> bool:
    """The hstore extension's type (in whatever schema the extension was created)."""
    return ref.kind == "base" and ref.name == "hstore" and ref.schema != "pg_catalog"


def _psycopg_loads_as_text(ref: ir.TypeRef) -> bool:
    """psycopg, without registered adapters, returns a value of `ref` as its text form.

    It knows pg_catalog's types and arrays of them. A composite, and an array of anything
    else (enums, domains, extension types), has an OID it has no loader for.
    """
    if ref.kind == "composite":
        return True
    return ref.array_dims > 0 and (ref.kind in ("enum", "domain") or ref.schema != "pg_catalog")
