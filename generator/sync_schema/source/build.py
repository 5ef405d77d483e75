"""Assemble catalog rows into the sorted IR (no connection: rows come from psycopg or JSON)."""

from __future__ import annotations

import collections
import dataclasses
import json
import operator
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Literal

from sync_schema import gcpause, ir
from sync_schema.errors import DatabaseError
from sync_schema.source import viewtree
from sync_schema.source.catalog import CATALOG_KINDS

#: A catalog row: a namedtuple whose fields are the query's column names (cheaper than dicts).
Row = Any

_RELKINDS: dict[str, ir.RelationKind] = {
    "r": "table",
    "p": "partitioned_table",
    "v": "view",
    "m": "materialized_view",
    "f": "foreign_table",
}
_TYPTYPES: dict[str, ir.TypeKind] = {
    "b": "base",
    "e": "enum",
    "c": "composite",
    "d": "domain",
    "r": "range",
    "m": "multirange",
    "p": "pseudo",
}
_FK_ACTIONS = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}

#: Fields holding an OID: to_json writes an oid as a string, psycopg reads it as an int.
_OID_FIELDS = frozenset({"relid", "target_relid", "funcid"})


def catalog_rows(document: object) -> list[list[Row]]:
    """The rows of each catalog query, from catalog_statement's document, as psycopg has them."""
    if isinstance(document, str):  # a client that did not decode the json column
        try:
            document = json.loads(document)
        except ValueError:
            document = None
    if not isinstance(document, dict) or set(document) != set(CATALOG_KINDS):
        raise DatabaseError(
            "the catalog read answered an unexpected document "
            f"(keys: {sorted(document) if isinstance(document, dict) else type(document).__name__})",
            hint="report this with the server's PostgreSQL version; meanwhile set "
            "SUPABASE_DB_URL to read the database directly",
        )
    results: list[list[Row]] = []
    for kind in CATALOG_KINDS:
        rows = document[kind]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise DatabaseError(
                f"the catalog read answered no rows for {kind}",
                hint="report this with the server's PostgreSQL version; meanwhile set "
                "SUPABASE_DB_URL to read the database directly",
            )
        results.append([_json_row(row) for row in rows])
    return results


def database_from_document(schemas: Sequence[str], document: object) -> ir.Database:
    """The Database that catalog_statement's document describes."""
    with gcpause.paused():
        return build_database(schemas, *catalog_rows(document))


def _json_row(row: dict[str, Any]) -> Row:
    names = tuple(row)
    cls: Any = _ROW_CLASSES.get(names)
    if cls is None:
        cls = _ROW_CLASSES[names] = collections.namedtuple("Row", names)
    return cls(*(int(v) if k in _OID_FIELDS and v is not None else v for k, v in row.items()))


_ROW_CLASSES: dict[tuple[str, ...], Any] = {}


def build_database(
    schemas: Sequence[str],
    enums: list[Row],
    relations: list[Row],
    columns: list[Row],
    constraints: list[Row],
    domains: list[Row],
    functions: Sequence[Row] = (),
    function_args: Sequence[Row] = (),
) -> ir.Database:
    """Assemble catalog rows (already fetched) into a sorted Database."""
    # Every column row by (relation OID, attnum): view inference and key names look them up.
    by_attnum = {(row.relid, row.attnum): row for row in columns}
    not_valid = {(con.relid, con.attnums[0]) for con in constraints if con.contype == "n"}
    not_null_view_columns, view_dims = _infer_views(relations, by_attnum, not_valid)
    cols_by_rel: dict[tuple[str, str], list[ir.Column]] = defaultdict(list)
    for row in columns:
        key = (row.relid, row.attnum)
        not_null = (row.attnotnull and key not in not_valid) or key in not_null_view_columns
        dims = view_dims.get(key, row.attndims)
        cols_by_rel[(row.nspname, row.relname)].append(
            _column(row, not_null=not_null, declared_dims=dims)
        )

    cons_by_rel: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in constraints:
        cons_by_rel[(row.nspname, row.relname)].append(row)

    tables: list[ir.Table] = []
    composites: list[ir.CompositeType] = []
    for row in relations:
        key = (row.nspname, row.relname)
        if row.relkind == "c":
            composites.append(
                ir.CompositeType(
                    schema=key[0],
                    name=key[1],
                    attributes=tuple(cols_by_rel[key]),
                    comment=row.comment,
                )
            )
            continue
        tables.append(_table(row, cols_by_rel[key], cons_by_rel[key], by_attnum))

    domain_rows = [_domain(r) for r in domains]
    not_null_domains = {d.qualified_name for d in domain_rows if not d.nullable}
    if not_null_domains:
        tables = [_domain_not_null(t, not_null_domains) for t in tables]
    return ir.Database(
        schemas=tuple(schemas),
        enums=tuple(
            ir.Enum(
                schema=r.nspname,
                name=r.typname,
                labels=tuple(r.labels),
                comment=r.comment,
            )
            for r in enums
        ),
        tables=tuple(tables),
        composite_types=tuple(composites),
        domains=tuple(domain_rows),
        functions=_functions(functions, function_args),
    ).sorted()


