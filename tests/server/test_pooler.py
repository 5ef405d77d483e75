"""Through a transaction-mode pooler the output is the direct connection's, byte for byte.

PgBouncer 1.18 (Debian's package) in pool_mode=transaction stands in for Supavisor, Supabase's
pooler on port 6543: each transaction may land on another server connection, no session state
survives, and prepared statements are not carried over. The server behind it is the real one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from tests.conftest import MIGRATIONS

PGBOUNCER = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        PGBOUNCER is None, reason="pgbouncer is not installed (apt install pgbouncer)"
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def pooler(pg_server: TempServer, fresh_db: str) -> Iterator[str]:
    """The dsn of fresh_db through PgBouncer in transaction mode."""
    assert PGBOUNCER is not None
    target = conninfo_to_dict(fresh_db)
    port = _free_port()
    # Outside pytest's basetemp (mode 0700): pgbouncer drops root for the server's user.
    with tempfile.TemporaryDirectory(prefix="sync-schema-pgbouncer-") as folder:
        base = Path(folder)
        (base / "users.txt").write_text(f'"{target["user"]}" ""\n', encoding="utf-8")
        (base / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={target['host']} port={target['port']}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\n"
            f"unix_socket_dir =\nauth_type = trust\nauth_file = {base / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 4\n"
            f"logfile = {base / 'pgbouncer.log'}\npidfile = {base / 'pgbouncer.pid'}\n",
            encoding="utf-8",
        )
        command = [PGBOUNCER, str(base / "pgbouncer.ini")]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            user = pg_server.run_as or "postgres"
            shutil.chown(base, user)
            command[1:1] = ["-u", user]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        dsn = f"postgresql://{target['user']}@127.0.0.1:{port}/{target['dbname']}"
        try:
            _wait_until_up(dsn, process)
            yield dsn
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_up(dsn: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"pgbouncer exited {process.returncode}: {output}")
        try:
            with psycopg.connect(dsn, connect_timeout=2):
                return
        except psycopg.OperationalError:
            time.sleep(0.1)
    pytest.fail("pgbouncer did not accept connections")


def _generate(dsn: str, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sync_schema", "generate", "--db-url", dsn, "--out", str(out)],
        cwd=out.parent, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_generate_through_a_transaction_mode_pooler_matches_a_direct_connection(
    pg_server: TempServer, fresh_db: str, pooler: str, tmp_path: Path
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    _generate(fresh_db, tmp_path / "direct")
    # Over a copy: an unchanged DB_HASH keeps the copy's LAST_SYNC, so every byte must match.
    shutil.copytree(tmp_path / "direct", tmp_path / "pooled")
    for path in (tmp_path / "pooled").rglob("*.py"):
        path.write_text("# scribbled\n", encoding="utf-8")  # generate must rewrite them all
    _generate(pooler, tmp_path / "pooled")

    direct, pooled = _tree(tmp_path / "direct"), _tree(tmp_path / "pooled")
    assert sorted(pooled) == sorted(direct)
    assert [rel for rel in direct if pooled[rel] != direct[rel]] == []
    check = subprocess.run(
        [sys.executable, "-m", "sync_schema", "check", "--db-url", pooler,
         "--out", str(tmp_path / "direct")],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
