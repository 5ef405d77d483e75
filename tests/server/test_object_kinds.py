"""Every object kind a real project holds, from the real server to a strict, importable tree."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sync_schema import ir
from sync_schema.config import Overrides, load_settings
from sync_schema.drift import Change, SchemaSync, Severity
from sync_schema.embedded.server import TempServer
from sync_schema.pipeline import Run, build_files
from sync_schema.source.introspect import introspect
from tests.conftest import dbname

FIXTURE = Path(__file__).parents[1] / "fixtures" / "every_object_kind.sql"

pytestmark = pytest.mark.postgres


@pytest.fixture
def kinds_db(pg_server: TempServer, fresh_db: str) -> str:
    """A fresh database holding tests/fixtures/every_object_kind.sql."""
    pg_server.psql(FIXTURE.read_text(encoding="utf-8"), dbname(fresh_db))
    return fresh_db


@pytest.fixture
def tree(kinds_db: str, tmp_path: Path) -> Iterator[tuple[ir.Database, Path]]:
    """The introspected IR and the generated package `kinds_pkg` under tmp_path."""
    db = introspect(kinds_db)
    root = tmp_path / "kinds_pkg"
    settings = load_settings(Overrides(db_url=kinds_db, out=root), cwd=tmp_path)
    files = build_files(Run.of(settings, db))
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        yield db, root
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == "kinds_pkg" or m.startswith("kinds_pkg.")]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"kinds_pkg.{name}")


def _classes(path: Path) -> dict[str, dict[str, str]]:
    """class name -> {field: annotation} of a generated module, read with ast."""
    found: dict[str, dict[str, str]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    return found


def _aliases(path: Path) -> dict[str, str]:
    return {
        node.target.id: ast.unparse(node.value)
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value
    }


def test_partitions_are_folded_into_their_parent_and_foreign_tables_kept(
    tree: tuple[ir.Database, Path],
) -> None:
    db, root = tree
    kinds = {t.name: t.kind for t in db.tables}
    assert kinds == {
        "events": "partitioned_table",
        "people": "table",
        "tag_snapshots": "table",
        "tags": "table",
        "preferences": "table",
        "remote_readings": "foreign_table",
        "people_by_mood": "materialized_view",
        "people_emails": "view",
    }
    entities = _classes(root / "database" / "entities.py")
    assert "EventRow" in entities
    assert not any("2024" in name or "2025" in name for name in entities)
    assert entities["RemoteReadingRow"] == {"sensor": "str", "reading": "float | None"}
    assert "RemoteReadingInsert" in entities
    views = _classes(root / "database" / "views.py")
    assert set(views) == {"PeopleByMoodRow", "PeopleEmailRow"}


def test_generated_and_always_identity_columns_are_read_but_never_written(
    tree: tuple[ir.Database, Path],
) -> None:
    _db, root = tree
    entities = _classes(root / "database" / "entities.py")
    assert {"id", "full_name"} <= set(entities["PersonRow"])
    for variant in ("PersonInsert", "PersonUpdate"):
        assert "id" not in entities[variant]
        assert "full_name" not in entities[variant]
    # BY DEFAULT identities may be written; they have a default, so Insert may omit them.
    assert entities["PersonInsert"]["legacy_id"] == "NotRequired[int]"
    models = _module("generated.fastapi.models")
    assert "full_name" not in models.PersonInsert.model_fields
    assert "id" not in models.PersonUpdate.model_fields


def test_domains_map_to_their_base_type_with_their_nullability_and_comment(
    tree: tuple[ir.Database, Path],
) -> None:
    db, root = tree
    email = next(d for d in db.domains if d.name == "email")
    assert email.base.name == "text"
    assert [c.definition for c in email.check_constraints] == [
        "CHECK (VALUE ~ '^[^@]+@[^@]+$'::text)"
    ]
    source = (root / "database" / "entities.py").read_text(encoding="utf-8")
    assert "# public.email: An address with exactly one @." in source
    person = _classes(root / "database" / "entities.py")["PersonRow"]
    assert person["email"] == "str"
    # positive_int is NOT NULL as a domain, though the column itself has no NOT NULL.
    assert person["age"] == "int"


def test_composite_types_are_typeddicts_and_models_usable_as_column_types(
    tree: tuple[ir.Database, Path],
) -> None:
    _db, root = tree
    types = _classes(root / "database" / "types.py")
    assert types["Address"] == {"street": "str | None", "city": "str | None", "zip": "str | None"}
    assert types["Place"] == {
        "name": "str | None",
        "address": "Address | None",
        "moods": "list[MoodValue] | None",
    }
    person = _classes(root / "database" / "entities.py")["PersonRow"]
    assert person["home"] == "Address | None"
    assert person["past_homes"] == "list[Address] | None"
    assert person["moods"] == "list[MoodValue]"
    assert person["grid"] == "list[list[int]] | None"
    assert person["stay"] == "str | None"
    assert person["busy"] == "str | None"

    models = _module("generated.fastapi.models")
    place = models.Place.model_validate(
        {
            "name": "HQ",
            "address": {"street": "Main 1", "city": None, "zip": "123"},
            "moods": ["sad"],
        }
    )
    assert place.address.street == "Main 1"
    assert place.moods == [models.Mood.SAD]
    with pytest.raises(ValueError, match="zip"):
        models.Address.model_validate({"street": None, "city": None, "zip": "x" * 11})
    assert _module("database").Address is _module("database.types").Address


def test_a_table_row_type_as_a_column_type_is_a_record_typeddict_and_model(
    tree: tuple[ir.Database, Path],
) -> None:
    _db, root = tree
    types = _classes(root / "database" / "types.py")
    entities = _classes(root / "database" / "entities.py")
    # As a value, every attribute may be NULL: Postgres enforces the table's NOT NULL on rows.
    assert types["TagRecord"] == {"id": "int | None", "name": "str | None", "color": "str | None"}
    assert entities["TagRow"]["name"] == "str"
    assert entities["TagSnapshotRow"]["tag"] == "TagRecord"
    assert entities["TagSnapshotRow"]["earlier"] == "list[TagRecord] | None"
    models = _module("generated.fastapi.models")
    # PostgREST sends a composite value with every attribute, NULL ones included.
    row = models.TagSnapshot.model_validate(
        {"id": 1, "tag": {"id": 7, "name": "red", "color": None}, "earlier": None}
    )
    assert (row.tag.id, row.tag.name, row.tag.color) == (7, "red", None)
    assert _module("database").TagRecord is _module("database.types").TagRecord


def test_functions_get_args_typeddicts_and_return_aliases(tree: tuple[ir.Database, Path]) -> None:
    db, root = tree
    names = {f.signature for f in db.functions}
    assert "public.people_audit()" not in names  # trigger functions are not callable via rpc
    assert len(names) == 10
    path = root / "database" / "functions.py"
    classes, aliases = _classes(path), _aliases(path)
    # In the IR (so the diff sees it), but PostgREST cannot call it by argument names.
    assert "public.concat_two(text, text)" in names
    assert "ConcatTwoArgs" not in path.read_text(encoding="utf-8")
    assert "ConcatTwoReturns" not in aliases
    assert classes["AddNumbersArgs"] == {"a": "int", "b": "NotRequired[int]"}
    assert aliases["AddNumbersReturns"] == "int | None"
    assert classes["PeopleNamedArgs"] == {"pattern": "str"}
    assert classes["PeopleNamed2Args"] == {"pattern": "str", "max_rows": "int"}
    assert aliases["PeopleNamedReturns"] == aliases["PeopleNamed2Returns"] == "list[PersonRow]"
    assert classes["MoodCountsResult"] == {"mood": "MoodValue | None", "people": "int | None"}
    assert aliases["MoodCountsReturns"] == "list[MoodCountsResult]"
    assert aliases["HomeOfReturns"] == "Address | None"
    assert classes["CensusResult"] == {"total": "int | None", "oldest": "int | None"}
    assert aliases["CensusReturns"] == "CensusResult"
    assert aliases["TouchReturns"] == "None"
    assert classes["SumAllArgs"] == {"numbers": "list[int]"}
    # A table's row type as an argument is that table's Row TypedDict.
    assert classes["LabelArgs"] == {"person": "PersonRow"}
    assert "Adds two numbers." in path.read_text(encoding="utf-8")
    functions = _module("database.functions")
    args: dict[str, Any] = {"a": 1}
    assert functions.AddNumbersArgs(**args) == {"a": 1}


def test_the_tree_imports_and_passes_ruff_and_mypy_strict(
    tree: tuple[ir.Database, Path], tmp_path: Path
) -> None:
    _db, root = tree
    for module in ("database", "database.functions", "generated.fastapi.models"):
        _module(module)
    ruff = Path(sys.executable).parent / "ruff"
    for command in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        result = subprocess.run(
            [str(ruff), *command, str(root)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
    _assert_mypy_strict(tmp_path, "kinds_pkg")


def _assert_mypy_strict(parent: Path, package: str) -> None:
    """`mypy --strict` with no project config passes on the package `parent / package`."""
    (parent / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(parent / "mypy.ini"),
         "--cache-dir", str(parent / "mypy_cache"), "-p", package],
        capture_output=True, text=True, cwd=parent, check=False,
        env={**os.environ, "MYPYPATH": str(parent)},
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def _diff(pg_server: TempServer, dsn: str, sql: str) -> list[Change]:
    before = introspect(dsn)
    pg_server.psql(sql, dbname(dsn))
    return SchemaSync(before, introspect(dsn)).compare_schemas()


def _by_kind(changes: list[Change]) -> dict[tuple[str, str], Change]:
    return {(c.kind, c.name): c for c in changes}


def test_the_diff_grades_function_composite_and_domain_changes(
    pg_server: TempServer, kinds_db: str
) -> None:
    changes = _by_kind(
        _diff(
            pg_server,
            kinds_db,
            """
            drop function public.touch();
            drop function public.add_numbers(integer, integer);
            create function public.add_numbers(a bigint, b bigint) returns bigint
                language sql immutable as 'select a + b';
            create function public.greet(who text) returns text language sql as 'select who';
            alter type public.address drop attribute zip;
            alter type public.geo_point add attribute alt real;
            alter domain public.email drop constraint email_check;
            alter domain public.email add constraint email_has_dot check (value like '%.%');
            alter table public.preferences drop constraint preferences_settings_check;
            alter table public.preferences add constraint preferences_settings_check check (
                extensions.jsonb_matches_schema('{"type": "object", "required": ["theme"]}', settings));
            """,
        )
    )
    assert changes[("FUNCTION", "touch")].severity is Severity.HIGH
    assert changes[("FUNCTION", "touch")].change == "removed"
    assert changes[("FUNCTION", "add_numbers")].severity is Severity.HIGH
    assert changes[("FUNCTION", "greet")].severity is Severity.LOW
    assert changes[("COMPOSITE TYPE", "address")].severity is Severity.HIGH
    assert changes[("COMPOSITE TYPE", "geo_point")].severity is Severity.MEDIUM
    assert ("DOMAIN", "email") in changes
    preferences = changes[("TABLE", "preferences")]
    assert preferences.severity is Severity.HIGH
    assert any(
        d.label == "JSON Schema changed" and d.items == ("settings",) for d in preferences.details
    )


# --- several schemas ----------------------------------------------------------------------------

SEVERAL_SCHEMAS_SQL = """
create schema auth;
create type auth.role as enum ('admin', 'member');
create type auth.contact as (email text, phone text);
create table auth.users (id uuid primary key, email text not null, role auth.role not null);
create table auth.sessions (id uuid primary key, user_id uuid not null references auth.users (id));
create function auth.whoami() returns setof auth.users language sql as 'select * from auth.users';
create table public.profiles (
    id bigint primary key,
    user_id uuid references auth.users (id),
    role auth.role,
    contact auth.contact
);
create table public.notes (id bigint primary key, body text not null);
create table public.users (id bigint primary key);
create function public.my_sessions() returns setof auth.sessions
    language sql as 'select * from auth.sessions';
