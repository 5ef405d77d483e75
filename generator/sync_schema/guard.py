"""A startup guard for applications: fail fast when the database no longer matches `schemas/`.

    from sync_schema.guard import assert_schema_matches

    assert_schema_matches(conn, package="schemas")  # a psycopg connection, or a DSN

It introspects the live database (the same catalog queries as `sync-schema`, in a
read-only transaction, no rendering) and compares its hash with the package's DB_HASH.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from sync_schema import ir
from sync_schema.drift import Change, SchemaSync, format_change
from sync_schema.errors import SyncSchemaError
from sync_schema.layout import SCHEMA_JSON
from sync_schema.model.names import decide_names, name_lock
from sync_schema.options import Options
from sync_schema.snapshot import Snapshot, parse_snapshot, read_snapshot_head
from sync_schema.source.catalog import DEFAULT_STATEMENT_TIMEOUT_MS, check_statement_timeout
from sync_schema.source.introspect import introspect, introspect_connection

__all__ = ["SchemaDriftError", "assert_schema_matches", "live_changes"]


class SchemaDriftError(SyncSchemaError):
    """The live database differs from the generated package; `changes` says how."""

    def __init__(self, package: str, expected: str, actual: str, changes: list[Change]) -> None:
        self.package = package
        self.expected_hash = expected
        self.actual_hash = actual
        self.changes = changes
        listed = "\n".join(line for c in changes for line in format_change(c)) or "(no change)"
        super().__init__(
            f"the database no longer matches {package} "
            f"(DB_HASH {expected[:12]}, live {actual[:12]}):\n{listed}",
            hint="regenerate the package (`sync-schema generate`, or the project's update-command), review, commit and deploy the result",
        )


def assert_schema_matches(
    conn: Any,
    package: str | Path | ModuleType = "schemas",
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> None:
    """Return if the database matches the package's DB_HASH; raise SchemaDriftError if not.

    `conn` is an open psycopg connection (left open, its transaction state untouched) or a
    connection string. `package` is the generated package: its import name, the module, or
    its folder.
    """
    changes = live_changes(conn, package, statement_timeout_ms=statement_timeout_ms)
    if changes is not None:
        raise changes


def live_changes(
    conn: Any,
    package: str | Path | ModuleType = "schemas",
    *,
    statement_timeout_ms: int = DEFAULT_STATEMENT_TIMEOUT_MS,
) -> SchemaDriftError | None:
    """None when the database matches the package, else the error assert_schema_matches raises."""
    check_statement_timeout(statement_timeout_ms)
    label, folder = _locate(package)
    path = folder / SCHEMA_JSON
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SyncSchemaError(
            f"{label} has no {SCHEMA_JSON}",
            hint="ship schema.json with the generated package (it is part of the tree)",
        ) from None
    except OSError as exc:
        raise SyncSchemaError(
            f"cannot read {path}: {exc}", hint="check the package's files and permissions"
        ) from None
    # The whole snapshot is decoded only to explain a mismatch.
    head = read_snapshot_head(text)
    if head is None:
        snapshot = _snapshot(path, text)
        head = (snapshot.version.db_hash, snapshot.schemas)
    expected, schemas = head
    if isinstance(conn, str):
        db = introspect(conn, schemas, statement_timeout_ms=statement_timeout_ms)
    else:
        # Introspection opens its own READ ONLY transaction; inside the caller's it would
        # become a savepoint and could leave the caller's transaction read-only.
        if conn.info.transaction_status.name != "IDLE":
            raise SyncSchemaError(
                "assert_schema_matches needs a connection outside any transaction",
                hint="call it at startup, before the connection is used, or pass a DSN",
            )
        db = introspect_connection(conn, schemas, statement_timeout_ms=statement_timeout_ms)
    actual = ir.db_hash(db)
    if actual == expected:
        return None
    snapshot = _snapshot(path, text)
    local_names, db_names = _names(snapshot, db)
    changes = SchemaSync(
        snapshot.database, db, local_names=local_names, db_names=db_names
    ).compare_schemas()
    return SchemaDriftError(label, expected, actual, changes)


def _names(snapshot: Snapshot, db: ir.Database) -> tuple[dict[str, str], dict[str, str]]:
    """The locks of names of the package and of a tree generated now, as `generate` keeps them.

    The app has no [tool.sync-schema.naming]: the package's lock holds its outcome, so every
    locked name is taken as the override it may have been, and only new objects are placed.
    """
    if snapshot.names is None:  # a schema.json older than the lock
        return {}, {}
    lock = dict(snapshot.names)
    overrides: dict[str, str] = {}
    for key, name in lock.items():
        kind, _space, identity = key.partition(" ")
        # A table's row type (`composite public.tags`) is named after the table, not by [naming].
        if kind in _OVERRIDABLE and not (kind == "composite" and f"table {identity}" in lock):
            overrides[identity] = name
    decided = decide_names(db, Options(names=overrides), lock)
    return lock, name_lock(decided)


#: The lock key kinds whose identity is also a [tool.sync-schema.naming] key.
_OVERRIDABLE = frozenset({"enum", "table", "composite", "function", "member"})


def _snapshot(path: Path, text: str) -> Snapshot:
    try:
        return parse_snapshot(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise SyncSchemaError(
            f"cannot read {path}: {exc}", hint="regenerate or reinstall the package"
        ) from None


def _locate(package: str | Path | ModuleType) -> tuple[str, Path]:
    if isinstance(package, Path):
        return str(package), package
    module = importlib.import_module(package) if isinstance(package, str) else package
    if module.__file__ is None:
        raise SyncSchemaError(
            f"{module.__name__} is not a generated package (it has no __file__)",
            hint="pass the package generated by sync-schema, e.g. package='schemas'",
        )
    return module.__name__, Path(module.__file__).parent
