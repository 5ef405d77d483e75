"""Which client reads the catalog: the standard-library one where it applies, else psycopg."""

from __future__ import annotations

import time
from collections.abc import Sequence

from sync_schema import ir
from sync_schema.source import wire
from sync_schema.source.build import database_from_document
from sync_schema.source.catalog import DEFAULT_STATEMENT_TIMEOUT_MS, QueryLog
from sync_schema.source.management_api import QueryEndpoint


def read_database(
    dsn: str | QueryEndpoint,
    schemas: Sequence[str] = ("public",),
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
    log: QueryLog | None = None,
) -> ir.Database:
    """`schemas` of the database at `dsn`, read by source/wire.py where it can, else by psycopg.

    Both read the same catalog in the same kind of transaction and give the same Database
    (tests/server/test_wire.py); the wire read only saves importing psycopg, which costs more
    than a small catalog's whole read.
    """
    log = log if log is not None else QueryLog()
    if isinstance(dsn, str):
        start = time.perf_counter()
        try:
            document = wire.read_catalog(dsn, schemas, statement_timeout_ms=statement_timeout_ms)
        except wire.Unsupported:
            pass
        else:
            log.seconds += time.perf_counter() - start
            log.count += 2  # the catalog's size, then the catalog as one statement
            log.reader = "the standard library"
            start = time.perf_counter()
            db = database_from_document(schemas, document)
            log.build_seconds += time.perf_counter() - start
            return db
    from sync_schema.source import introspect  # noqa: PLC0415 - psycopg costs 0.19 s to import

    return introspect.introspect(dsn, schemas, statement_timeout_ms=statement_timeout_ms, log=log)
