"""`--project-id <ref>` with $SUPABASE_ACCESS_TOKEN: the catalog read through the Management API.

The Management API (and pg-meta behind it) is not run here: a stand-in HTTP server (http.server
in a thread) answers POST /v1/projects/{ref}/database/query by running the posted statement on
the real test PostgreSQL and returning its rows as the real endpoint does (201, a JSON array of
row objects; errors as {"message": ...}). Every database read in these tests is a real one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import psycopg
import pytest

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError
from sync_schema.source import build, catalog, introspect
from tests.conftest import MIGRATIONS
from tests.e2e.test_cli import Cli, assert_error_with_hint, lines_of, make_cli
from tests.standin import REF, SUPABASE_ENV, TOKEN, JsonHandler, serving

DB_PASSWORD = "Pooler-Pw-7x9"
QUERY_PATH = f"/v1/projects/{REF}/database/query"
#: Schema names a literal must quote: a quote, a double quote, a backslash.
ODD_SCHEMA = 'it\'s "odd" \\ here'


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SUPABASE_ENV:
        monkeypatch.delenv(name, raising=False)


@dataclass
class Received:
    """One request as the stand-in saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class StandIn:
    """A local stand-in for api.supabase.com's database query endpoint."""

    url: str
    requests: list[Received] = field(default_factory=list)


@contextmanager
def _stand_in(
    dsn: str, override: tuple[int, bytes] | None = None, delay_s: float = 0.0
) -> Iterator[StandIn]:
    """Answer the query endpoint from the database at `dsn` (or with `override`), after `delay_s`."""
    log: list[Received] = []

    class Handler(JsonHandler):
        fixed: ClassVar[tuple[int, bytes] | None] = override

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            log.append(Received("POST", self.path, dict(self.headers.items()), body))
            time.sleep(delay_s)
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_json(401, json.dumps({"message": "Unauthorized"}).encode())
            elif self.path != QUERY_PATH:
                self.send_json(404, json.dumps({"message": "Not found"}).encode())
            elif self.fixed is not None:
                self.send_json(*self.fixed)
            else:
                self.send_json(*self._run(body))

        def _run(self, body: dict[str, Any]) -> tuple[int, bytes]:
            # read_only: the real endpoint runs the statement as a read-only role.
            try:
                with psycopg.connect(dsn, autocommit=True) as conn:
                    if body.get("read_only"):
                        conn.execute("set default_transaction_read_only = on")
                    cur = conn.execute(body["query"])
                    names = [c.name for c in cur.description or []]
                    rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            except psycopg.Error as exc:
                return 400, json.dumps({"message": str(exc).strip()}).encode()
            return 201, json.dumps(rows, default=str).encode()

    with serving(Handler) as url:
        yield StandIn(url, log)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _api_env(stand_in: StandIn, **extra: str) -> dict[str, str]:
    return {"SUPABASE_API_URL": stand_in.url, "SUPABASE_ACCESS_TOKEN": TOKEN, **extra}


@pytest.fixture
def project_db(pg_server: TempServer, fresh_db: str) -> str:
    """The test migrations, plus a schema whose name needs quoting."""
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)
    quoted = '"' + ODD_SCHEMA.replace('"', '""') + '"'
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(f"create schema {quoted}")
        conn.execute(f"create table {quoted}.thing (id int primary key, label text not null)")
    return fresh_db


# --- the one statement -------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_one_statement_decodes_to_the_rows_and_types_of_the_direct_read(
    project_db: str,
) -> None:
    schemas = ("public", ODD_SCHEMA)
    with (
        psycopg.connect(project_db, autocommit=False) as conn,
        introspect.read_only_transaction(conn),
    ):
        direct = introspect._fetch_all(
            conn, catalog.CATALOG_QUERIES, {"schemas": list(schemas)}, catalog.QueryLog()
        )
    with psycopg.connect(project_db, autocommit=True) as conn:
        row = conn.execute(catalog.catalog_statement(schemas)).fetchone()
    assert row is not None

    decoded = build.catalog_rows(row[0])

    assert len(decoded) == len(direct)
    for api_rows, db_rows in zip(decoded, direct, strict=True):
        assert [r._asdict() for r in api_rows] == [r._asdict() for r in db_rows]
        for api_row, db_row in zip(api_rows, db_rows, strict=True):
            types = {k: type(v) for k, v in db_row._asdict().items()}
            assert {k: type(v) for k, v in api_row._asdict().items()} == types
    assert any(r.nspname == ODD_SCHEMA for r in decoded[1])


@pytest.mark.postgres
def test_the_one_statement_leaves_no_setting_behind(project_db: str) -> None:
    with psycopg.connect(project_db, autocommit=True) as conn:
        before = conn.execute("select current_setting('search_path')").fetchone()
        conn.execute(catalog.catalog_statement(("public",)))
        after = conn.execute("select current_setting('search_path')").fetchone()

    assert before == after


def test_a_malformed_answer_is_a_database_error() -> None:
    with pytest.raises(DatabaseError):
        build.catalog_rows({"enums": "not rows"})


# --- through the stand-in ----------------------------------------------------------------------


