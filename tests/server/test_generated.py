"""The committed schemas/ (golden record) and trees generated from the real server."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from pydantic import BaseModel

from sync_schema import ir
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.pipeline import Run, build_files
from sync_schema.snapshot import VersionInfo
from sync_schema.source.introspect import introspect
from tests.conftest import MIGRATIONS

ROOT = Path(__file__).parents[2]
SCHEMAS = ROOT / "schemas"
BIN = Path(sys.executable).parent
UPDATE_HINT = "the committed schemas/ is stale: run `make schemas`, review the diff and commit it"


def _run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, env=env or dict(os.environ)
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUPABASE_PROJECT_ID")}


# --- the golden record --------------------------------------------------------------------------


@pytest.mark.postgres
def test_committed_schemas_match_the_migrations_byte_for_byte() -> None:
    result = _run(str(BIN / "sync-schema"), "check", env=_clean_env())
    assert result.returncode == 0, f"{UPDATE_HINT}\n{result.stdout}\n{result.stderr}"


@pytest.mark.postgres
def test_every_postgres_version_generates_the_committed_tree_byte_for_byte(
    pg_server: TempServer, fresh_db: str
) -> None:
    # schemas/ is generated on the embedded server; --full regenerates, trusting no hash.
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)
    result = _run(
        str(BIN / "sync-schema"), "check", "--full", "--db-url", fresh_db, "--out", str(SCHEMAS),
        env=_clean_env(),
    )  # fmt: skip
    assert result.returncode == 0, f"PostgreSQL {pg_server.major_version}:\n{result.stdout}"


@pytest.mark.postgres
def test_regenerating_changes_nothing_last_sync_included(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    for _ in range(2):
        result = _run(str(BIN / "sync-schema"), "generate", "--out", str(out), env=_clean_env())
        assert result.returncode == 0, result.stderr
    # A copy of the committed snapshot carries its LAST_SYNC forward untouched.
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in SCHEMAS.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            target = copy / path.relative_to(SCHEMAS)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    result = _run(str(BIN / "sync-schema"), "generate", "--out", str(copy), env=_clean_env())
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout
    assert (copy / "schema_version.py").read_bytes() == (SCHEMAS / "schema_version.py").read_bytes()


def test_committed_schemas_pass_ruff_and_mypy_strict() -> None:
    default = _run(str(BIN / "ruff"), "check", "--isolated", "schemas")
    assert default.returncode == 0, default.stdout
    check = _run(str(BIN / "ruff"), "check", "--isolated", "--select", "E4,E7,E9,F,I", "schemas")
    assert check.returncode == 0, check.stdout
    fmt = _run(str(BIN / "ruff"), "format", "--isolated", "--check", "schemas")
    assert fmt.returncode == 0, fmt.stdout
    mypy = _run(str(BIN / "mypy"), "--strict", "--no-incremental", "schemas")
    assert mypy.returncode == 0, mypy.stdout


def test_committed_schemas_import_and_export_their_names() -> None:
    import schemas
    from schemas.generated import fastapi

    assert {"OrganizationRow", "ProjectStatus", "ProjectStatusValue", "DB_HASH"} <= set(
        schemas.__all__
    )
    assert all(hasattr(schemas, name) for name in schemas.__all__)
    assert all(hasattr(fastapi, name) for name in fastapi.__all__)
    assert schemas.ProjectStatus.ON_HOLD.value == "on_hold"
    assert [m.value for m in schemas.ProjectStatus] == ["pending", "active", "on_hold", "archived"]


def test_schema_version_is_consistent_with_the_snapshot() -> None:
    from schemas import schema_version

    snapshot = json.loads((SCHEMAS / "schema.json").read_text(encoding="utf-8"))
    assert snapshot["db_hash"] == schema_version.DB_HASH
    assert snapshot["db_hash"] == ir.db_hash(ir.from_dict(snapshot["database"]))
    assert snapshot["schema_version"] == schema_version.SCHEMA_VERSION
    assert dt.datetime.fromisoformat(schema_version.LAST_SYNC).tzinfo is not None


# --- round trip through the real server ---------------------------------------------------------


@pytest.fixture
def example(fresh_db: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    apply_migrations(fresh_db, MIGRATIONS)
    with psycopg.connect(fresh_db, row_factory=dict_row, autocommit=True) as conn:
        org = conn.execute(
            "insert into organizations (name, slug, billing_email, max_members, settings) "
            "values ('Acme', 'acme', null, 5, '[1, {\"a\": null}]') returning id"
        ).fetchone()
        assert org is not None
        conn.execute("insert into organizations (name, slug) values ('Zed', 'zed')")
        conn.execute(
            "insert into profiles (id, email, full_name) values (gen_random_uuid(), 'a@b.c', 'Zoë')"
        )
        project = conn.execute(
            "insert into projects (organization_id, name, status, budget, tags, starts_on) "
            "values (%s, 'Apollo', 'active', 1234.50, '{a,b}', '2026-01-02') returning id",
            (org["id"],),
        ).fetchone()
        assert project is not None
        requirement = conn.execute(
            "insert into requirements (project_id, title, estimate_hours, grid, score) "
            "values (%s, 'Login', 3.5, '{{1,2},{3,4}}', 0.5) returning id",
            (project["id"],),
        ).fetchone()
        assert requirement is not None
        conn.execute(
            "insert into documents (requirement_id, file_name, size_bytes, metadata) "
            "values (%s, 'spec.pdf', 10, '{\"pages\": 3}')",
            (requirement["id"],),
        )
        conn.execute(
            "insert into organization_members (organization_id, profile_id) "
            "select %s, id from profiles",
            (org["id"],),
        )
        conn.execute("refresh materialized view organization_stats")
        yield conn


def _relations(conn: psycopg.Connection[dict[str, Any]]) -> list[str]:
    rows = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'v', 'm') order by 1"
    ).fetchall()
    return [r["relname"] for r in rows]


def _singular_pascal(relname: str) -> str:
    from sync_schema.naming import class_base_name

    return class_base_name(relname)


@pytest.mark.postgres
def test_rows_read_with_psycopg_validate_against_pydantic_row_models(
    example: psycopg.Connection[dict[str, Any]],
) -> None:
    from schemas.generated import fastapi

    checked = 0
    for relname in _relations(example):
        model = getattr(fastapi, _singular_pascal(relname))
        assert issubclass(model, BaseModel)
        for row in example.execute(f'select * from "{relname}"').fetchall():
            validated = model.model_validate(row)
            assert validated.model_dump(by_alias=True).keys() == row.keys()
            checked += 1
    assert checked >= 8


def _is_json(value: Any) -> bool:
    """Whether a decoded value is made of JSON's types only."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _matches(value: Any, annotation: Any) -> bool:
    """Whether a decoded JSON value fits a TypedDict annotation (json mode)."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if type(annotation).__name__ == "TypeAliasType":  # Json, JsonNotNull: a recursive alias
        return _is_json(value) and (value is not None or annotation.__name__ == "Json")
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        return any(_matches(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(annotation, type):
        return isinstance(value, annotation)
    return False


@pytest.mark.postgres
def test_json_rows_have_exactly_the_typeddict_keys_and_types(
    example: psycopg.Connection[dict[str, Any]],
) -> None:
    import schemas

    checked = 0
    for relname in _relations(example):
        row_type = getattr(schemas, f"{_singular_pascal(relname)}Row")
        hints = typing.get_type_hints(row_type)
        for record in example.execute(f'select row_to_json(t) as j from "{relname}" t').fetchall():
            row = record["j"]
            assert set(row) == set(hints), relname
            assert set(row) == row_type.__required_keys__
            for key, value in row.items():
                assert _matches(value, hints[key]), (relname, key, value, hints[key])
            checked += 1
    assert checked >= 8


@pytest.mark.postgres
def test_an_insert_dict_with_only_required_keys_inserts(
    example: psycopg.Connection[dict[str, Any]],
) -> None:
    from schemas.database.entities import OrganizationInsert

    values: OrganizationInsert = {"name": "Only required", "slug": "only-required"}
    assert set(values) == OrganizationInsert.__required_keys__
    columns = ", ".join(values)
    placeholders = ", ".join(f"%({k})s" for k in values)
    row = example.execute(
        f"insert into organizations ({columns}) values ({placeholders}) returning *", dict(values)
    ).fetchone()
    assert row is not None
    assert row["type"] == "company"


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


def test_pydantic_models_carry_varchar_and_numeric_constraints() -> None:
    models = _module("schemas.generated.fastapi.models")
    slug = models.Organization.model_fields["slug"]
    assert any(getattr(m, "max_length", None) == 64 for m in slug.metadata)
    budget = models.Project.model_fields["budget"]
    assert any(getattr(m, "max_digits", None) == 12 for m in budget.metadata)
    assert any(getattr(m, "decimal_places", None) == 2 for m in budget.metadata)
    project = models.Project.model_validate(
        {
            "id": 1,
            "organization_id": "00000000-0000-0000-0000-000000000001",
            "name": "x",
            "status": "active",
            "budget": "10.25",
            "tags": [],
            "starts_on": None,
            "created_at": "2026-01-01T00:00:00Z",
        }
    )
    assert project.budget == Decimal("10.25")


# --- determinism --------------------------------------------------------------------------------

_FORWARD = """
create type public.mood as enum ('sad', 'ok', 'happy');
create table public.alpha (id int primary key, mood public.mood not null);
create table public.beta (id int primary key, note text, alpha_id int references public.alpha (id));
create table public.gamma (alpha_id int references public.alpha (id),
                           beta_id int references public.beta (id),
                           primary key (alpha_id, beta_id));
