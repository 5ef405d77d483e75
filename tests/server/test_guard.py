"""The startup guard and `check --hash-only`, against the real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import psycopg
import pytest

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import SyncSchemaError
from sync_schema.guard import SchemaDriftError, assert_schema_matches, live_changes
from tests.conftest import MIGRATIONS, ROLE_PASSWORD

pytestmark = pytest.mark.postgres

FOURTH = sorted(MIGRATIONS.glob("*.sql"))[3]


def _generate(dsn: str, out: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sync_schema", "generate", "--db-url", dsn, "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=out.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def _check_hash_only(
    dsn: str, out: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync_schema", "check", "--hash-only", "--db-url", dsn,
         "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=out.parent,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture
def package(pg_server: TempServer, fresh_db: str, tmp_path: Path) -> Path:
    """A package generated from migrations 1..3 (the fourth is applied by the tests)."""
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    out = tmp_path / "guarded_schemas"
    _generate(fresh_db, out)
    return out


def _apply_fourth(dsn: str, pg_server: TempServer, tmp_path: Path) -> None:
    folder = tmp_path / "migration4"
    folder.mkdir()
    shutil.copy(FOURTH, folder / FOURTH.name)
    apply_migrations(dsn, folder, pg_bin=pg_server.pg_bin)


def test_the_guard_returns_while_the_database_matches(fresh_db: str, package: Path) -> None:
    assert_schema_matches(fresh_db, package=package)
    with psycopg.connect(fresh_db) as conn:
        assert_schema_matches(conn, package=package)
        # The caller's connection is left as it was: idle, and still able to write.
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute("create temporary table after_guard (id int)")
    assert _check_hash_only(fresh_db, package).returncode == 0


def test_the_guard_imports_the_package_by_name(
    fresh_db: str, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(package.parent))
    assert_schema_matches(fresh_db, package="guarded_schemas")


def test_after_a_migration_the_guard_raises_naming_the_changed_column(
    pg_server: TempServer, fresh_db: str, package: Path, tmp_path: Path
) -> None:
    _apply_fourth(fresh_db, pg_server, tmp_path)

    with pytest.raises(SchemaDriftError) as raised:
        assert_schema_matches(fresh_db, package=package)

    message = str(raised.value)
    assert "priority (smallint -> integer)" in message
    assert "[CRITICAL] TABLE: project_members" in message
    assert raised.value.hint is not None
    # The app's runtime knows no Makefile: the hint names the tool's own command.
    assert "sync-schema generate" in raised.value.hint
    assert "make schemas" not in raised.value.hint
    assert {c.name for c in raised.value.changes} >= {"requirements", "project_members"}
    result = _check_hash_only(fresh_db, package)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "priority (smallint -> integer)" in result.stdout


def test_the_guard_refuses_a_connection_inside_a_transaction(fresh_db: str, package: Path) -> None:
    with psycopg.connect(fresh_db) as conn:
        conn.execute("select 1")  # opens a transaction (autocommit is off)
        with pytest.raises(Exception, match="outside any transaction"):
            assert_schema_matches(conn, package=package)


def test_hash_only_with_a_wrong_password_exits_2_without_showing_it(
    package: Path, password_role: tuple[str, str]
) -> None:
    _right, wrong = password_role

    result = _check_hash_only(wrong, package)

    assert result.returncode == 2
    assert ROLE_PASSWORD not in result.stdout + result.stderr
    assert "password authentication failed" in result.stderr
    with pytest.raises(SyncSchemaError) as raised:
        assert_schema_matches(wrong, package=package)
    assert ROLE_PASSWORD not in str(raised.value)


def test_live_changes_is_none_in_sync(fresh_db: str, package: Path) -> None:
    assert live_changes(fresh_db, package) is None


APP_SESSION = "-c TimeZone=America/New_York -c DateStyle=SQL,DMY -c IntervalStyle=sql_standard"


def test_the_guard_accepts_a_matching_database_from_an_app_with_its_own_time_zone(
    fresh_db: str, package: Path
) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            "create table stamped (id int primary key,"
            " at timestamptz default '2024-01-02 03:04:05+00', on_date date default '2024-03-04',"
            " span interval default '1 day 02:00:00' check (span < '10 years'),"
            " check (on_date > '2000-01-31'))"
        )
    shutil.rmtree(package)
    _generate(fresh_db, package)

    with psycopg.connect(fresh_db, options=APP_SESSION) as conn:
        assert_schema_matches(conn, package=package)
        # The guard pinned its settings for its own transaction only.
        shown = conn.execute("select current_setting('TimeZone'), current_setting('DateStyle')")
        assert shown.fetchone() == ("America/New_York", "SQL, DMY")
        # psycopg types it as a tzinfo; a named TimeZone setting comes back as a ZoneInfo.
        assert cast(ZoneInfo, conn.info.timezone).key == "America/New_York"
    assert _check_hash_only(fresh_db, package, env={"PGOPTIONS": APP_SESSION}).returncode == 0


def _small_package(dsn: str, tmp_path: Path, pyproject: str = "[tool.sync-schema]\n") -> Path:
    """A package of public.users (and whatever the test created before), generated now."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table public.users (id int primary key, email text not null)")
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    out = tmp_path / "guarded_schemas"
    _generate(dsn, out)
    return out


def test_the_guard_keeps_the_locked_names_when_a_colliding_table_is_added(
    fresh_db: str, tmp_path: Path
) -> None:
    # [naming] is the project's, not the app's: the guard reads the names from the lock alone.
    package = _small_package(
        fresh_db, tmp_path, '[tool.sync-schema.naming]\n"public.users" = "Account"\n'
    )
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            'create table public."user" (id int primary key); create table public.account (id int primary key)'
        )

    drift = live_changes(fresh_db, package=package)

    assert drift is not None
    assert [(c.name, c.change) for c in drift.changes] == [("account", "added"), ("user", "added")]
    assert "Class names changed" not in str(drift)


def test_the_guard_names_the_classes_a_renamed_table_moves_to(
    fresh_db: str, tmp_path: Path
) -> None:
    package = _small_package(fresh_db, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("alter table public.users rename to members")

    drift = live_changes(fresh_db, package=package)

    assert drift is not None
    assert "[HIGH] TABLE: members\n  Change: renamed users -> members (guess)\n" in str(drift)
    assert "  Class names changed: UserRow -> MemberRow, UserInsert -> MemberInsert" in str(drift)
