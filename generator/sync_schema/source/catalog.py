"""The catalog queries: one ORDER BY query per object kind, or all of them as one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sync_schema.errors import ConfigError, DatabaseError

DEFAULT_STATEMENT_TIMEOUT_MS = 30_000

#: Session settings that change how the catalog prints constants, names and types (defaults,
#: CHECKs, generated expressions): pinned for the introspection transaction, so the same
#: database reads the same from any client, role or pooled connection.
PINNED_SETTINGS = {
    # Types and defaults print qualified by schema unless the schema is on the search_path:
    # a fixed path makes them read the same on every server and role (Supabase's own adds
    # `extensions`, which would drop that prefix).
    "search_path": "pg_catalog, public",
    "DateStyle": "ISO, MDY",
    "IntervalStyle": "postgres",
    "TimeZone": "UTC",
    "extra_float_digits": "3",
    "bytea_output": "hex",
    "standard_conforming_strings": "on",
    "quote_all_identifiers": "off",
    "lc_monetary": "C",
    # Every name and comment reaches the client, whatever the session's encoding can hold.
    "client_encoding": "UTF8",
}

# Type columns shared by every query that reports a type: the type itself and, for an array,
# its element type. `{t}`/`{typmod}` are the pg_type alias and the typmod expression.
_TYPE_SELECT = """
    format_type({t}.oid, {typmod}) AS type_sql,
    {typmod} AS typmod,
    {t}.typname AS typname, {t}n.nspname AS typschema, {t}.typtype AS typtype,
    {t}.typcategory AS typcategory,
    {t}e.typname AS elemname, {t}en.nspname AS elemschema, {t}e.typtype AS elemtype
"""
_TYPE_JOIN = """
    JOIN pg_catalog.pg_type {t} ON {t}.oid = {typid}
    JOIN pg_catalog.pg_namespace {t}n ON {t}n.oid = {t}.typnamespace
    LEFT JOIN pg_catalog.pg_type {t}e ON {t}.typcategory = 'A' AND {t}e.oid = {t}.typelem
    LEFT JOIN pg_catalog.pg_namespace {t}en ON {t}en.oid = {t}e.typnamespace
"""


def _type_sql(t: str, typid: str, typmod: str) -> tuple[str, str]:
    return (
        _TYPE_SELECT.format(t=t, typmod=typmod),
        _TYPE_JOIN.format(t=t, typid=typid),
    )


_COL_TYPE_SELECT, _COL_TYPE_JOIN = _type_sql("ty", "a.atttypid", "a.atttypmod")

ENUMS_SQL = """
SELECT n.nspname, t.typname,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels,
       pg_catalog.obj_description(t.oid, 'pg_type') AS comment
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = ANY(%(schemas)s)
GROUP BY n.nspname, t.typname, t.oid
ORDER BY n.nspname, t.typname
"""

RELATIONS_SQL = """
SELECT n.nspname, c.relname, c.relkind, c.oid AS relid,
       pg_catalog.obj_description(c.oid, 'pg_class') AS comment,
       rw.ev_action::text AS view_query
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
-- A view's stored query tree: where each of its columns comes from (see viewtree.py).
LEFT JOIN pg_catalog.pg_rewrite rw
    ON rw.ev_class = c.oid AND rw.rulename = '_RETURN' AND c.relkind IN ('v', 'm')
WHERE n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
  AND NOT c.relispartition
ORDER BY n.nspname, c.relname
"""

COLUMNS_SQL = f"""
SELECT n.nspname, c.relname, a.attrelid AS relid, a.attname, a.attnum, a.attnotnull, a.attndims,
       a.attidentity::text AS attidentity, a.attgenerated::text AS attgenerated,
       -- A default cannot reference a column, so it needs no relation to print; without one,
       -- pg_get_expr skips opening the table, a fifth of this query's time.
       pg_catalog.pg_get_expr(d.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE d.adrelid END)
           AS default_expr,
       ds.description AS comment,
       {_COL_TYPE_SELECT}
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
{_COL_TYPE_JOIN}
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
-- A join, not col_description(): the function runs one lookup per row, 40 percent of this query.
LEFT JOIN pg_catalog.pg_description ds
    ON ds.objoid = a.attrelid AND ds.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND ds.objsubid = a.attnum
WHERE n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
  AND NOT c.relispartition
  AND a.attnum > 0
  AND NOT a.attisdropped
