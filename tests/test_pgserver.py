"""The throwaway server and the migration runner, against real PostgreSQL servers."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from generator import pgserver
from generator.errors import DatabaseError, MigrationError, SyncSchemaError
from generator.pgserver import TempServer, apply_migrations, embedded_database
from tests.conftest import MIGRATIONS


def _dbname(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/")


def _pids_using(data_dir: Path) -> list[int]:
    """Live processes whose command line mentions data_dir."""
    needle = str(data_dir).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _query(server: TempServer, dsn: str, sql: str) -> str:
    return server.psql(sql, dbname=_dbname(dsn)).strip()


@pytest.fixture
def short_tmpdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point tempfile at a fresh, short, world-traversable dir so a test can see what is left."""
    parent = Path(tempfile.mkdtemp(prefix="ss-test-", dir="/tmp"))
    parent.chmod(0o755)  # as root the server runs as another user, who must traverse it
    monkeypatch.setattr(tempfile, "tempdir", str(parent))
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


@pytest.mark.postgres
def test_all_migrations_apply_in_lexical_order(pg_server: TempServer, fresh_db: str) -> None:
    applied = apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)

    assert [p.name for p in applied] == sorted(p.name for p in MIGRATIONS.glob("*.sql"))
    assert len(applied) == 4
    assert applied[-1].name.endswith("_billing_and_status.sql")
    assert _query(pg_server, fresh_db, "select enum_range(null::public.project_status)") == (
        "{pending,active,on_hold,archived}"
    )
    assert _query(pg_server, fresh_db, "select to_regclass('public.project_members')") == ""
    columns = _query(
        pg_server,
        fresh_db,
        "select string_agg(attname, ',' order by attnum) from pg_attribute"
        " where attrelid = 'public.organizations'::regclass and attnum > 0 and not attisdropped",
    )
    assert (
        columns == "id,name,slug,type,billing_email,created_at,settings,billing_cycle,max_members"
    )
    assert _query(
        pg_server,
        fresh_db,
        "select format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = 'public.requirements'::regclass and attname = 'priority'",
    ) == ("integer")
    assert (
        _query(
            pg_server,
            fresh_db,
            "select count(*) from pg_constraint where conname = 'requirements_priority_range'",
        )
        == "1"
    )
    assert _query(
        pg_server,
        fresh_db,
        "select relkind from pg_class where oid in"
        " ('public.project_overview'::regclass, 'public.organization_stats'::regclass)"
        " order by relkind",
    ).split() == ["m", "v"]


@pytest.mark.postgres
def test_limit_applies_only_the_first_migrations(pg_server: TempServer, fresh_db: str) -> None:
    applied = apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)

    assert [p.name for p in applied] == sorted(p.name for p in MIGRATIONS.glob("*.sql"))[:3]
    assert _query(pg_server, fresh_db, "select enum_range(null::public.project_status)") == (
        "{draft,active,archived}"
    )
    assert _query(pg_server, fresh_db, "select to_regclass('public.project_members')") == (
        "project_members"
    )