create schema "Weird-Schema";
create table "Weird-Schema".enums (id int primary key);
"""


def _generate(dsn: str, out: Path, *schemas: str) -> None:
    flags = [arg for schema in schemas for arg in ("--schema", schema)]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "sync-schema"), "generate", "--db-url", dsn,
         "--out", str(out), *flags],
        capture_output=True, text=True, check=False, cwd=out.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_other_schemas_get_subpackages_and_cross_schema_types_resolve_through_imports(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    pg_server.psql(SEVERAL_SCHEMAS_SQL, dbname(fresh_db))
    out = tmp_path / "multi_pkg"
    _generate(fresh_db, out, "public", "auth", "Weird-Schema")
    for package in ("auth", "weird_schema"):
        for rel in ("__init__.py", "enums.py", "database/entities.py", "database/types.py",
                    "database/functions.py", "generated/fastapi/models.py"):  # fmt: skip
            assert (out / package / rel).is_file(), f"{package}/{rel}"
        assert not (out / package / "schema_version.py").exists()
    # public stays flat, and takes its names first: auth.users is the one renamed.
    public = _classes(out / "database" / "entities.py")
    assert public["ProfileRow"] == {
        "id": "int",
        "user_id": "str | None",
        "role": "RoleValue | None",
        "contact": "Contact | None",
    }
    assert "UserRow" in public
    assert "User2Row" in _classes(out / "auth" / "database" / "entities.py")
    source = (out / "database" / "entities.py").read_text(encoding="utf-8")
    assert "from ..auth.database.types import Contact" in source
    assert "from ..auth.enums import RoleValue" in source
    functions = (out / "database" / "functions.py").read_text(encoding="utf-8")
    assert "from ..auth.database.entities import SessionRow" in functions
    models = (out / "generated" / "fastapi" / "models.py").read_text(encoding="utf-8")
    assert "from ...auth.generated.fastapi.models import Contact" in models
    assert "Enum2Row" in _classes(out / "weird_schema" / "database" / "entities.py")

    sys.path.insert(0, str(tmp_path))
    try:
        profile = importlib.import_module("multi_pkg.generated.fastapi.models").Profile
        value = profile.model_validate(
            {"id": 1, "user_id": None, "role": "admin", "contact": {"email": "a@b", "phone": None}}
        )
        assert value.contact.email == "a@b"
        assert importlib.import_module("multi_pkg.auth").User2Row.__required_keys__ == {
            "id", "email", "role",
        }  # fmt: skip
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "multi_pkg"]:
            del sys.modules[name]
    _assert_mypy_strict(tmp_path, "multi_pkg")

    # Asking for one more schema never changes what public's own objects are called.
    alone = tmp_path / "alone" / "multi_pkg"
    alone.parent.mkdir()
    _generate(fresh_db, alone, "public")
    assert _classes(alone / "database" / "entities.py")["NoteRow"] == public["NoteRow"]
    assert set(_classes(alone / "database" / "entities.py")) == set(public)
    assert not (alone / "auth").exists()


# --- typed jsonb ----------------------------------------------------------------------------------


def test_a_jsonb_column_with_a_json_schema_check_gets_nested_models(
    tree: tuple[ir.Database, Path],
) -> None:
    _db, root = tree
    entities = _classes(root / "database" / "entities.py")
    assert entities["PreferenceRow"] == {
        "id": "int",
        "settings": "PreferenceSettings",
        "extra": "Json | None",
    }
    source = (root / "jsonb" / "preferences_settings.py").read_text(encoding="utf-8")
    assert source.startswith("# Generated by sync-schema.")
    # Properties keep the schema's order; a key that is no identifier stays reachable.
    assert source.index('"theme"') < source.index('"font_size"') < source.index('"shortcuts"')
    assert '"it\'s": NotRequired[bool]' in source

    models = _module("generated.fastapi.models")
    valid = {
        "id": 1,
        "settings": {
            "theme": "dark",
            "font_size": 12,
            "shortcuts": [{"key": "k", "action": "save"}],
        },
    }
    row = models.Preference.model_validate({**valid, "extra": None})
    assert row.settings.font_size == 12
    assert row.settings.shortcuts[0].action == "save"
    assert row.model_dump(mode="json", exclude_none=True) == valid
    for invalid in (
        {"theme": "pink"},  # not in the enum
        {"font_size": 12},  # theme is required
        {"theme": "dark", "font_size": 4},  # below the minimum
        {"theme": "dark", "colour": "red"},  # additionalProperties: false
        {"theme": "dark", "shortcuts": [{"key": "k"}]},  # a nested required key
    ):
        with pytest.raises(ValueError, match="settings"):
            models.Preference.model_validate({"id": 1, "settings": invalid, "extra": None})
    # Without a schema, jsonb stays the JSON alias.
    assert models.Preference.model_validate(
        {"id": 1, "settings": {"theme": "light"}, "extra": [1, "x", None]}
    ).extra == [1, "x", None]


def test_a_configured_json_schema_file_types_a_column_and_bad_entries_exit_2(
    pg_server: TempServer, kinds_db: str, tmp_path: Path
) -> None:
    (tmp_path / "extra.json").write_text(
        '{"type": "array", "items": {"type": "integer"}, "title": "Numbers"}', encoding="utf-8"
    )
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.sync-schema]\n[tool.sync-schema.jsonb]\n"public.preferences.extra" = "extra.json"\n',
        encoding="utf-8",
    )
    sync = str(Path(sys.executable).parent / "sync-schema")
    out = tmp_path / "cfg_pkg"

    def generate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sync, "generate", "--db-url", kinds_db, "--out", str(out), "--config", str(pyproject)],
            capture_output=True, text=True, check=False, cwd=tmp_path,
        )  # fmt: skip

    result = generate()
    assert result.returncode == 0, result.stdout + result.stderr
    entities = _classes(out / "database" / "entities.py")
    assert entities["PreferenceRow"]["extra"] == "PreferenceExtra | None"
    assert "list[int]" in (out / "jsonb" / "preferences_extra.py").read_text(encoding="utf-8")

    before = {p: p.read_bytes() for p in out.rglob("*.py")}
    for entry, message in (
        (
            '"public.preferences.extra" = "missing.json"',
            "cannot read the JSON Schema of public.preferences.extra",
        ),
        (
            '"public.preferences.id" = "extra.json"',
            "public.preferences.id has a JSON Schema but is of type bigint",
        ),
        ('"public.nowhere.col" = "extra.json"', "names no json/jsonb column: public.nowhere.col"),
    ):
        pyproject.write_text(f"[tool.sync-schema.jsonb]\n{entry}\n", encoding="utf-8")
        result = generate()
        assert result.returncode == 2, result.stdout + result.stderr
        assert message in result.stderr
        assert "hint:" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*.py")} == before
