"""Read the catalog into the IR: one ORDER BY query per object kind, in a read-only transaction."""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import operator
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict

from sync_schema import gcpause, ir, management_api, nodetree
from sync_schema.errors import ConfigError, DatabaseError, redact
from sync_schema.management_api import QueryEndpoint

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

#: libpq settings a connection gets unless its URL sets them: a dead peer or link is noticed
#: (keepalives, unacknowledged data) instead of waited on forever.
CONNECTION_DEFAULTS: dict[str, str] = {
    "connect_timeout": "10",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "application_name": "sync-schema",
}
TCP_USER_TIMEOUT_MS = "30000"  # libpq 12 and later

_PERCENT_ENCODE_HINT = (
    "percent-encode the password (and user and database name) in the URL: `@` is %40, "
    "`/` is %2F, `:` is %3A; or give the password in PGPASSWORD or ~/.pgpass"
)

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
-- A view's stored query tree: where each of its columns comes from (see nodetree.py).
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


def connect(dsn: str) -> psycopg.Connection[Any]:
    """Open a connection, turning libpq's failure into an actionable DatabaseError."""
    params = connection_params(dsn)
    try:
        return psycopg.connect(autocommit=False, **params)
    except psycopg.Error as exc:
        secrets = (str(params["password"]),) if params.get("password") else ()
        raise DatabaseError(
            f"cannot connect to the database: {_first_line(redact(str(exc), secrets))}",
            hint="check --db-url / SUPABASE_DB_URL / DATABASE_URL (host, port, user, password, database) "
            "and that the server is reachable",
        ) from None