@pytest.mark.postgres
def test_failed_migration_reports_file_line_and_rolls_back_only_that_file(
    pg_server: TempServer, fresh_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("create table public.good (id int);\n")
    (migrations / "0002_bad.sql").write_text(
        "create table public.partial (id int);\n"
        "insert into public.partial values (1);\n"
        "-- the next statement fails\n"
        "select * from public.missing_table;\n"
        "create table public.never (id int);\n"
    )
    (migrations / "0003_after.sql").write_text("create table public.after_bad (id int);\n")
    monkeypatch.chdir(tmp_path)

    with pytest.raises(MigrationError) as caught:
        apply_migrations(fresh_db, Path("migrations"), pg_bin=pg_server.pg_bin)

    error = caught.value
    assert error.file == str(Path("migrations") / "0002_bad.sql")
    assert error.line == 4
    assert error.pg_message == 'ERROR:  relation "public.missing_table" does not exist'
    assert str(error) == f"migration failed at migrations/0002_bad.sql:4: {error.pg_message}"
    tables = _query(
        pg_server,
        fresh_db,
        "select concat_ws(',', to_regclass('public.good'), to_regclass('public.partial'),"
        " to_regclass('public.never'), to_regclass('public.after_bad'))",
    )
    assert tables == "good"


@pytest.mark.postgres
def test_failed_migration_message_keeps_detail(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_dup.sql").write_text(
        "create table public.t (id int primary key);\ninsert into public.t values (1), (1);\n"
    )

    with pytest.raises(MigrationError) as caught:
        apply_migrations(fresh_db, tmp_path, pg_bin=pg_server.pg_bin)

    assert caught.value.file == str(tmp_path / "0001_dup.sql")
    assert caught.value.line == 2
    assert caught.value.pg_message.splitlines() == [
        'ERROR:  duplicate key value violates unique constraint "t_pkey"',
        "DETAIL:  Key (id)=(1) already exists.",
    ]


def test_missing_migrations_dir_names_it_with_a_hint(tmp_path: Path) -> None:
    missing = tmp_path / "nope"

    with pytest.raises(SyncSchemaError) as caught:
        apply_migrations("postgresql://unused", missing)
    assert str(missing) in caught.value.message
    assert "--migrations" in caught.value.hint

    # Checked before any server is started.
    with pytest.raises(SyncSchemaError), embedded_database(missing):
        pass


def test_migrations_dir_without_sql_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a migration\n")

    with pytest.raises(SyncSchemaError) as caught:
        apply_migrations("postgresql://unused", tmp_path)
    assert "no .sql files" in caught.value.message


@pytest.mark.postgres
@pytest.mark.parametrize("raised", [None, RuntimeError, KeyboardInterrupt])
def test_temp_server_leaves_nothing_behind(
    pg_server: TempServer, raised: type[BaseException] | None
) -> None:
    server = TempServer(pg_server.pg_bin)
    try:
        with server:
            assert server.psql("select 1").strip() == "1"
            assert _pids_using(server.data_dir)
            if raised is not None:
                raise raised("boom")
    except (RuntimeError, KeyboardInterrupt):
        assert raised is not None

    assert not server.base_dir.exists()
    assert _pids_using(server.data_dir) == []
    status = subprocess.run(
        [str(pg_server.pg_bin / "pg_ctl"), "status", "-D", str(server.data_dir)],
        capture_output=True,
        check=False,
    )
    assert status.returncode != 0  # 3: not running, 4: no data dir


@pytest.mark.postgres
def test_pg_ctl_waits_and_stops_where_the_fast_paths_cannot(
    pg_server: TempServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No /proc (macOS): pg_ctl -w waits for the start; no signal delivered: pg_ctl stops it.
    monkeypatch.setattr(pgserver, "_HAVE_PROC", False)
    monkeypatch.setattr(TempServer, "_quit_postmaster", lambda _self: False)
    server = TempServer(pg_server.pg_bin)
    with server:
        assert server.psql("select 1").strip() == "1"
    assert not server.base_dir.exists()
    assert _pids_using(server.data_dir) == []


@pytest.mark.postgres
def test_failed_start_reports_server_log_and_cleans_up(
    pg_server: TempServer, short_tmpdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = (*pgserver._SERVER_SETTINGS, "no_such_setting=1")
    monkeypatch.setattr(pgserver, "_SERVER_SETTINGS", settings)

    with pytest.raises(DatabaseError) as caught, TempServer(pg_server.pg_bin):
        pass

    assert 'unrecognized configuration parameter "no_such_setting"' in caught.value.message
    assert list(short_tmpdir.iterdir()) == []


@pytest.mark.postgres
def test_long_tmpdir_puts_the_socket_under_tmp(
    pg_server: TempServer, short_tmpdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_dir = short_tmpdir / ("x" * 60) / ("y" * 60)
    long_dir.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(long_dir))

    with TempServer(pg_server.pg_bin) as server:
        assert server.socket_dir.parent == Path("/tmp")  # noqa: S108
        assert server.psql("select 1").strip() == "1"
    assert not server.base_dir.exists()


@pytest.mark.postgres
def test_psql_failure_raises_database_error(pg_server: TempServer) -> None:
    with pytest.raises(DatabaseError) as caught:
        pg_server.psql("select * from no_such_table")
    assert 'relation "no_such_table" does not exist' in caught.value.message


@pytest.mark.postgres
def test_embedded_database_yields_migrated_app_database(pg_server: TempServer) -> None:
    with embedded_database(MIGRATIONS, pg_bin=pg_server.pg_bin, limit=2) as dsn:
        assert _dbname(dsn) == "app"
        socket_dir = Path(parse_qs(urlsplit(dsn).query)["host"][0])
        tables = subprocess.run(
            [
                str(pg_server.pg_bin / "psql"),
                "-X",
                "-At",
                "-d",
                dsn,
                "-c",
                "select count(*) from pg_tables where schemaname = 'public'",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert tables == "5"
    assert not socket_dir.exists()


@pytest.mark.postgres
def test_major_version_matches_the_binaries(pg_server: TempServer) -> None:
    version = pg_server.psql("show server_version_num").strip()
    assert int(version) // 10000 == pg_server.major_version