@pytest.mark.postgres
def test_project_id_reads_through_the_query_endpoint_byte_identical_to_a_direct_read(
    project_db: str, tmp_path: Path
) -> None:
    direct_cli: Cli = make_cli(tmp_path / "direct")
    api_cli: Cli = make_cli(tmp_path / "api")
    direct = direct_cli.process("generate", "--db-url", project_db)
    with _stand_in(project_db) as stand_in:
        generate = api_cli.process("generate", "--project-id", REF, **_api_env(stand_in))
        check = api_cli.process("check", SUPABASE_PROJECT_ID=REF, **_api_env(stand_in))

    assert direct.returncode == 0, direct.stdout + direct.stderr
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    assert _tree(api_cli.cwd / "schemas") == _tree(direct_cli.cwd / "schemas")
    (source,) = lines_of(check.stderr, "source: ")
    assert f"Supabase project {REF} via the Management API database query endpoint" in source
    for result in (generate, check):
        assert TOKEN not in result.stdout + result.stderr
    # One request per run, as the endpoint's contract has it (see management_api.py).
    assert len(stand_in.requests) == 2
    for request in stand_in.requests:
        assert request.method == "POST"
        assert request.path == QUERY_PATH
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.headers["Content-Type"] == "application/json"
        assert set(request.body) == {"query", "read_only"}
        assert request.body["read_only"] is True
        assert request.body["query"].lstrip().upper().startswith("SELECT")
        code = "\n".join(line.partition("--")[0] for line in request.body["query"].splitlines())
        assert ";" not in code


@pytest.mark.postgres
def test_check_through_the_query_endpoint_sees_a_schema_change(
    project_db: str, tmp_path: Path
) -> None:
    cli = make_cli(tmp_path / "project")
    with _stand_in(project_db) as stand_in:
        env = _api_env(stand_in, SUPABASE_DB_PASSWORD=DB_PASSWORD)
        generate = cli.process("generate", "--project-id", REF, **env)
        clean = cli.process("check", "--project-id", REF, **env)
        with psycopg.connect(project_db, autocommit=True) as conn:
            conn.execute("create table public.added_later (id int primary key)")
        drifted = cli.process("check", "--project-id", REF, **env)
        diff = cli.process("diff", "--project-id", REF, **env)
        report = cli.process(
            "report", "--project-id", REF, "--report-dir", str(tmp_path / "r"), **env
        )

    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    assert "added_later" in drifted.stdout + diff.stdout
    assert report.returncode == 1, report.stdout + report.stderr
    (written,) = (tmp_path / "r").iterdir()
    text = written.read_text(encoding="utf-8")
    assert "added_later" in text
    assert f"Supabase project {REF} via the Management API database query endpoint" in text
    for result in (generate, clean, drifted, diff, report):
        assert TOKEN not in result.stdout + result.stderr
        assert DB_PASSWORD not in result.stdout + result.stderr
    assert TOKEN not in text
    # The password is not needed, and the query endpoint still wins over the pooler.
    assert {r.path for r in stand_in.requests} == {QUERY_PATH}


@pytest.mark.postgres
def test_a_refused_token_exits_2_with_a_hint_and_never_prints_it(
    project_db: str, tmp_path: Path
) -> None:
    cli = make_cli(tmp_path / "project")
    wrong = TOKEN[:-1] + "X"
    with _stand_in(project_db) as stand_in:
        result = cli.process(
            "check", "--project-id", REF, SUPABASE_API_URL=stand_in.url, SUPABASE_ACCESS_TOKEN=wrong
        )

    assert_error_with_hint(result)
    assert "401" in result.stderr
    assert "SUPABASE_ACCESS_TOKEN" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert "embedded" not in result.stdout + result.stderr


def test_a_project_id_without_a_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    cli = make_cli(tmp_path / "project")

    result = cli.process("check", "--project-id", REF, SUPABASE_DB_PASSWORD=DB_PASSWORD)

    assert_error_with_hint(result)
    assert "SUPABASE_ACCESS_TOKEN" in result.stderr
    assert DB_PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ((400, b'{"message": "ERROR:  permission denied for table pg_proc"}'), "permission"),
        ((500, b'{"message": "Failed to run sql query"}'), "HTTP 500"),
        ((201, b"<html>gateway</html>"), "not JSON"),
        ((201, b'[{"unexpected": 1}]'), "unexpected"),
    ],
    ids=["sql-error", "server-error", "not-json", "wrong-shape"],
)
def test_a_failed_query_answer_exits_2_without_falling_back(
    tmp_path: Path, answer: tuple[int, bytes], words: str
) -> None:
    cli = make_cli(tmp_path / "project")
    with _stand_in("", override=answer) as stand_in:
        result = cli.process("check", "--project-id", REF, **_api_env(stand_in))

    assert_error_with_hint(result)
    assert words in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert "embedded" not in result.stdout + result.stderr


def test_an_unreachable_management_api_exits_2_without_falling_back(tmp_path: Path) -> None:
    cli = make_cli(tmp_path / "project")

    result = cli.process(
        "generate",
        "--project-id",
        REF,
        SUPABASE_API_URL="http://127.0.0.1:1",
        SUPABASE_ACCESS_TOKEN=TOKEN,
    )

    assert_error_with_hint(result)
    assert "cannot reach the Supabase Management API" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert not (cli.cwd / "schemas").exists()


def test_a_query_endpoint_that_does_not_answer_in_time_exits_2(tmp_path: Path) -> None:
    # statement-timeout 1 ms: the client waits that plus its 2 s margin, the stand-in 4 s.
    cli = make_cli(
        tmp_path / "project", '[tool.sync-schema]\nschemas = ["public"]\nstatement-timeout = 1\n'
    )
    with _stand_in("", override=(201, b"[]"), delay_s=4.0) as stand_in:
        result = cli.process("check", "--project-id", REF, **_api_env(stand_in))

    assert_error_with_hint(result)
    assert "did not answer" in result.stderr
    assert "statement-timeout" in result.stderr
    assert TOKEN not in result.stdout + result.stderr
