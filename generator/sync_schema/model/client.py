"""The template context of client.py, the typed wrapper of supabase-py's client."""

from __future__ import annotations

from sync_schema import ir, naming
from sync_schema.model import literals
from sync_schema.model.builder import TreeBuilder
from sync_schema.model.contexts import ClientFunction, ClientModule, ClientRelation, ClientSchema
from sync_schema.model.imports import ImportSet
from sync_schema.model.names import CLIENT_NAMES
from sync_schema.model.prepare import rpc_callable
from sync_schema.model.typemap import PyType, TypeMapper


def client_context(builder: TreeBuilder) -> ClientModule:
    """Context of client.py: the typed wrapper of supabase-py's (or postgrest's) client.

    `db.table(name)` and `db.rpc(name, args)` reach the primary schema's relations and
    functions; `db.schema(name)` (with several schemas) another schema's, by its own class.
    """
    imports = ImportSet()
    mapper = builder.mapper(builder.options.typeddict_types)
    # Every name client.py binds: a column alias must not take one of them.
    taken = {*CLIENT_NAMES, *naming.BUILTIN_NAMES}
    # The primary schema first: its names do not change when a schema is added.
    generated = [(schema, builder.db.only(schema)) for schema in builder.names.packages]
    for _schema, objects in generated:
        for table in objects.tables:
            tn = builder.names.tables[table.qualified_name]
            taken.update(n for n in (tn.row, tn.insert, tn.update) if n)
        for function in filter(rpc_callable, objects.functions):
            taken.update(builder.names.functions[function.signature][:2])
    # An enum's value alias types a filter value: a column alias must not take its name.
    enum_aliases = {alias: cls for cls, alias in builder.names.enums.values()}
    taken.update(n for pair in builder.names.enums.values() for n in pair)
    schemas: list[ClientSchema] = []
    for schema, objects in generated:
        package = builder.names.packages[schema]
        relations: list[ClientRelation] = []
        for table in objects.tables:
            tn = builder.names.tables[table.qualified_name]
            database = f"@{package}database"
            imports.add(*((database, n) for n in (tn.row, tn.insert, tn.update) if n))
            relations.append(_client_relation(builder, table, mapper, enum_aliases, imports, taken))
        functions: list[ClientFunction] = []
        for function in filter(rpc_callable, objects.functions):
            args, returns, _result = builder.names.functions[function.signature]
            imports.add((f"@{package}database", args), (f"@{package}database", returns))
            name = literals.string_literal(function.name)
            functions.append(ClientFunction(name, args, returns))
        client = "TypedClient"
        if package:
            client = _free_pair(naming.pascal(package[:-1]) + "TypedClient", taken)
        schemas.append(
            ClientSchema(
                name_literal=literals.string_literal(schema),
                client=client,
                suffix="_" + package[:-1].upper() if package else "",
                relations=tuple(relations),
                views=tuple(r.name_literal for r in relations if r.insert is None),
                functions=tuple(functions),
            )
        )
    primary, *others = schemas
    relations = [r for s in schemas for r in s.relations]
    return ClientModule(
        imports=imports.lines(1),
        relations=relations,
        primary=primary,
        others=others,
        views=list(primary.views),
        never=any(r.columns_annotation == "Never" for r in relations),
        overloads=bool(others)
        or any(len(s.relations) > 1 or len(s.functions) > 1 for s in schemas)
        or any(len(r.groups) > 1 for r in relations),
        comparisons=_COMPARISONS,
    )


def _client_relation(
    builder: TreeBuilder,
    table: ir.Table,
    mapper: TypeMapper,
    enum_aliases: dict[str, str],
    imports: ImportSet,
    taken: set[str],
) -> ClientRelation:
    """One relation of client.py; adds the imports its filter value types need."""
    tn = builder.names.tables[table.qualified_name]
    labels = ", ".join(literals.string_literal(c.name) for c in table.columns)
    groups: dict[str, list[str]] = {}
    for column in table.columns:
        pytype = mapper.column(column, f"{table.qualified_name}.{column.name}")
        value = _filter_value(pytype, enum_aliases)
        if value != "object":
            imports.add(*pytype.imports)
            # The Enum class of a labels alias: `.eq("status", ProjectStatus.ACTIVE)`.
            imports.add(*((m, enum_aliases[n]) for m, n in pytype.imports if n in enum_aliases))
        groups.setdefault(value, []).append(literals.string_literal(column.name))
    return ClientRelation(
        name_literal=literals.string_literal(table.name),
        row=tn.row,
        insert=tn.insert,
        update=tn.update,
        columns=naming.find_free_name(tn.model + "Column", taken),
        columns_annotation=f"Literal[{labels}]" if labels else "Never",
        qualified=table.qualified_name,
        filters=naming.find_free_name(tn.model + "Filters", taken),
        select=_free_pair(tn.model + "Query", taken),
        groups=tuple((f"Literal[{', '.join(names)}]", value) for value, names in groups.items()),
    )


#: The filters that compare a column with a value, and their SQL operator (for docstrings).
_COMPARISONS = (("eq", "="), ("neq", "<>"), ("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<="))
#: Value types a filter compares as they are; any other (json, arrays, composites) takes any
#: value: postgrest-py writes a value into the query string with str(), which fits scalars only.
_FILTER_SCALARS = frozenset(
    {"str", "int", "float", "bool", "Decimal", "UUID", "date", "datetime", "time", "timedelta"}
)


def _filter_value(pytype: PyType, enum_aliases: dict[str, str]) -> str:
    """The type a filter's value takes for a column of this type (an enum's: label or member)."""
    parts = [p.strip() for p in pytype.annotation.split("|")]
    if not pytype.known or not all(p in _FILTER_SCALARS or p in enum_aliases for p in parts):
        return "object"
    return " | ".join(f"{p} | {enum_aliases[p]}" if p in enum_aliases else p for p in parts)


def _free_pair(base: str, taken: set[str]) -> str:
    """`base` (or base2, ...) such that both it and Async+it are free; reserves both."""
    name = base
    counter = 1
    while name in taken or "Async" + name in taken:
        counter += 1
        name = f"{base}{counter}"
    taken.update((name, "Async" + name))
    return name
