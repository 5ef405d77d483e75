"""Read the catalog over a connection (the only psycopg import): read-only, time-bounded, one snapshot."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict

from sync_schema import gcpause, ir
from sync_schema.errors import ConfigError, DatabaseError, redact
from sync_schema.source import management_api
from sync_schema.source.build import Row, build_database, database_from_document
from sync_schema.source.catalog import (
    CATALOG_QUERIES,
    DEFAULT_STATEMENT_TIMEOUT_MS,
    PINNED_SETTINGS,
    QueryLog,
    catalog_statement,
    check_statement_timeout,
    silence_error,
    silence_limit,
    statement_timeout_error,
)
from sync_schema.source.management_api import QueryEndpoint

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


def conninfo(dsn: str) -> dict[str, Any]:
    """libpq's reading of a connection string or URL (raises psycopg's ProgrammingError)."""
    return conninfo_to_dict(dsn)


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
    watchdog = Watchdog(conn, silence_limit(statement_timeout_ms))
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
    if watchdog.fired:
        return silence_error(watchdog.seconds, statement_timeout_ms)
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return statement_timeout_error(statement_timeout_ms)
    return DatabaseError(
        f"introspection failed: {_first_line(str(exc))}",
        hint="check that the role can connect and use the schemas",
    )


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
    rows = management_api.run_query(endpoint, sql, timeout_s=silence_limit(statement_timeout_ms))
    log.seconds += time.perf_counter() - start
    log.count += 1
    log.reader = "the Management API"
    log.statements.append(sql.split("\n", 1)[0])
    document = rows[0].get("catalog") if len(rows) == 1 and isinstance(rows[0], dict) else rows
    start = time.perf_counter()
    db = database_from_document(schemas, document)
    log.build_seconds += time.perf_counter() - start
    return db


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


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
