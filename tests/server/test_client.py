"""The opt-in typed supabase-py / postgrest client (`client = true`): schemas/client.py.

Types are checked by mypy --strict on a usage file (assert_type cases, and expected errors
as `# type: ignore[code]` that --strict's warn-unused-ignores proves are needed). Requests
are compared with the untyped postgrest client's through an httpx MockTransport.

PostgREST itself is not run: no PostgREST binary is installable here. The MockTransport
handler is a stand-in for its HTTP layer: it answers with the JSON the real PostgreSQL
builds (`json_agg` of the rows the request names, `insert ... returning`), so the data the
wrapper hands out comes from the real server, not from the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import TypeAdapter

from sync_schema.config import Overrides, load_settings
from sync_schema.embedded.server import TempServer
from sync_schema.errors import ConfigError
from sync_schema.options import Options
from sync_schema.pipeline import Run, build_files
from sync_schema.render import render_tree
from sync_schema.snapshot import VersionInfo
from sync_schema.source.introspect import introspect
from tests.conftest import dbname
from tests.typecheckers import pyright

FIXTURE = Path(__file__).parents[1] / "fixtures" / "client.sql"
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BASE_URL = "http://postgrest.stand-in/rest/v1"


# --- the setting ---------------------------------------------------------------------------


def _settings(tmp_path: Path, body: str) -> Any:
    (tmp_path / "pyproject.toml").write_text(f"[tool.sync-schema]\n{body}", encoding="utf-8")
    return load_settings(Overrides(db_url="postgresql://unused"), cwd=tmp_path)


def test_the_client_is_off_unless_the_project_turns_it_on(tmp_path: Path) -> None:
    assert _settings(tmp_path, "").options.client is False
    assert _settings(tmp_path, "client = true\n").options.client is True


def test_a_client_setting_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="client must be a bool"):
        _settings(tmp_path, 'client = "yes"\n')


# --- the generated tree --------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    """The fixture database on this server and its generated package, importable."""

    dsn: str
    package: str
    parent: Path
    files: dict[str, str]


def _generate(
    pg_server: TempServer, parent: Path, fixture: Path, package: str, setting: str
) -> Iterator[Generated]:
    """Load `fixture` into a new database, generate `package` from it, and make it importable."""
    name = f"client_{uuid.uuid4().hex[:12]}"
    dsn = pg_server.create_database(name)
    pg_server.psql(fixture.read_text(encoding="utf-8"), dbname(dsn))
    (parent / "pyproject.toml").write_text(f"[tool.sync-schema]\n{setting}", encoding="utf-8")
    settings = load_settings(Overrides(db_url=dsn, out=parent / package), cwd=parent)
    files = build_files(Run.of(settings, introspect(dsn, settings.schemas)))
    for rel, text in files.items():
        (parent / package / rel).parent.mkdir(parents=True, exist_ok=True)
        (parent / package / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(parent))
    try:
        yield Generated(dsn, package, parent, files)
    finally:
        sys.path.remove(str(parent))
        for mod in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[mod]
        pg_server.psql(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def generated(
    pg_server: TempServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    package = f"typed_client_pg{pg_server.major_version}"
    parent = tmp_path_factory.mktemp("client")
    yield from _generate(pg_server, parent, FIXTURE, package, "client = true\n")


@pytest.fixture(scope="module")
def generated_once(
    default_server: TempServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    """The same package from the default server only: for checks of the code, not the server."""
    parent = tmp_path_factory.mktemp("client_once")
    yield from _generate(default_server, parent, FIXTURE, "typed_client_once", "client = true\n")


@pytest.mark.postgres
def test_the_client_module_is_generated_only_when_turned_on(generated: Generated) -> None:
    assert "client.py" in generated.files
    db = introspect(generated.dsn)
    version = VersionInfo(1, "2026-01-01T00:00:00Z", "0" * 64)
    assert "client.py" not in render_tree(db, version, options=Options())
    on = render_tree(db, version, options=Options(client=True))
    assert on == render_tree(db, version, options=Options(client=True))  # deterministic
    # Without the client, nothing of the package refers to supabase-py or postgrest.
    others = [text for rel, text in generated.files.items() if rel != "client.py"]
    assert not any("import postgrest" in t or "import supabase" in t for t in others)


@pytest.mark.postgres
def test_the_client_module_passes_ruff_and_mypy_strict(generated_once: Generated) -> None:
    generated = generated_once
    client = generated.parent / generated.package / "client.py"
    ruff = subprocess.run(
        [str(BIN / "ruff"), "check", "--isolated", str(client)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    result = _mypy(generated, f"import {generated.package}.client\n", "importer")
    assert result.returncode == 0, result.stdout + result.stderr


# --- types: mypy --strict on application code ----------------------------------------------

USAGE = """\
from typing_extensions import TypedDict, assert_type
from postgrest import AsyncPostgrestClient, SyncPostgrestClient