-- Columns must be in attnum order within each relation; the relations' order is the IR's
-- own sort. Integer keys sort 18k wide rows a fifth faster than names.
ORDER BY a.attrelid, a.attnum
"""

# Key columns come back as attnums, named on the client from COLUMNS_SQL's rows: a subquery
# per key on the server was most of this query's cost. COLUMNS_SQL does not list the columns
# of an FK target in another schema (Supabase's auth.users) or of a partition, so for those the
# server names them.
CONSTRAINTS_SQL = """
SELECT n.nspname, c.relname, con.conname, con.contype::text AS contype,
       con.conrelid AS relid, con.conkey AS attnums,
       fn.nspname AS target_schema, fc.relname AS target_table,
       con.confrelid AS target_relid, con.confkey AS target_attnums,
       CASE WHEN con.contype = 'f' AND (fc.relispartition OR NOT fn.nspname = ANY(%(schemas)s))
           THEN ARRAY(SELECT a.attname
                      FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_catalog.pg_attribute a
                          ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.ord)
       END AS outside_target_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete,
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_constraintdef(con.oid, true) END
           AS definition
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
  -- PostgreSQL 18's `NOT NULL ... NOT VALID` sets attnotnull, but old rows may hold NULL:
  -- its contype 'n' row with convalidated false says so (no 'n' rows before 18).
  AND (con.contype IN ('p', 'u', 'f', 'c') OR (con.contype = 'n' AND NOT con.convalidated))
  AND con.conparentid = 0
  AND NOT c.relispartition
ORDER BY n.nspname, c.relname, con.conname
"""

_DOM_TYPE_SELECT, _DOM_TYPE_JOIN = _type_sql("bt", "t.typbasetype", "t.typtypmod")

DOMAINS_SQL = f"""
SELECT n.nspname AS domain_schema, t.typname AS domain_name, t.typnotnull, t.typdefault,
       t.typndims,
       pg_catalog.obj_description(t.oid, 'pg_type') AS comment,
       ARRAY(SELECT con.conname FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
           AS check_names,
       ARRAY(SELECT pg_catalog.pg_get_constraintdef(con.oid, true)
             FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
           AS check_defs,
       {_DOM_TYPE_SELECT}
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
{_DOM_TYPE_JOIN}
WHERE t.typtype = 'd' AND n.nspname = ANY(%(schemas)s)
ORDER BY domain_schema, domain_name
"""


# Functions PostgREST's rpc can call: plain functions of the schemas, not trigger or internal
# plumbing, and not members of an extension (those belong to the extension, not the app).
_FUNCTION_FILTER = """
WHERE n.nspname = ANY(%(schemas)s)
  AND p.prokind = 'f'
  AND NOT (p.prorettype::pg_catalog.regtype::text = ANY(ARRAY[
      'trigger', 'event_trigger', 'internal', 'language_handler', 'fdw_handler',
      'index_am_handler', 'tsm_handler', 'table_am_handler']))
  AND NOT ('pg_catalog.internal'::pg_catalog.regtype = ANY(p.proargtypes::pg_catalog.oid[]))
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend dep
      WHERE dep.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND dep.objid = p.oid
        AND dep.deptype = 'e')
"""

_RET_TYPE_SELECT, _RET_TYPE_JOIN = _type_sql("ty", "p.prorettype", "-1")

FUNCTIONS_SQL = f"""
SELECT n.nspname, p.proname, p.oid AS funcid, p.proretset, p.provolatile::text AS provolatile,
       p.pronargdefaults,
       pg_catalog.obj_description(p.oid, 'pg_proc') AS comment,
       {_RET_TYPE_SELECT}
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
{_RET_TYPE_JOIN}
{_FUNCTION_FILTER}
ORDER BY n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)
"""

_ARG_TYPE_SELECT, _ARG_TYPE_JOIN = _type_sql("ty", "arg.typid", "-1")

# proallargtypes/proargmodes are NULL when every argument is IN: fall back to proargtypes.
FUNCTION_ARGS_SQL = f"""
SELECT p.oid AS funcid, arg.ord, coalesce(arg.argname, '') AS argname,
       coalesce(arg.argmode, 'i') AS argmode,
       {_ARG_TYPE_SELECT}
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
CROSS JOIN LATERAL ROWS FROM (
    unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[])),
    unnest(p.proargnames),
    unnest(p.proargmodes::text[])
) WITH ORDINALITY AS arg(typid, argname, argmode, ord)
{_ARG_TYPE_JOIN}
{_FUNCTION_FILTER}
  AND arg.typid IS NOT NULL