def connection_params(dsn: str) -> dict[str, Any]:
    """libpq's parameters for `dsn`: its own, over timeouts and keepalives.

    A URL whose credentials libpq would split in the wrong place is refused, before any of
    it can reach a host name or an error message.
    """
    if _misplaced_separator(dsn):
        raise ConfigError(
            "the database URL has an unencoded `@` or `/` in its user, password or database "
            "name (the text after it would be read as the host)",
            hint=_PERCENT_ENCODE_HINT,
        )
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error:
        # libpq quotes the text it could not parse, which may be part of the password.
        raise ConfigError(
            "the database URL (or key=value connection string) cannot be parsed",
            hint="write postgresql://user:password@host:port/dbname with `@` as %40, `/` as "
            "%2F and `:` as %3A inside each part, or key=value pairs quoted as 'like this'",
        ) from None
    defaults = dict(CONNECTION_DEFAULTS)
    if psycopg.pq.version() >= 120000:
        defaults["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
    return {**defaults, **params}


def _misplaced_separator(dsn: str) -> bool:
    """Whether libpq would end a URL's credentials at the wrong `@` (or at a `/`).

    libpq reads the user and password up to the first `@` before the first `/`: a second `@`
    leaves the password's tail in the host, a `/` in the password leaves it in the path.
    """
    scheme, sep, rest = dsn.strip().partition("://")
    if not sep or scheme.lower() not in ("postgresql", "postgres"):
        return False
    authority, slash, path = rest.partition("/")
    return authority.count("@") > 1 or (bool(slash) and "@" in path.partition("?")[0])


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


def introspect(
    dsn: str | QueryEndpoint,
    schemas: Sequence[str] = ("public",),
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    log: QueryLog | None = None,
) -> ir.Database:
    """Connect to `dsn` (or ask the query endpoint) and read `schemas` into a sorted Database."""
    check_statement_timeout(statement_timeout_ms)
    if isinstance(dsn, QueryEndpoint):
        return introspect_via_api(dsn, schemas, statement_timeout_ms=statement_timeout_ms, log=log)
    with connect(dsn) as conn:
        return introspect_connection(
            conn, schemas, statement_timeout_ms=statement_timeout_ms, log=log
        )


def introspect_connection(
    conn: psycopg.Connection[Any],
    schemas: Sequence[str] = ("public",),
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    log: QueryLog | None = None,
) -> ir.Database:
    """Read `schemas` through an open connection, inside one READ ONLY transaction."""
    check_statement_timeout(statement_timeout_ms)
    log = log if log is not None else QueryLog()
    params = {"schemas": list(schemas)}
    watchdog = Watchdog(conn, _silence_limit(statement_timeout_ms))
    try:
        with (
            gcpause.paused(),
            watchdog,
            read_only_transaction(conn, statement_timeout_ms),
        ):
            (
                enums,
                relations,
                columns,
                constraints,
                domains,
                functions,
                function_args,
            ) = _fetch_all(conn, CATALOG_QUERIES, params, log, progress=watchdog.rearm)
    except psycopg.Error as exc:
        raise _introspection_error(exc, watchdog, statement_timeout_ms) from None
    start = time.perf_counter()
    with gcpause.paused():
        db = build_database(
            schemas, enums, relations, columns, constraints, domains, functions, function_args
        )
    log.build_seconds += time.perf_counter() - start
    return db


def _introspection_error(
    exc: psycopg.Error, watchdog: Watchdog, statement_timeout_ms: int
) -> DatabaseError:
    """The DatabaseError that explains `exc`."""
    raise_it = (
        f"raise statement-timeout in [tool.sync-schema] (milliseconds, now "
        f"{statement_timeout_ms}; statement_timeout_ms= for the guard)"
    )
    if watchdog.fired:
        return DatabaseError(
            f"the server stopped answering: no reply for {watchdog.seconds:g} s "
            "(the statement timeout plus a margin)",
            hint="check the server and the network or proxy between; if the catalog is just "
            f"slow to read, {raise_it}",
        )
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return DatabaseError(
            f"catalog query exceeded the statement timeout ({statement_timeout_ms} ms)",
            hint=f"{raise_it}, or check the server's load and locks",
        )
    return DatabaseError(
        f"introspection failed: {_first_line(str(exc))}",
        hint="check that the role can connect and use the schemas",
    )


def _silence_limit(statement_timeout_ms: int) -> float:
    """How long the client waits for a reply: the server's own limit, plus a margin.

    The margin (as long as the timeout, 2 to 10 s) covers the rows' transfer and a busy
    client; past it, the server's statement timeout should long have answered.
    """
    seconds = statement_timeout_ms / 1000
    return seconds + min(max(seconds, 2.0), 10.0)


class Watchdog:
    """A client-side deadline: no reply for `seconds` cancels the query and drops the link.

    The server enforces statement_timeout, but a server that froze, a wedged proxy or a
    network black hole never answers at all, and libpq would wait forever. The socket is
    shut down (not closed: the waiting thread still owns it), which ends that wait with an
    error.
    """

    def __init__(self, conn: psycopg.Connection[Any], seconds: float) -> None:
        self.conn = conn
        self.seconds = seconds
        self.fired = False
        self._deadline = time.monotonic() + seconds
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="sync-schema-watchdog")
        self._thread.daemon = True

    def __enter__(self) -> Watchdog:
        self.rearm()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._lock:  # from here on, the socket is the caller's again
            self._done.set()
        self._thread.join()

    def rearm(self) -> None:
        """A reply arrived: the next one has `seconds` again."""
        self._deadline = time.monotonic() + self.seconds

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, self._deadline - time.monotonic())):
            if time.monotonic() >= self._deadline:
                self._fire()
                return

    def _fire(self) -> None:
        self.fired = True
        # A courtesy to a server that is merely slow to answer: stop its query.
        with contextlib.suppress(Exception):
            self.conn.cancel_safe(timeout=2.0)
        with self._lock, contextlib.suppress(OSError, psycopg.Error):
            if not self._done.is_set():
                with socket.socket(fileno=os.dup(self.conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def read_only_transaction(
    conn: psycopg.Connection[Any], statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS
) -> Iterator[None]:
    """A READ ONLY transaction with a statement timeout: introspection can never write or hang."""
    settings = {"statement_timeout": f"{int(statement_timeout_ms)}ms", **PINNED_SETTINGS}
    with conn.transaction():
        # All are transaction-local (set after whatever the session carries), so a pooled or
        # shared connection gets its own settings back when the transaction ends.
        # REPEATABLE READ: every catalog query sees the same snapshot of the schema.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.execute(
            "SELECT " + ", ".join(["pg_catalog.set_config(%s, %s, true)"] * len(settings)),
            [value for pair in settings.items() for value in pair],
        )
        yield


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
#: Fields holding an OID: to_json writes an oid as a string, psycopg reads it as an int.
_OID_FIELDS = frozenset({"relid", "target_relid", "funcid"})


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


def introspect_via_api(
    endpoint: QueryEndpoint,
    schemas: Sequence[str] = ("public",),
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    log: QueryLog | None = None,
) -> ir.Database:
    """Read `schemas` through the Management API's query endpoint: one statement, one snapshot."""
    log = log if log is not None else QueryLog()
    sql = catalog_statement(schemas, statement_timeout_ms=statement_timeout_ms)
    start = time.perf_counter()
    rows = management_api.run_query(endpoint, sql, timeout_s=_silence_limit(statement_timeout_ms))
    log.seconds += time.perf_counter() - start
    log.count += 1
    log.statements.append(sql.split("\n", 1)[0])
    document = rows[0].get("catalog") if len(rows) == 1 and isinstance(rows[0], dict) else rows
    start = time.perf_counter()
    db = database_from_document(schemas, document)
    log.build_seconds += time.perf_counter() - start
    return db


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


def _fetch_all(
    conn: psycopg.Connection[Any],
    queries: Sequence[str],
    params: dict[str, Any],
    log: QueryLog,
    progress: Callable[[], None] = lambda: None,
) -> list[list[Row]]:
    """Rows of each query, sent together in pipeline mode; `progress` runs after each.

    The server runs each query while the client is still decoding the rows of the one
    before, instead of waiting for a round trip per query.
    """
    start = time.perf_counter()
    results: list[list[Row]] = []
    failure: psycopg.Error | None = None
    try:
        with conn.pipeline():
            try:
                cursors = [conn.cursor(row_factory=psycopg.rows.namedtuple_row) for _ in queries]
                for cur, sql in zip(cursors, queries, strict=True):
                    cur.execute(cast("Any", sql), params)
                for cur in cursors:
                    results.append(cur.fetchall())
                    cur.close()
                    progress()
            except psycopg.Error as exc:
                # Leave the block normally: closing the pipeline then fetches the queries
                # the failure aborted, instead of logging "error ignored terminating".
                failure = exc
    except psycopg.Error:
        if failure is None:
            raise
    if failure is not None:
        raise failure
    log.seconds += time.perf_counter() - start
    log.count += len(queries)
    log.statements += [sql.strip().split("\n", 1)[0] for sql in queries]
    return results


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
    inferred: dict[int, list[nodetree.ViewColumn]] = {}

    def nullable_of(relid: int, attnum: int) -> bool | None:
        if relid in views:
            found = infer(relid)
            return not found[attnum - 1].not_null if 0 < attnum <= len(found) else None
        row = by_attnum.get((relid, attnum))
        if row is None:
            return None
        return not row.attnotnull or (relid, attnum) in not_valid

    def infer(relid: int) -> list[nodetree.ViewColumn]:
        if relid not in inferred:
            inferred[relid] = []  # a cycle (impossible for views) reads as "unknown"
            found = nodetree.view_columns(views[relid].view_query, nullable_of)
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


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