create view public.delta as
    select a.id, b.note from public.alpha a join public.beta b on b.alpha_id = a.id;
"""
# The same schema built in another order: other OIDs, other catalog order.
_BACKWARD = """
create table public.filler (x int);
create table public.gamma (alpha_id int not null, beta_id int not null);
create table public.beta (id int primary key, note text, alpha_id int);
create type public.mood as enum ('sad', 'ok', 'happy');
create table public.alpha (id int primary key, mood public.mood not null);
alter table public.beta add foreign key (alpha_id) references public.alpha (id);
alter table public.gamma add foreign key (beta_id) references public.beta (id);
alter table public.gamma add foreign key (alpha_id) references public.alpha (id);
alter table public.gamma add primary key (alpha_id, beta_id);
create view public.delta as
    select a.id, b.note from public.alpha a join public.beta b on b.alpha_id = a.id;
drop table public.filler;
"""


def _tree_for(pg_server: TempServer, name: str, sql: str) -> dict[str, str]:
    dsn = pg_server.create_database(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)
        db = introspect(dsn)
    finally:
        pg_server.psql(f'drop database if exists "{name}" with (force)')
    from sync_schema.config import Settings

    settings = Settings(
        root=ROOT, out=ROOT / "nowhere", migrations=MIGRATIONS, schemas=("public",),
        db_url=dsn, db_url_origin="test",
    )  # fmt: skip
    previous_version = VersionInfo(1, "2026-01-01T00:00:00Z", ir.db_hash(db))
    from sync_schema.snapshot import Snapshot

    return build_files(Run.of(settings, db, Snapshot(previous_version, db)))


@pytest.mark.postgres
def test_catalogs_created_in_different_orders_give_identical_trees(pg_server: TempServer) -> None:
    forward = _tree_for(pg_server, "order_forward", _FORWARD)
    backward = _tree_for(pg_server, "order_backward", _BACKWARD)
    assert forward == backward


@pytest.mark.postgres
def test_generation_is_identical_under_two_hash_seeds(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "987654"):
        out = tmp_path / f"seed{seed}"
        env = {**_clean_env(), "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        result = _run(str(BIN / "sync-schema"), "generate", "--out", str(out), env=env)
        assert result.returncode == 0, result.stderr
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()})
    assert outputs[0] == outputs[1]