ORDER BY n.nspname, p.proname, p.oid, arg.ord
"""


@dataclass(slots=True)
class QueryLog:
    """What introspection asked of the server: the floor of its cost."""

    count: int = 0
    seconds: float = 0.0
    statements: list[str] = field(default_factory=list)
    #: time spent assembling the rows into the IR, after the queries
    build_seconds: float = 0.0
    #: which client read the catalog: "psycopg", "the standard library" or "the Management API"
    reader: str = "psycopg"


def check_statement_timeout(statement_timeout_ms: int) -> None:
    """Refuse a timeout the server would read as "no limit" (0) or reject (negative)."""
    if (
        isinstance(statement_timeout_ms, bool)
        or not isinstance(statement_timeout_ms, int)
        or statement_timeout_ms < 1
    ):
        raise ConfigError(
            f"the statement timeout must be a positive integer, not {statement_timeout_ms!r}",
            hint="use a positive number of milliseconds (statement-timeout in "
            "[tool.sync-schema], statement_timeout_ms= for the guard)",
        )


#: Every catalog query, in the order build_database takes their rows.
CATALOG_QUERIES = (
    ENUMS_SQL,
    RELATIONS_SQL,
    COLUMNS_SQL,
    CONSTRAINTS_SQL,
    DOMAINS_SQL,
    FUNCTIONS_SQL,
    FUNCTION_ARGS_SQL,
)


#: The name of each catalog query's rows in the one-statement read, in CATALOG_QUERIES' order.
CATALOG_KINDS = (
    "enums",
    "relations",
    "columns",
    "constraints",
    "domains",
    "functions",
    "function_args",
)


def silence_limit(statement_timeout_ms: int) -> float:
    """How long the client waits for a reply: the server's own limit, plus a margin.

    The margin (as long as the timeout, 2 to 10 s) covers the rows' transfer and a busy
    client; past it, the server's statement timeout should long have answered.
    """
    seconds = statement_timeout_ms / 1000
    return seconds + min(max(seconds, 2.0), 10.0)


def _raise_it(statement_timeout_ms: int) -> str:
    return (
        f"raise statement-timeout in [tool.sync-schema] (milliseconds, now "
        f"{statement_timeout_ms}; statement_timeout_ms= for the guard)"
    )


def silence_error(seconds: float, statement_timeout_ms: int) -> DatabaseError:
    """The server did not answer within `seconds` (the statement timeout plus a margin)."""
    return DatabaseError(
        f"the server stopped answering: no reply for {seconds:g} s "
        "(the statement timeout plus a margin)",
        hint="check the server and the network or proxy between; if the catalog is just "
        f"slow to read, {_raise_it(statement_timeout_ms)}",
    )


def statement_timeout_error(statement_timeout_ms: int) -> DatabaseError:
    """The server cancelled the catalog read at its statement timeout."""
    return DatabaseError(
        f"catalog query exceeded the statement timeout ({statement_timeout_ms} ms)",
        hint=f"{_raise_it(statement_timeout_ms)}, or check the server's load and locks",
    )


def catalog_statement(
    schemas: Sequence[str], *, statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
) -> str:
    """Every catalog query as ONE SELECT (one snapshot) returning one json document.

    For a client that can send one statement and no session state (the Management API's
    query endpoint): each query's rows become a json_agg in its own ORDER BY, and the
    schemas are a quoted literal. The pinned settings are set by set_config(..., true) in
    the FROM item every aggregate refers to, so they are in force before any row is read and
    end with the statement's own transaction. A statement cannot change its own
    statement_timeout; lock_timeout it can, which bounds the wait on a migration's lock.
    """
    check_statement_timeout(statement_timeout_ms)
    literal = _text_array_literal(schemas)
    # client_encoding is the endpoint's own business: it decodes the answer.
    settings = {
        "lock_timeout": f"{int(statement_timeout_ms)}ms",
        **{k: v for k, v in PINNED_SETTINGS.items() if k != "client_encoding"},
    }
    pins = " AND ".join(
        f"pg_catalog.set_config({_quote_literal(k)}, {_quote_literal(v)}, true) IS NOT NULL"
        for k, v in settings.items()
    )
    # A subquery's ORDER BY is the order json_agg reads its rows in (the aggregate reads
    # the sorted subquery directly); the WHERE on pin makes each a SubPlan run after pin.
    parts = ",\n".join(
        f"  {_quote_literal(kind)}, (SELECT COALESCE(pg_catalog.json_agg(q), '[]'::json) "
        f"FROM ({sql.replace('%(schemas)s', literal).strip()}\n) q WHERE pin.ok)"
        for kind, sql in zip(CATALOG_KINDS, CATALOG_QUERIES, strict=True)
    )
    return (
        f"SELECT pg_catalog.json_build_object(\n{parts}\n) AS catalog\n"
        f"FROM (SELECT {pins} AS ok) pin"
    )


def column_count_statement(schemas: Sequence[str]) -> str:
    """How many columns the schemas' relations and types have: the catalog's size, cheaply."""
    return (
        "SELECT pg_catalog.count(*) FROM pg_catalog.pg_attribute a "
        "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        f"WHERE n.nspname OPERATOR(pg_catalog.=) ANY ({_text_array_literal(schemas)}) "
        "AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
    )


def _quote_literal(value: str) -> str:
    """`value` as an E'' literal: read the same whatever standard_conforming_strings says."""
    if "\x00" in value:
        raise ConfigError(
            f"{value!r} holds a NUL character, which no PostgreSQL name can",
            hint="check --schema and schemas in [tool.sync-schema]",
        )
    return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _text_array_literal(values: Sequence[str]) -> str:
    items = ", ".join(_quote_literal(v) for v in values)
    return f"ARRAY[{items}]::pg_catalog.text[]"
