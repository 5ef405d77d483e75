"""Shape the IR for code: which tables are relationships, composites in order, typed jsonb columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import NamedTuple

from sync_schema import ir, naming
from sync_schema.errors import ConfigError, SyncSchemaError
from sync_schema.model import jsonb
from sync_schema.options import Options


def rpc_callable(function: ir.Function) -> bool:
    """PostgREST passes arguments by name, or the whole body to a single unnamed json one."""
    inputs = [a for a in function.arguments if a.mode in ("in", "inout", "variadic")]
    return all(a.name for a in inputs) or takes_body(function)


def takes_body(function: ir.Function) -> bool:
    """The function's one argument is an unnamed json/jsonb: PostgREST passes it the body."""
    inputs = [a for a in function.arguments if a.mode in ("in", "inout", "variadic")]
    return (
        len(inputs) == 1
        and not inputs[0].name
        and inputs[0].type.schema == "pg_catalog"
        and inputs[0].type.name in ("json", "jsonb")
        and inputs[0].type.array_dims == 0
    )


def table_group(table: ir.Table, options: Options) -> str:
    """Where a relation's types go: entities, relationships or views."""
    if table.is_view:
        return "views"
    if table.qualified_name in options.relationship_tables:
        return "relationships"
    if table.qualified_name in options.entity_tables:
        return "entities"
    return "relationships" if is_relationship_table(table) else "entities"


def is_relationship_table(table: ir.Table) -> bool:
    """Every primary-key column is a foreign key, and at least two tables are referenced."""
    if table.primary_key is None or table.is_view:
        return False
    fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
    targets = {(fk.target_schema, fk.target_table) for fk in table.foreign_keys}
    return set(table.primary_key.columns) <= fk_columns and len(targets) >= 2


def composites_in_dependency_order(db: ir.Database) -> list[ir.CompositeType]:
    """Composite types, each after the composites its attributes use (else sorted by name)."""
    by_name = {c.qualified_name: c for c in db.composite_types}
    ordered: list[ir.CompositeType] = []
    placed: set[str] = set()

    def place(composite: ir.CompositeType) -> None:
        if composite.qualified_name in placed:
            return
        placed.add(composite.qualified_name)  # Postgres forbids cycles; this guards anyway
        for attribute in composite.attributes:
            used = by_name.get(attribute.type.qualified_name)
            if attribute.type.kind == "composite" and used is not None:
                place(used)
        ordered.append(composite)

    for composite in db.composite_types:
        place(composite)
    return ordered


def with_domain_comments(db: ir.Database) -> ir.Database:
    """The database with each uncommented column of a commented domain documented by it."""
    comments = {d.qualified_name: d.comment for d in db.domains if d.comment}
    if not comments:
        return db

    def document(columns: tuple[ir.Column, ...]) -> tuple[ir.Column, ...]:
        return tuple(
            dataclasses.replace(
                c, comment=f"{c.type.qualified_name}: {comments[c.type.qualified_name]}"
            )
            if c.comment is None and c.type.kind == "domain" and c.type.qualified_name in comments
            else c
            for c in columns
        )

    return dataclasses.replace(
        db,
        tables=tuple(dataclasses.replace(t, columns=document(t.columns)) for t in db.tables),
        composite_types=tuple(
            dataclasses.replace(c, attributes=document(c.attributes)) for c in db.composite_types
        ),
    )


def row_type_composites(db: ir.Database) -> tuple[ir.CompositeType, ...]:
    """The row types of introspected tables and views that a column, attribute or domain holds.

    A table's row type is a composite type like any other; it becomes one in
    database/types.py (and the Pydantic models) only where something stores a value of it.
    """
    relations = {t.qualified_name: t for t in db.tables}
    declared = {c.qualified_name for c in db.composite_types}
    refs = [
        *(c.type for t in db.tables for c in t.columns),
        *(a.type for c in db.composite_types for a in c.attributes),
        *(d.base for d in db.domains),
    ]
    used = {
        r.qualified_name
        for r in refs
        if r.kind == "composite"
        and r.qualified_name in relations
        and r.qualified_name not in declared
    }
    return tuple(
        ir.CompositeType(schema=t.schema, name=t.name, attributes=t.columns)
        for name in sorted(used)
        for t in [relations[name]]
    )


def with_row_type_composites(db: ir.Database) -> ir.Database:
    """The database with `row_type_composites` among its composite types."""
    found = row_type_composites(db)
    if not found:
        return db
    return dataclasses.replace(db, composite_types=(*db.composite_types, *found)).sorted()


class JsonSchemaColumn(NamedTuple):
    """A json/jsonb column typed by a JSON Schema: its module and canonical schema text."""

    module: str
    schema: str


def json_schema_columns(db: ir.Database, options: Options) -> dict[str, JsonSchemaColumn]:
    """Every json/jsonb column with a JSON Schema: from config, else from a pg_jsonschema CHECK."""
    found: dict[str, JsonSchemaColumn] = {}
    configured = dict(options.jsonb_schemas)
    modules: set[str] = set()
    for table in db.tables:
        from_checks = jsonb.table_json_schemas(table)
        if not from_checks and not configured:
            continue
        for column in table.columns:
            key = f"{table.qualified_name}.{column.name}"
            text = configured.pop(key, None) or from_checks.get(column.name)
            if text is None:
                continue
            if column.type.name not in ("json", "jsonb") or column.type.array_dims:
                raise ConfigError(
                    f"{key} has a JSON Schema but is of type {column.type.sql}",
                    hint="JSON Schemas type json and jsonb columns only",
                )
            words = (table.name, column.name) if table.schema == "public" else key.split(".")
            module = naming.find_free_name(naming.field_name("_".join(words)), modules, "_")
            found[key] = JsonSchemaColumn(module, jsonb.canonical_schema(text, key))
    if configured:
        raise ConfigError(
            f"[tool.sync-schema.jsonb] names no json/jsonb column: {', '.join(sorted(configured))}",
            hint='use "schema.table.column" keys of introspected columns',
        )
    return found


def apply_nullability(db: ir.Database, overrides: Mapping[str, bool]) -> ir.Database:
    """The database with [tool.sync-schema.nullability] applied ("schema.relation.column").

    Overrides shape the generated code, not the database's identity: DB_HASH, schema.json
    and the startup guard see the database as introspected; the fingerprint covers them.
    """
    if not overrides:
        return db
    unused = dict(overrides)
    tables = []
    for table in db.tables:
        columns = tuple(
            dataclasses.replace(column, nullable=unused.pop(key)) if key in unused else column
            for column in table.columns
            for key in [f"{table.qualified_name}.{column.name}"]
        )
        tables.append(dataclasses.replace(table, columns=columns))
    if unused:
        raise SyncSchemaError(
            f"[tool.sync-schema.nullability] names no such column: {', '.join(sorted(unused))}",
            hint='keys are "schema.relation.column"; remove the ones whose column is gone',
        )
    return dataclasses.replace(db, tables=tuple(tables))
