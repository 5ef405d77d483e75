"""The throwaway server and the migration runner, against real PostgreSQL servers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from sync_schema import cachedir, leftovers
from sync_schema.embedded import initdb_cache as initdbcache
from sync_schema.embedded import processes, server
from sync_schema.embedded.migrations import apply_migrations, embedded_database
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError, MigrationError, SyncSchemaError
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
    # Postgres' cursor context is kept, numbered by the file's lines.
    assert error.pg_message == (
        'ERROR:  relation "public.missing_table" does not exist\n'
        "LINE 4: select * from public.missing_table;\n"
        "                      ^"
    )
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
    monkeypatch.setattr("sync_schema.embedded.server.HAVE_PROC", False)
    monkeypatch.setattr("sync_schema.embedded.processes.HAVE_PROC", False)
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
    settings = (*server._SERVER_SETTINGS, "no_such_setting=1")
    monkeypatch.setattr(server, "_SERVER_SETTINGS", settings)

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


# --- psql meta-commands in migrations -----------------------------------------------------------

REFUSED_META_COMMANDS = {
    "shell": "\\! touch {marker}",
    "getenv": "\\getenv key SUPABASE_SERVICE_KEY",
    "setenv": "\\setenv PGOPTIONS x",
    "output-file": "\\o {marker}",
    "write-buffer": "\\w {marker}",
    "copy-program": "\\copy (select 1) to program 'touch {marker}'",
    "connect": "\\connect postgres",
    "c": "\\c postgres",
    "include": "\\i {marker}",
    "include-relative": "\\ir other.sql",
    "after-a-statement": "select 1; \\! touch {marker}",
    # With standard strings the backslash is literal, so the quote ends the string.
    "after-a-string-ending-in-a-backslash": "select 'a\\' \\! touch {marker}",
    "after-a-copy-to-stdout": "copy (select 1) to stdout;\n\\! touch {marker}",
}


def _migration_folder(tmp_path: Path, sql: str) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(exist_ok=True)
    (folder / "001_first.sql").write_text(sql, encoding="utf-8")
    return folder


@pytest.mark.postgres
@pytest.mark.parametrize("command", list(REFUSED_META_COMMANDS), ids=list(REFUSED_META_COMMANDS))
def test_a_psql_meta_command_in_a_migration_is_refused_with_its_line_and_runs_nothing(
    pg_server: TempServer, fresh_db: str, tmp_path: Path, command: str
) -> None:
    marker = tmp_path / "marker"
    text = REFUSED_META_COMMANDS[command].format(marker=marker)
    folder = _migration_folder(tmp_path, f"create table t (id int);\n{text}\n")

    with pytest.raises(MigrationError) as caught:
        apply_migrations(fresh_db, folder, pg_bin=pg_server.pg_bin)

    assert caught.value.file.endswith("001_first.sql")
    assert caught.value.line == text.count("\n") + 2
    assert "meta-command" in caught.value.message
    assert "001_first.sql" in caught.value.hint
    assert not marker.exists()
    assert _query(pg_server, fresh_db, "select to_regclass('public.t')") == ""


@pytest.mark.postgres
def test_backslashes_in_literals_comments_and_dollar_quotes_are_sql(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    sql = (
        "create table t (note text);\n"
        "insert into t values (E'\\\\! e-string'), (E'it\\'s \\\\getenv');\n"
        "insert into t values ('C:\\path\\!'), ($$ \\! dollar $$), ($x$ \\o $x$);\n"
        "-- \\! a line comment\n"
        "/* \\! /* nested \\! */ \\getenv */ insert into t values ('after comments');\n"
        'create table "\\!" (id int);\n'
    )
    apply_migrations(fresh_db, _migration_folder(tmp_path, sql), pg_bin=pg_server.pg_bin)

    assert _query(pg_server, fresh_db, "select string_agg(note, '|' order by note) from t") == (
        "\\! dollar | \\o |C:\\path\\!|\\! e-string|after comments|it's \\getenv"
    )


@pytest.mark.postgres
def test_pg_dump_copy_from_stdin_data_loads_with_its_backslashes(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    sql = (
        "SET standard_conforming_strings = on;\n"
        "CREATE TABLE public.items (id integer, note text);\n"
        "COPY public.items (id, note) FROM stdin;\n"
        "1\tback\\\\slash\n"
        "2\t\\N\n"
        "3\ttab\\there \\! not a command\n"
        "\\.\n"
        "CREATE TABLE public.after_copy (id integer);\n"
    )
    apply_migrations(fresh_db, _migration_folder(tmp_path, sql), pg_bin=pg_server.pg_bin)

    rows = _query(
        pg_server, fresh_db, "select string_agg(coalesce(note, 'NULL'), '|' order by id) from items"
    )
    assert rows == "back\\slash|NULL|tab\there ! not a command"  # COPY reads \\! as !
    assert _query(pg_server, fresh_db, "select to_regclass('public.after_copy')") == "after_copy"


@pytest.mark.postgres
def test_the_server_and_psql_see_no_secret_from_the_callers_environment(
    pg_server: TempServer, tmp_path: Path, short_tmpdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-planted-c0ffee"
    for name in ("SUPABASE_SERVICE_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD"):
        monkeypatch.setenv(name, secret)
    shared = short_tmpdir / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # the server (another user, as root) writes here
    sql = f"copy (select 1) to program 'env > {shared}/server-env';\n"

    with embedded_database(_migration_folder(tmp_path, sql), pg_bin=pg_server.pg_bin):
        pass

    server_env = (shared / "server-env").read_text()
    shutil.rmtree(shared)
    assert "PATH=" in server_env
    assert secret not in server_env
    assert secret not in repr(processes.client_env())


# --- migration files ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dangling", "looping"])
def test_a_broken_sql_symlink_in_the_migrations_folder_is_an_error(
    tmp_path: Path, kind: str
) -> None:
    folder = _migration_folder(tmp_path, "create table t (id int);\n")
    link = folder / "002_broken.sql"
    link.symlink_to(folder / "missing.sql" if kind == "dangling" else link)

    with pytest.raises(SyncSchemaError) as caught:
        apply_migrations("postgresql:///never_reached", folder)

    assert "002_broken.sql" in caught.value.message
    assert kind in caught.value.message
    assert caught.value.hint


# --- interrupted and killed runs ------------------------------------------------------------------

SLOW_MIGRATION = "create table a (id int primary key);\nselect pg_sleep(60);\n"


def _cli_run(project: Path, migrations: Path, tmpdir: Path) -> subprocess.Popen[str]:
    """`sync-schema generate` from migrations, with its temp dirs in tmpdir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "DATABASE_URL"))}
    env["TMPDIR"] = str(tmpdir)
    project.mkdir(exist_ok=True)
    (project / "pyproject.toml").write_text('[tool.sync-schema]\nschemas = ["public"]\n')
    return subprocess.Popen(
        [sys.executable, "-m", "sync_schema", "generate", "--migrations", str(migrations)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], what: str, limit: float = 90) -> None:
    """Poll until condition holds; a safety net, not a measurement."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def _psql_running_under(tmpdir: Path) -> bool:
    return any(b"psql" in _cmdline(pid) for pid in _pids_using(tmpdir))


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.postgres
def test_sigterm_mid_migration_stops_the_server_and_removes_its_temp_dir(
    tmp_path: Path, short_tmpdir: Path
) -> None:
    run = _cli_run(tmp_path / "project", _migration_folder(tmp_path, SLOW_MIGRATION), short_tmpdir)
    try:
        _wait_for(lambda: _psql_running_under(short_tmpdir), "the slow migration")
        run.send_signal(signal.SIGTERM)
        _out, err = run.communicate(timeout=60)
    finally:
        run.kill()

    assert run.returncode == 2, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert _pids_using(short_tmpdir) == []
    assert list(short_tmpdir.iterdir()) == []
    assert not (tmp_path / "project" / "schemas").exists()


@pytest.mark.postgres
def test_the_next_run_reaps_what_a_killed_run_left_and_spares_live_runs(
    tmp_path: Path, short_tmpdir: Path
) -> None:
    run = _cli_run(tmp_path / "project", _migration_folder(tmp_path, SLOW_MIGRATION), short_tmpdir)
    try:
        _wait_for(lambda: _psql_running_under(short_tmpdir), "the slow migration")
        run.kill()
        run.communicate(timeout=60)
    finally:
        run.kill()
    # psql dies with its parent; the postmaster, detached by pg_ctl, is left for the reaper.
    _wait_for(lambda: not _psql_running_under(short_tmpdir), "psql to die with its parent")
    (left,) = short_tmpdir.iterdir()
    assert _pids_using(left)
    dead_format_dir = short_tmpdir / "sync-schema-fmt-dead"
    dead_format_dir.mkdir()
    shutil.copy(left / leftovers.OWNER_FILE, dead_format_dir / leftovers.OWNER_FILE)
    live = short_tmpdir / "sync-schema-pg-live"
    live.mkdir()
    leftovers.mark_owner(live)  # this test process: alive

    fast = tmp_path / "fast"
    fast.mkdir()
    (fast / "001_a.sql").write_text("create table a (id int primary key);\n")
    next_run = _cli_run(tmp_path / "project", fast, short_tmpdir)
    _out, err = next_run.communicate(timeout=120)

    assert next_run.returncode == 0, err
    assert _pids_using(left) == []
    # (Not the output lock file: another matter.)
    assert [p.name for p in short_tmpdir.iterdir() if p.is_dir()] == ["sync-schema-pg-live"]


@pytest.fixture
def initdb_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cachedir.CACHE_ENV, str(folder))
    return folder


def _cached_templates(folder: Path) -> list[Path]:
    return sorted(folder.glob("pgdata-*")) if folder.is_dir() else []


@pytest.mark.postgres
def test_a_second_server_starts_from_a_copy_of_the_first_ones_initdb(
    pg_server: TempServer, initdb_cache: Path
) -> None:
    with TempServer(pg_server.pg_bin) as first:
        assert first.psql("select 1").strip() == "1"
    [template] = _cached_templates(initdb_cache)

    with TempServer(pg_server.pg_bin) as second:
        # cp -a keeps mtimes: the data directory is the copy, not a new initdb.
        copied = (second.data_dir / "PG_VERSION").stat().st_mtime_ns
        assert copied == (template / "PG_VERSION").stat().st_mtime_ns
        assert second.psql("create table t (i int); select count(*) from t").strip() == "0"
        assert second.major_version == pg_server.major_version

    assert not (template / "postmaster.pid").exists()  # never started, never written to
    assert [p.name for p in initdb_cache.iterdir()] == [template.name]


def test_another_build_other_options_or_another_user_never_share_a_template(
    tmp_path: Path,
) -> None:
    bins = tmp_path / "bin"
    bins.mkdir()
    for tool in ("initdb", "postgres"):
        (bins / tool).write_text("#!/bin/sh\n")
    options = ["-E", "UTF8"]
    before = initdbcache.key(bins, options, None)
    (bins / "postgres").write_text("#!/bin/sh\n# upgraded\n")

    keys = {
        before,
        initdbcache.key(bins, options, None),
        initdbcache.key(bins, ["-E", "SQL_ASCII"], None),
        initdbcache.key(bins, options, "embedded_postgres"),
    }

    assert len(keys) == 4
    assert initdbcache.key(tmp_path / "missing", options, None) is None


@pytest.mark.postgres
@pytest.mark.parametrize("broken", ["a file where the cache goes", "an incomplete template"])
def test_a_cache_that_cannot_be_used_means_a_real_initdb(
    pg_server: TempServer, initdb_cache: Path, broken: str
) -> None:
    if broken == "a file where the cache goes":
        initdb_cache.write_text("not a folder")
    else:
        with TempServer(pg_server.pg_bin):
            pass
        [template] = _cached_templates(initdb_cache)
        (template / "PG_VERSION").unlink()

    with TempServer(pg_server.pg_bin) as server:
        assert server.psql("select 1").strip() == "1"
