"""The standard-library catalog read (source/wire.py) against real servers: same database, or psycopg.

Every test calls `read_catalog` itself, so a read that silently fell back to psycopg would
fail here: `Unsupported` is the only way out other than the document.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync_schema.embedded.binaries import embedded_pg_bin, system_pg_bins
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.processes import SERVER_USER, owner_ids
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError
from sync_schema.source import introspect, wire
from sync_schema.source.build import database_from_document
from tests.conftest import MIGRATIONS, ROLE_PASSWORD, SLOW_CATALOG_SQL, dbname
from tests.server.test_introspect import StallingProxy

pytestmark = pytest.mark.postgres

HOSTILE = r'''
create type "Mood ""quoted""" as enum ('it''s', 'a\b', E'new\nline', 'Zoë', '');
create table "select" (
  "class" int primary key,
  "Zoë ""x""" text not null default E'a\'b',
  mood "Mood ""quoted""" [],
  doc jsonb
);
comment on table "select" is E'"""\nimport os  # not code\n\\';
create view "v w" as select "class", "Zoë ""x""" from "select";
'''


@pytest.fixture(autouse=True)
def no_libpq_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home without ~/.postgresql: the machine's own must not turn the wire read off."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


def read(dsn: str, timeout_ms: int = 30_000) -> str:
    return wire.read_catalog(dsn, ("public",), statement_timeout_ms=timeout_ms, env={})


def test_the_wire_read_gives_the_database_psycopg_reads(
    fresh_db: str, pg_server: TempServer
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, supabase_shim=True)
    pg_server.psql(HOSTILE, dbname(fresh_db))

    document = read(fresh_db)

    assert database_from_document(("public",), document) == introspect.introspect(fresh_db)


def test_a_scram_login_reads_and_a_wrong_password_is_left_to_libpq(
    password_role: tuple[str, str],
) -> None:
    right, wrong = password_role

    assert database_from_document(("public",), read(right)).tables[0].name == "t"
    with pytest.raises(wire.Unsupported):
        read(wrong)


@pytest.mark.parametrize("method", ["md5", "password"])
def test_md5_and_cleartext_logins_read(pg_server: TempServer, fresh_db: str, method: str) -> None:
    role = f"sync_wire_{method}"
    rule = f"local all {role} {method}\n"
    hba = pg_server.data_dir / "pg_hba.conf"
    if rule not in hba.read_text(encoding="utf-8"):
        hba.write_text(rule + hba.read_text(encoding="utf-8"), encoding="utf-8")
        pg_server.psql("select pg_reload_conf()")
    encryption = "md5" if method == "md5" else "scram-sha-256"
    pg_server.psql(
        f"set password_encryption = '{encryption}'; do $$ begin create role {role} login "
        f"password '{ROLE_PASSWORD}'; exception when duplicate_object then null; end $$"
    )
    pg_server.psql("create table public.t (id int primary key)", dbname(fresh_db))
    dsn = fresh_db.replace("postgres@", f"{role}:{ROLE_PASSWORD}@", 1)

    assert database_from_document(("public",), read(dsn)).tables[0].name == "t"


def test_a_password_the_url_does_not_give_is_left_to_libpq(password_role: tuple[str, str]) -> None:
    right, _wrong = password_role
    without = right.replace(f":{ROLE_PASSWORD}@", "@", 1)

    with pytest.raises(wire.Unsupported):
        read(without)


def test_a_statement_timeout_is_reported_as_psycopgs_path_reports_it(
    pg_server: TempServer, fresh_db: str
) -> None:
    pg_server.psql(SLOW_CATALOG_SQL, dbname(fresh_db))

    with pytest.raises(DatabaseError) as caught:
        read(fresh_db, timeout_ms=1)

    assert "statement timeout (1 ms)" in caught.value.message


def test_nothing_listening_is_left_to_libpq(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(wire.Unsupported):
        read(f"postgresql://postgres:pw@127.0.0.1:{port}/postgres")
    with pytest.raises(wire.Unsupported):
        read(f"postgresql://postgres@/postgres?host={tmp_path}")


# --- TLS over TCP -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _first_tls_server(pg_bins: list[Path], settings: tuple[str, ...]) -> Iterator[TempServer]:
    """The first of these builds that serves TLS, started (a skip if none does)."""
    for pg_bin in pg_bins:
        server = TempServer(pg_bin, settings=settings, port=_free_port())
        try:
            server.__enter__()
        except DatabaseError as exc:
            if "SSL is not supported" in str(exc):
                continue
            raise
        try:
            yield server
        finally:
            server.__exit__(None, None, None)
        return
    pytest.skip("no PostgreSQL build here serves TLS (the embedded wheel's has no SSL)")


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TempServer]:
    """A server on 127.0.0.1 with a self-signed certificate; one role may log in only over TLS."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate to serve TLS with")
    # Not under pytest's tmp dirs: their parents are closed to the server's own user.
    with tempfile.TemporaryDirectory(prefix="sync-schema-tls-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        yield from _tls_server(openssl, folder)


def _tls_server(openssl: str, folder: Path) -> Iterator[TempServer]:
    cert, key = folder / "server.crt", folder / "server.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    key.chmod(0o600)
    if os.geteuid() == 0:  # the server runs as its own user, which must own the key
        uid, gid = owner_ids(SERVER_USER)
        os.chown(key, uid, gid)
        os.chown(cert, uid, gid)
    settings = (
        "listen_addresses=127.0.0.1",
        "ssl=on",
        f"ssl_cert_file={cert}",
        f"ssl_key_file={key}",
    )
    # The embedded wheel's build has no SSL; a system install (Debian's PostgreSQL) has.
    with _first_tls_server([*system_pg_bins(), embedded_pg_bin()], settings) as server:
        hba = server.data_dir / "pg_hba.conf"
        rules = (
            "hostnossl all sync_tls 127.0.0.1/32 reject\n"
            "hostssl all sync_tls 127.0.0.1/32 scram-sha-256\n"
        )
        hba.write_text(rules + hba.read_text(encoding="utf-8"), encoding="utf-8")
        server.psql("select pg_reload_conf()")
        server.psql(f"create role sync_tls login password '{ROLE_PASSWORD}'")
        server.create_database("tls")
        server.psql("create table public.t (id int primary key)", "tls")
        yield server


@pytest.mark.parametrize("sslmode", ["", "?sslmode=prefer", "?sslmode=require"])
def test_tls_as_libpq_prefers_and_requires_it_reads(tls_server: TempServer, sslmode: str) -> None:
    dsn = f"postgresql://sync_tls:{ROLE_PASSWORD}@127.0.0.1:{tls_server.port}/tls{sslmode}"

    assert database_from_document(("public",), read(dsn)).tables[0].name == "t"


def test_without_tls_the_server_refuses_and_libpq_is_left_to_say_so(
    tls_server: TempServer,
) -> None:
    dsn = f"postgresql://sync_tls:{ROLE_PASSWORD}@127.0.0.1:{tls_server.port}/tls"

    with pytest.raises(wire.Unsupported):
        read(dsn + "?sslmode=disable")


# --- a server that stops answering --------------------------------------------------------------


@pytest.mark.parametrize("replies", [1, 2], ids=["after-login", "after-begin"])
def test_a_server_that_stops_answering_is_reported_not_waited_on(
    fresh_db: str, pg_server: TempServer, replies: int
) -> None:
    pg_server.psql("create table t (id int primary key)", dbname(fresh_db))
    proxy = StallingProxy(str(pg_server.socket_dir / f".s.PGSQL.{pg_server.port}"), replies)
    try:
        dsn = f"postgresql://postgres@127.0.0.1:{proxy.port}/{dbname(fresh_db)}?sslmode=disable"
        with pytest.raises(DatabaseError) as caught:
            read(dsn, timeout_ms=500)
    finally:
        proxy.close()

    assert "stopped answering: no reply for 2.5 s" in caught.value.message
    assert "statement-timeout" in caught.value.hint
    assert proxy.dropped_bytes > 0


def test_a_catalog_above_the_size_limit_is_left_to_psycopg(
    fresh_db: str, pg_server: TempServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pg_server.psql("create table t (a int, b int, c int)", dbname(fresh_db))
    monkeypatch.setattr(wire, "MAX_COLUMNS", 3)
    assert database_from_document(("public",), read(fresh_db)).tables[0].name == "t"

    monkeypatch.setattr(wire, "MAX_COLUMNS", 2)
    with pytest.raises(wire.Unsupported):
        read(fresh_db)