from PKG import (
    EchoReturns, Echo2Returns, Mood, TeamCountReturns, TeamNameRow, TeamRow, TeamsNamedReturns,
)
from PKG.client import AsyncTypedClient, TeamQuery, TypedClient


class NameOnly(TypedDict):
    name: str


db = TypedClient(SyncPostgrestClient("http://x"))
teams = db.table("teams")
assert_type(teams.select("*").execute().data, list[TeamRow])
assert_type(teams.select().eq("name", "a").order("id", desc=True).execute().data, list[TeamRow])
assert_type(teams.select("*").eq("id", 1).single().execute().data, TeamRow)
assert_type(teams.select("*").eq("id", 1).maybe_single().execute().data, TeamRow | None)
assert_type(teams.select("*").in_("mood", ["calm"]).is_("note", None).execute().count, int | None)
assert_type(teams.insert({"name": "a"}).execute().data, list[TeamRow])
assert_type(teams.insert([{"name": "a"}, {"name": "b", "mood": "busy"}]).execute().data, list[TeamRow])
assert_type(teams.update({"note": None}).eq("id", 1).execute().data, list[TeamRow])
assert_type(teams.upsert({"name": "a"}, on_conflict="name").execute().data, list[TeamRow])
assert_type(teams.delete().eq("id", 1).execute().data, list[TeamRow])
assert_type(teams.select_as(NameOnly, "name").like("name", "a%").execute().data, list[NameOnly])
assert_type(db.table("team_names").select("*").execute().data, list[TeamNameRow])
assert_type(db.rpc("team_count", {"min_id": 1}).execute().data, TeamCountReturns)
assert_type(db.rpc("teams_named", {"pattern": "a%"}).execute().data, TeamsNamedReturns)
assert_type(db.rpc("echo", {"x": 1}).execute().data, EchoReturns)
assert_type(db.rpc("echo", {"x": "a"}).execute().data, Echo2Returns)
assert_type(db.raw, SyncPostgrestClient)
# Filter values have their column's type (an enum column takes its labels).
by_value = teams.select("*").eq("id", 1).neq("name", "a").gt("id", 0).lte("note", "z")
assert_type(by_value.eq("mood", "busy").in_("id", [1, 2]).in_("mood", ["calm"]), TeamQuery[TeamRow])
assert_type(teams.update({"note": "x"}).eq("id", 1).execute().data, list[TeamRow])
assert_type(teams.select("*").eq("mood", Mood.BUSY).execute().data, list[TeamRow])
assert_type(db.table("team_names").select("*").eq("name", "a").execute().data, list[TeamNameRow])
# select_as's filters take the column names, and any value: its row type is the caller's.
teams.select_as(NameOnly, "name").eq("id", "any value")


async def main() -> None:
    adb = AsyncTypedClient(AsyncPostgrestClient("http://x"))
    rows = (await adb.table("teams").select("*").eq("id", 1).execute()).data
    assert_type(rows, list[TeamRow])
    one = (await adb.table("teams").select("*").maybe_single().execute()).data
    assert_type(one, TeamRow | None)
    assert_type((await adb.rpc("team_count", {"min_id": 1}).execute()).data, TeamCountReturns)