def _infer_views(
    relations: list[Row],
    by_attnum: dict[tuple[int, int], Row],
    not_valid: set[tuple[int, int]],
) -> tuple[set[tuple[int, int]], dict[tuple[int, int], int]]:
    """What view query trees prove, views over views too, by (relid, attnum).

    The columns certainly NOT NULL, and the declared array depth of each column copied from
    another (a view's own attndims is 0).
    """
    views = {r.relid: r for r in relations if r.view_query is not None}
    if not views:
        return set(), {}
    width: dict[int, int] = defaultdict(int)
    for relid, _attnum in by_attnum:
        width[relid] += 1
    inferred: dict[int, list[viewtree.ViewColumn]] = {}

    def nullable_of(relid: int, attnum: int) -> bool | None:
        if relid in views:
            found = infer(relid)
            return not found[attnum - 1].not_null if 0 < attnum <= len(found) else None
        row = by_attnum.get((relid, attnum))
        if row is None:
            return None
        return not row.attnotnull or (relid, attnum) in not_valid

    def infer(relid: int) -> list[viewtree.ViewColumn]:
        if relid not in inferred:
            inferred[relid] = []  # a cycle (impossible for views) reads as "unknown"
            found = viewtree.view_columns(views[relid].view_query, nullable_of)
            # A tree that does not match the catalog's columns proves nothing.
            inferred[relid] = found if len(found) == width[relid] else []
        return inferred[relid]

    def dims_of(relid: int, attnum: int) -> int:
        if relid in views:
            found = infer(relid)
            source = found[attnum - 1].source if 0 < attnum <= len(found) else None
            return 0 if source is None else dims_of(*source)
        row = by_attnum.get((relid, attnum))
        return 0 if row is None else int(row.attndims)

    not_null: set[tuple[int, int]] = set()
    dims: dict[tuple[int, int], int] = {}
    for relid in views:
        for attnum, column in enumerate(infer(relid), start=1):
            if column.not_null:
                not_null.add((relid, attnum))
            if column.source is not None:
                dims[(relid, attnum)] = dims_of(*column.source)
    return not_null, dims


def _domain_not_null(table: ir.Table, not_null_domains: set[str]) -> ir.Table:
    """A stored column of a NOT NULL domain never holds NULL, whatever attnotnull says."""
    # Views are left alone: an outer join can produce NULL in a column of any domain.
    if table.kind not in ir.WRITABLE_KINDS:
        return table
    columns = tuple(
        dataclasses.replace(c, nullable=False)
        if c.nullable and c.type.array_dims == 0 and c.type.qualified_name in not_null_domains
        else c
        for c in table.columns
    )
    return dataclasses.replace(table, columns=columns)


def _table(
    row: Row,
    columns: list[ir.Column],
    constraints: list[Row],
    by_attnum: dict[tuple[int, int], Row],
) -> ir.Table:
    primary_key: ir.PrimaryKey | None = None
    uniques: list[ir.UniqueConstraint] = []
    fks: list[ir.ForeignKey] = []
    checks: list[ir.CheckConstraint] = []
    for con in constraints:
        name = con.conname
        # A CHECK's conkey may hold a system column (tableoid, attnum -6) and is not needed.
        cols = (
            tuple(by_attnum[(con.relid, attnum)].attname for attnum in con.attnums)
            if con.contype != "c"
            else ()
        )
        match con.contype:
            case "p":
                primary_key = ir.PrimaryKey(name=name, columns=cols)
            case "u":
                uniques.append(ir.UniqueConstraint(name=name, columns=cols))
            case "f":
                fks.append(
                    ir.ForeignKey(
                        name=name,
                        columns=cols,
                        target_schema=con.target_schema,
                        target_table=con.target_table,
                        target_columns=tuple(
                            con.outside_target_columns
                            if con.outside_target_columns is not None
                            else (
                                by_attnum[(con.target_relid, n)].attname for n in con.target_attnums
                            )
                        ),
                        on_update=_FK_ACTIONS.get(con.on_update, "no action"),
                        on_delete=_FK_ACTIONS.get(con.on_delete, "no action"),
                    )
                )
            case "c":
                checks.append(ir.CheckConstraint(name=name, definition=con.definition))
    return ir.Table(
        schema=row.nspname,
        name=row.relname,
        kind=_RELKINDS[row.relkind],
        columns=tuple(columns),
        primary_key=primary_key,
        unique_constraints=tuple(uniques),
        foreign_keys=tuple(fks),
        check_constraints=tuple(checks),
        comment=row.comment,
    )


_IDENTITY: dict[str, Literal["always", "by_default"]] = {"a": "always", "d": "by_default"}
_GENERATED: dict[str, Literal["stored", "virtual"]] = {"s": "stored", "v": "virtual"}


def _column(row: Row, *, not_null: bool, declared_dims: int) -> ir.Column:
    identity = _IDENTITY.get(row.attidentity)
    generated = _GENERATED.get(row.attgenerated)
    expr = row.default_expr
    return ir.Column(
        name=row.attname,
        type=_typeref(row, declared_dims=declared_dims),
        nullable=not not_null,
        default=None if generated else expr,
        identity=identity,
        generated=generated,
        generation_expression=expr if generated else None,
        comment=row.comment,
    )


