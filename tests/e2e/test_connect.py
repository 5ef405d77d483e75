"""Supabase connections: which setting wins, the Management API, `--linked`, and the pooler.

The Management API is a stand-in (http.server in a thread) because the real one needs a hosted
project; its answers point at the real test PostgreSQL server, so every database read in these
tests is a real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from sync_schema.config import Overrides, load_settings
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import ConfigError, DatabaseError
from sync_schema.source import connect
from sync_schema.source.introspect import introspect, introspect_connection
from tests.conftest import MIGRATIONS, dbname
from tests.e2e.test_cli import Cli, lines_of, make_cli
from tests.standin import REF, SUPABASE_ENV, TOKEN, JsonHandler, serving

DB_PASSWORD = "Pooler-Pw-7x9"
POOLER_USER = f"postgres.{REF}"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SUPABASE_ENV:
        monkeypatch.delenv(name, raising=False)


def _settings(tmp_path: Path, **overrides: Any) -> Any:
    (tmp_path / "pyproject.toml").write_text('[tool.sync-schema]\nschemas = ["public"]\n')
    return load_settings(Overrides(**overrides), cwd=tmp_path)


# --- which setting wins ------------------------------------------------------------------------


def test_supabase_db_url_wins_over_database_url_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_DB_URL", "postgresql://postgres:pw1234567@db.example:5432/a")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw7654321@localhost:5432/b")

    settings = _settings(tmp_path)

    assert settings.db_url == "postgresql://postgres:pw1234567@db.example:5432/a"
    assert settings.db_url_origin == "$SUPABASE_DB_URL"
    assert any("DATABASE_URL" in note and "ignored" in note for note in settings.notes)


def test_database_url_alone_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@localhost:5432/b")

    settings = _settings(tmp_path)

    assert settings.db_url_origin == "$DATABASE_URL"
    assert settings.notes == ()


def test_the_source_line_masks_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "SUPABASE_DB_URL", f"postgresql://{POOLER_USER}:{DB_PASSWORD}@h:6543/postgres"
    )

    line = _settings(tmp_path).source_line

    assert DB_PASSWORD not in line
    assert "$SUPABASE_DB_URL" in line
    assert f"{POOLER_USER}:***@h:6543/postgres" in line


@pytest.mark.parametrize("where", ["--db-url", "SUPABASE_DB_URL", "DATABASE_URL"])
def test_a_supabase_api_url_as_database_url_names_the_right_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    api_url = f"https://{REF}.supabase.co"
    call: Callable[[], object]
    if where == "--db-url":
        call = lambda: _settings(tmp_path, db_url=api_url)  # noqa: E731
    else:
        monkeypatch.setenv(where, api_url)
        call = lambda: _settings(tmp_path)  # noqa: E731

    with pytest.raises(ConfigError) as caught:
        call()

    assert where in caught.value.message
    assert "missing" not in caught.value.message
    assert f"postgresql://postgres.{REF}:" in caught.value.hint
    assert f"--project-id {REF}" in caught.value.hint


# --- no silent fallback to the migrations ------------------------------------------------------


def test_a_project_ref_without_an_access_token_exits_naming_the_variables(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, project_id=REF)

    assert "SUPABASE_ACCESS_TOKEN" in caught.value.message
    assert "SUPABASE_ACCESS_TOKEN" in caught.value.hint


def test_supabase_project_id_in_the_environment_is_not_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_PROJECT_ID", REF)

    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path)

    assert "SUPABASE_PROJECT_ID" in caught.value.message
    assert "SUPABASE_ACCESS_TOKEN" in caught.value.hint


def test_a_project_id_that_is_neither_configured_nor_a_ref_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_PROJECT_ID", "prj_abc123")

    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path)

    assert "prj_abc123" in caught.value.message
    assert "20 lowercase letters" in caught.value.hint


def test_a_database_url_wins_over_a_project_id_in_the_environment_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_PROJECT_ID", REF)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@localhost:5432/b")

    settings = _settings(tmp_path)

    assert settings.db_url_origin == "$DATABASE_URL"
    assert any("SUPABASE_PROJECT_ID" in note for note in settings.notes)


def test_supabase_url_alone_checks_the_migrations_and_says_it_was_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_URL", f"https://{REF}.supabase.co")

    settings = _settings(tmp_path)

    assert settings.db_url is None
    assert any("SUPABASE_URL" in note and "SUPABASE_DB_URL" in note for note in settings.notes)


def test_the_cli_exits_2_for_an_unusable_project_id_instead_of_checking_migrations(
    tmp_path: Path,
) -> None:
    cli = make_cli(tmp_path / "project")

    result = cli.process("check", SUPABASE_PROJECT_ID=REF, SUPABASE_DB_PASSWORD=DB_PASSWORD)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "embedded" not in result.stdout + result.stderr
    assert "SUPABASE_ACCESS_TOKEN" in result.stderr
    assert DB_PASSWORD not in result.stdout + result.stderr


# --- --linked ----------------------------------------------------------------------------------


def _link(root: Path, pooler_url: str | None, ref: str = REF) -> None:
    """What `supabase link` leaves behind: supabase/.temp/project-ref (and pooler-url)."""
    temp = root / "supabase" / ".temp"
    temp.mkdir(parents=True)
    (temp / "project-ref").write_text(ref)
    if pooler_url is not None:
        (temp / "pooler-url").write_text(pooler_url)


def test_linked_without_a_link_says_to_run_supabase_link(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, linked=True)

    assert "supabase/.temp/project-ref" in caught.value.message
    assert "supabase link" in caught.value.hint


def test_linked_uses_the_pooler_url_with_the_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _link(tmp_path, f"postgresql://{POOLER_USER}:[YOUR-PASSWORD]@pooler.example:6543/postgres")
    monkeypatch.setenv("SUPABASE_DB_PASSWORD", DB_PASSWORD)

    settings = _settings(tmp_path, linked=True)

    assert settings.db_url is not None
    params = conninfo_to_dict(settings.db_url)
    assert params["user"] == POOLER_USER
    assert params["password"] == DB_PASSWORD
    assert params["host"] == "pooler.example"
    assert params["port"] == "6543"
    assert settings.project_id == REF
    assert REF in settings.db_url_origin and "--linked" in settings.db_url_origin


def test_linked_without_the_database_password_names_it(tmp_path: Path) -> None:
    _link(tmp_path, f"postgresql://{POOLER_USER}:[YOUR-PASSWORD]@pooler.example:6543/postgres")

    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, linked=True)

    assert "SUPABASE_DB_PASSWORD" in caught.value.hint


# --- the Management API (stand-in) -------------------------------------------------------------


@dataclass
class StandIn:
    """A local stand-in for api.supabase.com's pooler endpoint."""

    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def _stand_in(answer: tuple[int, object]) -> Iterator[StandIn]:
    log: list[tuple[str, str]] = []

    class Handler(JsonHandler):
        answers: ClassVar[tuple[int, object]] = answer

        def do_GET(self) -> None:
            log.append((self.path, self.headers.get("Authorization", "")))
            status, body = self.answers
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, body = 401, {"message": "Unauthorized"}
            elif self.path != f"/v1/projects/{REF}/config/database/pooler":
                status, body = 404, {"message": "Not found"}
            self.send_json(status, json.dumps(body).encode())

    with serving(Handler) as url:
        yield StandIn(url, log)