# What the types refuse: each ignore must be needed (warn-unused-ignores) and its code exact.
# pyright's rule for each is in its own `# pyright: ignore[...]`, which pyright proves needed.
db.table("nope")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").eq("nope", 1)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").like("nope", "a%")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
teams.order("id")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
teams.insert({"mood": "calm"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
teams.update({"nope": 1})  # type: ignore[typeddict-unknown-key]  # pyright: ignore[reportArgumentType]
db.table("team_names").insert({"id": 1, "name": "a"})  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
db.table("team_names").delete()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
db.rpc("team_count", {"min": 1})  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
db.rpc("nope", {})  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").eq("id", "1")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").eq("mood", "angry")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").gt("name", 1)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.select("*").in_("id", ["1"])  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
teams.delete().eq("id", None)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
db.table("team_names").select("*").eq("id", "1")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
"""


def _mypy(generated: Generated, source: str, stem: str) -> subprocess.CompletedProcess[str]:
    path = generated.parent / f"{stem}.py"
    path.write_text(source.replace("PKG", generated.package), encoding="utf-8")
    (generated.parent / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", "mypy.ini",
         "--cache-dir", str(generated.parent / ".mypy_cache"), path.name],
        capture_output=True, text=True, check=False, cwd=generated.parent,
        env={**os.environ, "MYPYPATH": str(generated.parent)},
    )  # fmt: skip


@pytest.mark.postgres
def test_typed_client_usage_and_refusals_pass_mypy_strict(generated_once: Generated) -> None:
    generated = generated_once
    result = _mypy(generated, USAGE, "usage")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.postgres
def test_each_refusal_is_an_error_without_its_ignore(generated_once: Generated) -> None:
    generated = generated_once
    refusals = [line for line in USAGE.splitlines() if "# type: ignore[" in line]
    source = USAGE.replace("# type: ignore[", "# expected[")
    result = _mypy(generated, source, "usage_bare")
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    start = USAGE.splitlines().index(refusals[0]) + 1
    lines = {int(line.split(":")[1]) for line in errors}
    assert lines == set(range(start, start + len(refusals))), result.stdout


@pytest.mark.postgres
def test_typed_client_usage_and_refusals_pass_pyright_strict(generated_once: Generated) -> None:
    generated = generated_once
    # `# type: ignore` is mypy's: pyright honours only its own `# pyright: ignore[rule]`,
    # each of which must be needed (reportUnnecessaryTypeIgnoreComment), as for mypy.
    source = USAGE.replace("PKG", generated.package)
    (generated.parent / "usage_pyright.py").write_text(source, encoding="utf-8")
    result = pyright(
        generated.parent, generated.package, "usage_pyright.py", enableTypeIgnoreComments=False
    )
    assert result.returncode == 0, "\n".join(result.diagnostics) or result.output


# --- requests: the wrapper sends what the untyped client sends ------------------------------


@dataclass
class StandIn:
    """A stand-in for PostgREST's HTTP layer: records each request, answers from real Postgres.

    `answer` is the SQL PostgREST would run for the next request: its one value is the JSON
    body (a `json_agg` of the rows, so the real server builds every value's JSON form). Each
    answer runs in a transaction that is rolled back: every request sees the fixture's rows.
    """

    dsn: str
    seen: list[tuple[str, str, list[tuple[str, str]], bytes]]
    answer: str = "select '[]'::json"

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        headers = sorted((k, v) for k, v in request.headers.items() if k != "content-length")
        self.seen.append((request.method, str(request.url), headers, body))
        with psycopg.connect(self.dsn) as conn:
            params = (body.decode() or "null",) if "%s" in self.answer else None
            row = conn.execute(self.answer.encode(), params).fetchone()
            conn.rollback()
        assert row is not None
        data = row[0]
        if request.headers.get("accept") == "application/vnd.pgrst.object+json":
            assert len(data) == 1, data
            data = data[0]
        rows = len(data) if isinstance(data, list) else 1
        return httpx.Response(200, json=data, headers={"content-range": f"0-{rows - 1}/*"})


@pytest.fixture
def stand_in(generated: Generated) -> Iterator[StandIn]:
    stand = StandIn(generated.dsn, [])
    with psycopg.connect(generated.dsn, autocommit=True) as conn:
        conn.execute("truncate public.teams restart identity")
        conn.execute(
            "insert into public.teams (name, mood) values ('apollo', 'busy'), ('gemini', 'calm')"
        )
    yield stand


def _clients(stand: StandIn, generated: Generated) -> tuple[Any, Any]:
    from postgrest import SyncPostgrestClient

    raw = SyncPostgrestClient(
        BASE_URL, http_client=httpx.Client(transport=httpx.MockTransport(stand.handle))
    )
    module = __import__(f"{generated.package}.client", fromlist=["TypedClient"])
    return raw, module.TypedClient(raw)


ROWS = "select coalesce(json_agg(t order by id), '[]') from public.teams t"
CASES: dict[str, tuple[Callable[[Any], Any], str, str]] = {
    # name: (the chain, on db.table("teams") of either client; the SQL PostgREST would run; type)
    "select": (lambda t: t.select("*").eq("mood", "busy").order("id", desc=True).limit(5), ROWS + " where mood = 'busy'", "list[TeamRow]"),
    "filters": (lambda t: t.select("*").neq("id", 0).gt("id", 0).gte("id", 1).lt("id", 9).lte("id", 9).in_("name", ["apollo"]).is_("note", None).like("name", "a%").ilike("name", "A%"), ROWS + " where name = 'apollo'", "list[TeamRow]"),
    "single": (lambda t: t.select("*").eq("id", 1).single(), ROWS + " where id = 1", "TeamRow"),
    "maybe_single": (lambda t: t.select("*").eq("id", 2).maybe_single(), ROWS + " where id = 2", "TeamRow | None"),
    "maybe_single_none": (lambda t: t.select("*").eq("id", 3).maybe_single(), ROWS + " where id = 3", "TeamRow | None"),
    "insert": (lambda t: t.insert([{"name": "mercury"}, {"name": "artemis", "mood": "busy"}], default_to_null=False), "with new as (insert into public.teams (name, mood) select name, coalesce(mood, 'calm') from json_to_recordset(%s::json) as x(name text, mood public.mood) returning *) select json_agg(new order by id) from new", "list[TeamRow]"),
    "update": (lambda t: t.update({"note": "moon"}).eq("id", 2), "with new as (update public.teams set note = 'moon' where id = 2 returning *) select json_agg(new) from new", "list[TeamRow]"),
    "upsert": (lambda t: t.upsert({"name": "apollo", "mood": "calm"}, on_conflict="name"), "with new as (insert into public.teams (name, mood) values ('apollo', 'calm') on conflict (name) do update set mood = excluded.mood returning *) select json_agg(new) from new", "list[TeamRow]"),
    "delete": (lambda t: t.delete().eq("id", 1), "with gone as (delete from public.teams where id = 1 returning *) select json_agg(gone) from gone", "list[TeamRow]"),
}  # fmt: skip


def _types(generated: Generated) -> dict[str, Any]:
    package = __import__(generated.package)
    return {"TeamRow": package.TeamRow, "TeamNameRow": package.TeamNameRow}


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_typed_client_sends_the_untyped_clients_request(
    case: str, generated: Generated, stand_in: StandIn
) -> None:
    chain, sql, _type = CASES[case]
    stand_in.answer = sql
    raw, typed = _clients(stand_in, generated)
    chain(raw.table("teams")).execute()
    chain(typed.table("teams")).execute()
    untyped_request, typed_request = stand_in.seen
    assert typed_request == untyped_request


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(CASES))
def test_what_postgres_answers_validates_against_the_announced_type(
    case: str, generated: Generated, stand_in: StandIn
) -> None:
    chain, sql, announced = CASES[case]
    stand_in.answer = sql
    _raw, typed = _clients(stand_in, generated)
    data = chain(typed.table("teams")).execute().data
    adapter: TypeAdapter[Any] = TypeAdapter(eval(announced, _types(generated)))  # noqa: S307
    assert adapter.validate_python(data, strict=True) == data
    # Every case finds rows but the one that looks for a missing id.
    assert data is None if case == "maybe_single_none" else data


@pytest.mark.postgres
def test_a_list_insert_asks_for_the_defaults_of_the_keys_a_row_omits(
    generated: Generated, stand_in: StandIn
) -> None:
    # supabase-py's bulk insert names the union of the rows' keys (`?columns=`), and PostgREST
    # then writes NULL for a key one row omits, unless `Prefer: missing=default`: the typed
    # client asks for it, so that a NotRequired key of the Insert type gets its default.
    raw, typed = _clients(stand_in, generated)
    rows = [{"name": "mercury"}, {"name": "artemis", "mood": "busy"}]
    typed.table("teams").insert(rows).execute()
    raw.table("teams").insert(rows, default_to_null=False).execute()
    typed_request, untyped_request = stand_in.seen
    assert typed_request == untyped_request
    assert ("prefer", "return=representation,missing=default") in typed_request[2]
    assert "columns=" in typed_request[1]
    # Asked for, the untyped default still goes through; a single row needs no columns list.
    stand_in.seen.clear()
    typed.table("teams").insert(rows, default_to_null=True).execute()
    raw.table("teams").insert(rows).execute()
    typed.table("teams").insert({"name": "gemini"}).execute()
    raw.table("teams").insert({"name": "gemini"}).execute()
    assert stand_in.seen[0] == stand_in.seen[1]
    assert stand_in.seen[2] == stand_in.seen[3]


@pytest.mark.postgres
def test_select_as_and_views_and_rpc_send_the_untyped_requests(
    generated: Generated, stand_in: StandIn
) -> None:
    raw, typed = _clients(stand_in, generated)
    pairs: list[tuple[Callable[[Any], Any], Callable[[Any], Any] | None]] = [
        (lambda db: db.table("teams").select("name, mood").eq("id", 1), lambda db: db.table("teams").select_as(dict, "name, mood").eq("id", 1)),
        (lambda db: db.table("team_names").select("*").order("name"), None),
        (lambda db: db.rpc("team_count", {"min_id": 1}), None),
        (lambda db: db.rpc("teams_named", {"pattern": "a%"}), None),
    ]  # fmt: skip
    for untyped_chain, typed_chain in pairs:
        stand_in.seen.clear()
        untyped_chain(raw).execute()
        (typed_chain or untyped_chain)(typed).execute()
        assert stand_in.seen[0] == stand_in.seen[1]


@pytest.mark.postgres
def test_rpc_answers_validate_against_the_functions_returns(
    generated: Generated, stand_in: StandIn
) -> None:
    _raw, typed = _clients(stand_in, generated)
    package = __import__(generated.package)
    stand_in.answer = "select to_json(public.team_count(1))"
    count = typed.rpc("team_count", {"min_id": 1}).execute().data
    assert TypeAdapter(package.TeamCountReturns).validate_python(count, strict=True) == 2
    stand_in.answer = "select json_agg(t) from public.teams_named('a%') t"
    rows = typed.rpc("teams_named", {"pattern": "a%"}).execute().data
    assert TypeAdapter(package.TeamsNamedReturns).validate_python(rows, strict=True) == rows
    assert [r["name"] for r in rows] == ["apollo"]


@pytest.mark.postgres
def test_the_async_client_sends_the_untyped_clients_request(
    generated: Generated, stand_in: StandIn
) -> None:
    from postgrest import AsyncPostgrestClient

    module = __import__(f"{generated.package}.client", fromlist=["AsyncTypedClient"])
    stand_in.answer = ROWS + " where id = 1"

    async def run() -> Any:
        transport = httpx.MockTransport(stand_in.handle)
        raw = AsyncPostgrestClient(BASE_URL, http_client=httpx.AsyncClient(transport=transport))
        await raw.table("teams").select("*").eq("id", 1).single().execute()
        typed = module.AsyncTypedClient(raw)
        return (await typed.table("teams").select("*").eq("id", 1).single().execute()).data

    row = asyncio.run(run())
    assert stand_in.seen[0] == stand_in.seen[1]
    assert row["name"] == "apollo"
    assert json.loads(json.dumps(row)) == row


def test_the_client_template_counts_in_the_inputs_hash_only_when_on(tmp_path: Path) -> None:
    from sync_schema.pipeline import inputs_fingerprint

    off = inputs_fingerprint(_settings(tmp_path, ""))
    assert off == inputs_fingerprint(_settings(tmp_path, "client = false\n"))
    assert off != inputs_fingerprint(_settings(tmp_path, "client = true\n"))


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "create table public.solo (id int primary key);"
        " create function public.one() returns int language sql as $$ select 1 $$;",
        "create view public.only_view as select 1 as n;",
        "create table public.no_columns ();",
        # One value type for every column: the comparisons need no overloads.
        "create table public.labels (name text primary key, note text);",
        "",
    ],
    ids=["one-table-one-function", "one-view", "no-columns", "one-value-type", "empty"],
)
def test_the_client_module_of_small_schemas_passes_mypy_and_pyright_strict(
    sql: str, default_server: TempServer, tmp_path: Path
) -> None:
    pg_server = default_server
    name = f"client_{uuid.uuid4().hex[:12]}"
    dsn = pg_server.create_database(name)
    try:
        if sql:
            pg_server.psql(sql, name)
        (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\nclient = true\n")
        settings = load_settings(Overrides(db_url=dsn, out=tmp_path / "small"), cwd=tmp_path)
        for rel, text in build_files(Run.of(settings, introspect(dsn))).items():
            (tmp_path / "small" / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "small" / rel).write_text(text, encoding="utf-8")
    finally:
        pg_server.psql(f'drop database if exists "{name}" with (force)')
    (tmp_path / "use.py").write_text("import small.client\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "use.py"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    checked = pyright(tmp_path, "small")
    assert checked.returncode == 0, "\n".join(checked.diagnostics) or checked.output


# --- other schemas: db.schema(name) ---------------------------------------------------------

SCHEMAS_FIXTURE = Path(__file__).parents[1] / "fixtures" / "client_schemas.sql"


@pytest.fixture(scope="module")
def two_schemas(
    pg_server: TempServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    package = f"typed_schemas_pg{pg_server.major_version}"
    parent = tmp_path_factory.mktemp("client_schemas")
    setting = 'client = true\nschemas = ["public", "audit"]\n'
    yield from _generate(pg_server, parent, SCHEMAS_FIXTURE, package, setting)


@pytest.fixture(scope="module")
def two_schemas_once(
    default_server: TempServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Generated]:
    package = "typed_schemas_once"
    parent = tmp_path_factory.mktemp("client_schemas_once")
    setting = 'client = true\nschemas = ["public", "audit"]\n'
    yield from _generate(default_server, parent, SCHEMAS_FIXTURE, package, setting)


SCHEMA_USAGE = """\
from typing_extensions import assert_type
from postgrest import AsyncPostgrestClient, SyncPostgrestClient

from PKG import TeamRow
from PKG.audit import CreatedEventRow, EventCountReturns, EventRow, Kind, Team2Row
from PKG.client import AsyncTypedClient, TypedClient

db = TypedClient(SyncPostgrestClient("http://x"))
audit = db.schema("audit")
assert_type(audit.table("events").select("*").execute().data, list[EventRow])
assert_type(audit.table("events").select("*").eq("kind", Kind.CREATED).single().execute().data, EventRow)
assert_type(audit.table("events").insert({"kind": "created"}).execute().data, list[EventRow])
assert_type(audit.table("teams").select("*").eq("archived", True).execute().data, list[Team2Row])
assert_type(audit.table("created_events").select("*").execute().data, list[CreatedEventRow])
assert_type(audit.rpc("event_count", {"of_kind": "created"}).execute().data, EventCountReturns)
assert_type(db.schema("public").table("teams").select("*").execute().data, list[TeamRow])
assert_type(db.table("teams").select("*").execute().data, list[TeamRow])


async def main() -> None:
    adb = AsyncTypedClient(AsyncPostgrestClient("http://x"))
    rows = (await adb.schema("audit").table("events").select("*").execute()).data
    assert_type(rows, list[EventRow])


# What the types refuse: each ignore must be needed, its code exact (as in USAGE).
db.schema("nope")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
db.table("events")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
audit.table("nope")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
audit.table("events").select("*").eq("kind", "angry")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
audit.table("teams").select("*").eq("name", "a")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
audit.table("created_events").delete()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
audit.rpc("event_count", {"kind": "created"})  # type: ignore[typeddict-item, typeddict-unknown-key]  # pyright: ignore[reportArgumentType]
"""


@pytest.mark.postgres
def test_schema_usage_and_refusals_pass_mypy_and_pyright_strict(
    two_schemas_once: Generated,
) -> None:
    two_schemas = two_schemas_once
    result = _mypy(two_schemas, SCHEMA_USAGE, "schema_usage")
    assert result.returncode == 0, result.stdout + result.stderr
    # Without their ignores, exactly the refused lines are errors.
    refusals = [line for line in SCHEMA_USAGE.splitlines() if "# type: ignore[" in line]
    bare = _mypy(two_schemas, SCHEMA_USAGE.replace("# type: ignore[", "# expected["), "bare")
    lines = {int(line.split(":")[1]) for line in bare.stdout.splitlines() if ": error:" in line}
    start = SCHEMA_USAGE.splitlines().index(refusals[0]) + 1
    assert lines == set(range(start, start + len(refusals))), bare.stdout
    source = SCHEMA_USAGE.replace("PKG", two_schemas.package)
    (two_schemas.parent / "schema_usage_pyright.py").write_text(source, encoding="utf-8")
    checked = pyright(
        two_schemas.parent,
        two_schemas.package,
        "schema_usage_pyright.py",
        enableTypeIgnoreComments=False,
    )
    assert checked.returncode == 0, "\n".join(checked.diagnostics) or checked.output


EVENTS = "select coalesce(json_agg(e order by id), '[]') from audit.events e"
SCHEMA_CASES: dict[str, tuple[Callable[[Any], Any], str, str]] = {
    # name: (the chain, on db.schema("audit") of either client; the SQL PostgREST would run; type)
    "select": (lambda s: s.table("events").select("*").eq("kind", "created").order("id"), EVENTS + " where kind = 'created'", "list[EventRow]"),
    "single": (lambda s: s.table("events").select("*").eq("id", 1).single(), EVENTS + " where id = 1", "EventRow"),
    "insert": (lambda s: s.table("events").insert({"kind": "deleted", "team_id": 1}), "with new as (insert into audit.events (kind, team_id) values ('deleted', 1) returning *) select json_agg(new) from new", "list[EventRow]"),
    "update": (lambda s: s.table("teams").update({"archived": True}).eq("id", 1), "with new as (update audit.teams set archived = true where id = 1 returning *) select json_agg(new) from new", "list[Team2Row]"),
    "view": (lambda s: s.table("created_events").select("*"), "select json_agg(v order by id) from audit.created_events v", "list[CreatedEventRow]"),
    "rpc": (lambda s: s.rpc("event_count", {"of_kind": "created"}), "select to_json(audit.event_count('created'))", "EventCountReturns"),
}  # fmt: skip


@pytest.fixture
def audit_stand_in(two_schemas: Generated) -> Iterator[StandIn]:
    with psycopg.connect(two_schemas.dsn, autocommit=True) as conn:
        conn.execute("truncate public.teams, audit.events, audit.teams restart identity")
        conn.execute("insert into public.teams (name) values ('apollo')")
        conn.execute("insert into audit.teams (id) values (1)")
        conn.execute("insert into audit.events (kind, team_id) values ('created', 1)")
    yield StandIn(two_schemas.dsn, [])


@pytest.mark.postgres
@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_schema_sends_postgrests_own_schema_request_and_postgres_answers_its_type(
    case: str, two_schemas: Generated, audit_stand_in: StandIn
) -> None:
    chain, sql, announced = SCHEMA_CASES[case]
    audit_stand_in.answer = sql
    raw, typed = _clients(audit_stand_in, two_schemas)
    chain(raw.schema("audit")).execute()
    data = chain(typed.schema("audit")).execute().data
    untyped_request, typed_request = audit_stand_in.seen
    assert typed_request == untyped_request
    profile = "content-profile" if untyped_request[0] in ("POST", "PATCH") else "accept-profile"
    assert (profile, "audit") in typed_request[2]
    audit = __import__(f"{two_schemas.package}.audit", fromlist=["EventRow"])
    names = {n: getattr(audit, n) for n in ("EventRow", "Team2Row", "CreatedEventRow")}
    names["EventCountReturns"] = audit.EventCountReturns
    adapter: TypeAdapter[Any] = TypeAdapter(eval(announced, names))  # noqa: S307
    assert adapter.validate_python(data, strict=True) == data
    assert data


@pytest.mark.postgres
def test_schema_of_the_async_client_sends_postgrests_own_schema_request(
    two_schemas: Generated, audit_stand_in: StandIn
) -> None:
    from postgrest import AsyncPostgrestClient

    module = __import__(f"{two_schemas.package}.client", fromlist=["AsyncTypedClient"])
    audit_stand_in.answer = EVENTS

    async def run() -> Any:
        transport = httpx.MockTransport(audit_stand_in.handle)
        raw = AsyncPostgrestClient(BASE_URL, http_client=httpx.AsyncClient(transport=transport))
        await raw.schema("audit").table("events").select("*").execute()
        typed = module.AsyncTypedClient(raw)
        return (await typed.schema("audit").table("events").select("*").execute()).data

    rows = asyncio.run(run())
    assert audit_stand_in.seen[0] == audit_stand_in.seen[1]
    assert [row["kind"] for row in rows] == ["created"]


@pytest.mark.postgres
def test_schema_of_the_primary_schema_sends_its_profile_and_an_unknown_one_is_refused(
    two_schemas: Generated, audit_stand_in: StandIn
) -> None:
    raw, typed = _clients(audit_stand_in, two_schemas)
    raw.schema("public").table("teams").select("*").execute()
    typed.schema("public").table("teams").select("*").execute()
    assert audit_stand_in.seen[0] == audit_stand_in.seen[1]
    assert ("accept-profile", "public") in audit_stand_in.seen[1][2]
    with pytest.raises(KeyError, match="nope"):
        typed.schema("nope")