def _domain(row: Row) -> ir.Domain:
    return ir.Domain(
        schema=row.domain_schema,
        name=row.domain_name,
        # typndims: the declared depth of a domain over an array (integer[][] -> 2).
        base=_typeref(row, declared_dims=row.typndims),
        nullable=not row.typnotnull,
        default=row.typdefault,
        check_constraints=tuple(
            ir.CheckConstraint(name=n, definition=d)
            for n, d in zip(row.check_names, row.check_defs, strict=True)
        ),
        comment=row.comment,
    )


_ARG_MODES: dict[str, Literal["in", "out", "inout", "variadic", "table"]] = {
    "i": "in",
    "o": "out",
    "b": "inout",
    "v": "variadic",
    "t": "table",
}
_VOLATILITY: dict[str, Literal["immutable", "stable", "volatile"]] = {
    "i": "immutable",
    "s": "stable",
    "v": "volatile",
}


def _functions(functions: Sequence[Row], function_args: Sequence[Row]) -> tuple[ir.Function, ...]:
    args_by_function: dict[int, list[Row]] = defaultdict(list)
    for row in function_args:
        args_by_function[row.funcid].append(row)
    return tuple(_function(row, args_by_function[row.funcid]) for row in functions)


def _function(row: Row, arg_rows: list[Row]) -> ir.Function:
    args = [
        ir.FunctionArg(
            name=a.argname, type=_typeref(a, declared_dims=0), mode=_ARG_MODES[a.argmode]
        )
        for a in arg_rows
    ]
    # Defaults belong to the last pronargdefaults input arguments.
    inputs = [i for i, a in enumerate(args) if a.mode in ("in", "inout", "variadic")]
    for i in inputs[len(inputs) - int(row.pronargdefaults or 0) :]:
        args[i] = dataclasses.replace(args[i], has_default=True)
    outputs = [a for a in args if a.mode in ("out", "inout", "table")]
    returns = (
        None
        if (row.typname == "void" and row.typschema == "pg_catalog")
        else _typeref(row, declared_dims=0)
    )
    # A record built from OUT/TABLE arguments: its columns are those arguments.
    record = len(outputs) > 1 or any(a.mode == "table" for a in outputs)
    return ir.Function(
        schema=row.nspname,
        name=row.proname,
        arguments=tuple(args),
        returns=returns,
        returns_set=bool(row.proretset),
        return_columns=tuple(ir.Column(name=a.name, type=a.type, nullable=True) for a in outputs)
        if record
        else (),
        volatility=_VOLATILITY.get(row.provolatile, "volatile"),
        comment=row.comment,
    )


# The columns that decide a TypeRef: thousands of columns share a few dozen distinct ones.
_TYPE_FACTS = operator.attrgetter(
    "type_sql", "typmod", "typname", "typschema", "typtype", "typcategory",
    "elemname", "elemschema", "elemtype",
)  # fmt: skip
_TYPEREFS: dict[tuple[Any, ...], ir.TypeRef] = {}


def _typeref(row: Row, *, declared_dims: int) -> ir.TypeRef:
    key = (_TYPE_FACTS(row), declared_dims)
    ref = _TYPEREFS.get(key)
    if ref is None:
        if len(_TYPEREFS) > 4096:  # bounded: a long-lived process sees many databases
            _TYPEREFS.clear()
        ref = _TYPEREFS[key] = _build_typeref(row, declared_dims=declared_dims)
    return ref


def _build_typeref(row: Row, *, declared_dims: int) -> ir.TypeRef:
    is_array = row.typcategory == "A" and row.elemname is not None
    if is_array:
        # Declared dimensions (int[][] -> 2): attndims, a view's source column, a domain's
        # typndims. Functions and expressions declare none: one, the documented narrowing.
        name, schema, typtype = row.elemname, row.elemschema, row.elemtype
        dims = max(int(declared_dims or 0), 1)
    else:
        name, schema, typtype = row.typname, row.typschema, row.typtype
        dims = 0
    max_length, precision, scale = _typmod_facts(name, schema, row.typmod)
    return ir.TypeRef(
        schema,
        name,
        _TYPTYPES.get(typtype, "base"),
        row.type_sql,
        dims,
        max_length,
        precision,
        scale,
    )


def _typmod_facts(name: str, schema: str, typmod: int) -> tuple[int | None, int | None, int | None]:
    """Decode the typmod of varchar(n), char(n), bit(n) and numeric(p,s)."""
    if typmod is None or typmod < 0 or schema != "pg_catalog":
        return None, None, None
    if name in ("varchar", "bpchar"):
        return typmod - 4, None, None  # typmod counts the 4-byte varlena header
    if name in ("bit", "varbit"):
        return typmod, None, None
    if name == "numeric":
        packed = typmod - 4
        scale = packed & 0x7FF
        if scale > 0x3FF:  # scale is an 11-bit signed field since PostgreSQL 15
            scale -= 0x800
        return None, (packed >> 16) & 0xFFFF, scale
    return None, None, None