@pytest.fixture
def pooler_role(pg_server: TempServer, fresh_db: str) -> str:
    """A `postgres.<ref>` login role with a password on the test server, as Supavisor names it."""
    pg_server.psql(
        f"do $$ begin create role \"{POOLER_USER}\" login superuser password '{DB_PASSWORD}'; "
        "exception when duplicate_object then null; end $$"
    )
    return fresh_db


def _pooler_answer(dsn: str) -> tuple[int, object]:
    """The endpoint's answer for a project whose pooler is the real test server."""
    params = conninfo_to_dict(dsn)
    entry = {
        "database_type": "PRIMARY",
        "db_host": params["host"],
        "db_port": int(str(params["port"])),
        "db_name": params["dbname"],
        "db_user": POOLER_USER,
        "pool_mode": "transaction",
        "connection_string": f"postgresql://{POOLER_USER}:[YOUR-PASSWORD]@pooler:6543/postgres",
    }
    replica = {**entry, "database_type": "READ_REPLICA", "db_name": "no_such_replica"}
    return 200, [replica, entry]


@pytest.mark.postgres
def test_linked_without_a_pooler_url_resolves_the_pooler_through_the_management_api(
    pooler_role: str, pg_server: TempServer, tmp_path: Path
) -> None:
    apply_migrations(pooler_role, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    cli: Cli = make_cli(tmp_path / "project")
    _link(cli.cwd, None)
    with _stand_in(_pooler_answer(pooler_role)) as stand_in:
        env = {
            "SUPABASE_API_URL": stand_in.url,
            "SUPABASE_ACCESS_TOKEN": TOKEN,
            "SUPABASE_DB_PASSWORD": DB_PASSWORD,
        }
        generate = cli.process("generate", "--linked", **env)
        check = cli.process("check", "--linked", **env)

        assert generate.returncode == 0, generate.stdout + generate.stderr
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"Supabase project {REF}" in check.stdout
        (source,) = lines_of(check.stderr, "source: ")
        assert f"{POOLER_USER}:***@" in source
        assert stand_in.requests[0] == (
            f"/v1/projects/{REF}/config/database/pooler",
            f"Bearer {TOKEN}",
        )
        for result in (generate, check):
            assert TOKEN not in result.stdout + result.stderr
            assert DB_PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(("status", "words"), [(401, "refused"), (404, "not found")])
def test_a_management_api_refusal_exits_2_without_the_token(
    tmp_path: Path, status: int, words: str
) -> None:
    cli = make_cli(tmp_path / "project")
    token = TOKEN if status == 404 else TOKEN[:-1] + "X"
    ref = REF if status == 401 else "zzzzzzzzzzzzzzzzzzzz"
    _link(cli.cwd, None, ref)
    with _stand_in((200, [])) as stand_in:
        result = cli.process(
            "check",
            "--linked",
            SUPABASE_API_URL=stand_in.url,
            SUPABASE_ACCESS_TOKEN=token,
            SUPABASE_DB_PASSWORD=DB_PASSWORD,
        )

        assert result.returncode == 2, result.stdout + result.stderr
        assert words in result.stderr
        assert token not in result.stdout + result.stderr
        assert DB_PASSWORD not in result.stdout + result.stderr
        assert "embedded" not in result.stdout


def test_an_unreachable_management_api_is_an_error_not_a_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPABASE_API_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("SUPABASE_DB_PASSWORD", DB_PASSWORD)
    _link(tmp_path, None)

    with pytest.raises(DatabaseError) as caught:
        _settings(tmp_path, linked=True)

    assert "Management API" in caught.value.message
    assert TOKEN not in str(caught.value) + caught.value.hint


# --- the pooler (transaction mode) -------------------------------------------------------------


@pytest.mark.postgres
def test_a_pooler_style_url_introspects_without_prepared_statements_or_session_state(
    pooler_role: str, pg_server: TempServer
) -> None:
    apply_migrations(pooler_role, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    params = conninfo_to_dict(pooler_role)
    url = connect.database_url(
        POOLER_USER, DB_PASSWORD, str(params["host"]), int(str(params["port"])), dbname(pooler_role)
    )
    direct = introspect(pooler_role)
    # Transaction mode hands each transaction to any server connection: no prepared statement
    # (prepare_threshold=None) may be needed, and no setting may outlive the transaction.
    with psycopg.connect(url, prepare_threshold=None, autocommit=False) as conn:
        before = conn.execute("select current_setting('search_path')").fetchone()
        conn.commit()
        pooled = introspect_connection(conn)
        after = conn.execute("select current_setting('search_path')").fetchone()
        prepared = conn.execute("select count(*) from pg_prepared_statements").fetchone()
        conn.commit()

    assert pooled == direct
    assert before == after
    assert prepared == (0,)


def test_database_url_puts_a_socket_folder_in_the_query_and_encodes_the_parts() -> None:
    url = connect.database_url("postgres.x", "p@ss/w:rd", "/run/sock dir", 5432, "db")

    params = conninfo_to_dict(url)
    assert params["password"] == "p@ss/w:rd"
    assert params["host"] == "/run/sock dir"
    assert params["user"] == "postgres.x"


def test_a_fresh_ref_is_recognised() -> None:
    assert connect.is_project_ref(REF)
    assert not connect.is_project_ref("abc123defghijklmnopq")
    assert not connect.is_project_ref("prod")


@pytest.mark.postgres
def test_linked_reads_what_supabase_link_wrote(
    pooler_role: str, pg_server: TempServer, tmp_path: Path
) -> None:
    apply_migrations(pooler_role, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    cli = make_cli(tmp_path / "project")
    params = conninfo_to_dict(pooler_role)
    pooler = connect.database_url(
        POOLER_USER, "", str(params["host"]), int(str(params["port"])), str(params["dbname"])
    )
    _link(cli.cwd, pooler.replace(f"{POOLER_USER}@", f"{POOLER_USER}:[YOUR-PASSWORD]@"))

    generate = cli.process("generate", "--linked", SUPABASE_DB_PASSWORD=DB_PASSWORD)
    check = cli.process("check", "--linked", SUPABASE_DB_PASSWORD=DB_PASSWORD)
    flag_form = cli.process("--check", "--linked", SUPABASE_DB_PASSWORD=DB_PASSWORD)

    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    assert flag_form.returncode == 0, flag_form.stdout + flag_form.stderr
    assert f"Supabase project {REF} (--linked)" in check.stdout
    for result in (generate, check, flag_form):
        assert DB_PASSWORD not in result.stdout + result.stderr
