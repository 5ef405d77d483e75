"""The rendered tree, built from in-memory IR: names, enums, write rules, hostile text, quality."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import hashlib
import importlib
import io
import os
import random
import re
import subprocess
import sys
import tokenize
import typing
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sync_schema import __version__, ir
from sync_schema.errors import ConfigError
from sync_schema.format import format_tree
from sync_schema.ir import Column, Database, Enum, ForeignKey, PrimaryKey, Table, TypeRef
from sync_schema.layout import schema_packages
from sync_schema.model.literals import docstring_text
from sync_schema.model.names import decide_names
from sync_schema.model.prepare import is_relationship_table
from sync_schema.options import Options
from sync_schema.render import render_tree
from sync_schema.snapshot import VersionInfo, next_version

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
VERSION = VersionInfo(schema_version=3, last_sync="2024-01-02T03:04:05Z", db_hash="ab" * 32)
SENTINEL = "SENTINEL_HIT"

# --- IR builders -------------------------------------------------------------------------------


def pg(name: str, sql: str, **facts: Any) -> TypeRef:
    return TypeRef(schema="pg_catalog", name=name, kind="base", sql=sql, **facts)


def int4() -> TypeRef:
    return pg("int4", "integer")


def int8() -> TypeRef:
    return pg("int8", "bigint")


def text() -> TypeRef:
    return pg("text", "text")


def boolean() -> TypeRef:
    return pg("bool", "boolean")


def uuid_type() -> TypeRef:
    return pg("uuid", "uuid")


def date_type() -> TypeRef:
    return pg("date", "date")


def timestamptz() -> TypeRef:
    return pg("timestamptz", "timestamp with time zone")


def numeric(precision: int, scale: int) -> TypeRef:
    return pg("numeric", f"numeric({precision},{scale})", precision=precision, scale=scale)


def varchar(length: int) -> TypeRef:
    return pg("varchar", f"character varying({length})", max_length=length)


def jsonb() -> TypeRef:
    return pg("jsonb", "jsonb")


def inet() -> TypeRef:
    return pg("inet", "inet")


def int4range() -> TypeRef:
    return TypeRef(schema="pg_catalog", name="int4range", kind="range", sql="int4range")


def array(element: TypeRef, dims: int = 1) -> TypeRef:
    return dataclasses.replace(element, array_dims=dims, sql=element.sql + "[]" * dims)


def enum_type(name: str, schema: str = "public") -> TypeRef:
    return TypeRef(schema=schema, name=name, kind="enum", sql=f"{schema}.{name}")


def col(name: str, type_: TypeRef, *, nullable: bool = False, **facts: Any) -> Column:
    return Column(name=name, type=type_, nullable=nullable, **facts)


def fk(column: str, target: str, target_column: str = "id") -> ForeignKey:
    return ForeignKey(
        name=f"{column}_fkey",
        columns=(column,),
        target_schema="public",
        target_table=target,
        target_columns=(target_column,),
    )


def table(
    name: str,
    *columns: Column,
    kind: ir.RelationKind = "table",
    pk: tuple[str, ...] | None = ("id",),
    fks: tuple[ForeignKey, ...] = (),
    comment: str | None = None,
) -> Table:
    return Table(
        schema="public",
        name=name,
        kind=kind,
        columns=columns,
        primary_key=PrimaryKey(f"{name}_pkey", pk) if pk and kind != "view" else None,
        foreign_keys=fks,
        comment=comment,
    )


def id_col() -> Column:
    return col("id", uuid_type(), default="gen_random_uuid()")


# --- the databases under test ------------------------------------------------------------------


NORMAL_DB = Database(
    schemas=("public",),
    enums=(Enum("public", "org_type", ("company", "nonprofit"), comment="Legal form."),),
    tables=(
        table(
            "organizations",
            id_col(),
            col("name", text()),
            col("slug", varchar(20)),
            col("type", enum_type("org_type")),
            col("settings", jsonb(), default="'{}'::jsonb"),
            col("balance", numeric(10, 2), nullable=True),
            col("tags", array(text()), default="'{}'::text[]"),
            col("grid", array(int4(), 2), nullable=True),
            col("kinds", array(enum_type("org_type")), nullable=True),
            col("founded", date_type(), nullable=True),
            col("created_at", timestamptz(), default="now()"),
            col("ip", inet(), nullable=True),
            comment="A customer account.",
        ),
        table("profiles", id_col(), col("display_name", text(), nullable=True)),
        table(
            "organization_members",
            col("organization_id", uuid_type()),
            col("profile_id", uuid_type()),
            col("is_admin", boolean(), default="false"),
            pk=("organization_id", "profile_id"),
            fks=(fk("organization_id", "organizations"), fk("profile_id", "profiles")),
        ),
        # Composite key of two foreign keys, but both to the same table: an entity.
        table(
            "follows",
            col("follower_id", uuid_type()),
            col("followee_id", uuid_type()),
            pk=("follower_id", "followee_id"),
            fks=(fk("followee_id", "profiles"), fk("follower_id", "profiles")),
        ),
        table(
            "active_organizations",
            col("id", uuid_type(), nullable=True),
            col("name", text(), nullable=True),
            kind="view",
        ),
        table(
            "org_stats",
            col("organization_id", uuid_type(), nullable=True),
            col("members", int8(), nullable=True),
            kind="materialized_view",
        ),
        table("x", col("id", int8(), identity="by_default"), col("label", text())),
    ),
).sorted()

COLLIDING_DB = Database(
    schemas=("public",),
    tables=(
        table("user_data", col("id", int4()), col("lower", text())),
        table("UserData", col("id", int4()), col("upper", text())),
        table("people", col("id", int4()), col("plural", text())),
        table("person", col("id", int4()), col("singular", text())),
    ),
).sorted()

ENUM_LABELS = (
    "in-progress",
    "1st",
    "",
    "on hold",
    'it\'s "quoted" \\ slashed',
    "café",
    "🚀",
    "done",
)
ENUM_MEMBERS = ("IN_PROGRESS", "N_1ST", "EMPTY", "ON_HOLD", "IT_S_QUOTED_SLASHED", "CAFE")

ENUM_DB = Database(
    schemas=("public",),
    enums=(
        Enum("public", "task_status", ENUM_LABELS, comment="Where a task is.\n\nSecond paragraph."),
        Enum("public", "nothing_yet", ()),
    ),
    tables=(
        table(
            "tasks",
            col("id", int4()),
            col("status", enum_type("task_status")),
            col("history", array(enum_type("task_status")), default="'{}'"),
        ),
    ),
).sorted()

WRITES_DB = Database(
    schemas=("public",),
    tables=(
        table(
            "events",
            col("id", int8(), identity="always"),
            col("seq", int4(), identity="by_default"),
            col("title", text()),
            col("note", text(), nullable=True),
            col("created_at", timestamptz(), default="now()"),
            col("counter", int4(), default="0"),
            col("total", numeric(10, 2), generated="stored", generation_expression="1"),
            col("shout", text(), nullable=True, generated="virtual", generation_expression="x"),
        ),
        # Nothing to write, and nothing at all.
        table("counters", col("id", int8(), identity="always")),
        table("nothings", pk=None),
    ),
).sorted()

PAYLOADS = (
    '"""; import os; os.system("echo pwned")',
    '"""; __import__("builtins").SENTINEL_HIT = 1; """',
    '\n__import__("builtins").SENTINEL_HIT = 1',
    "'''\n__import__('builtins').SENTINEL_HIT = 1\n'''",
    "\\",
    "ends with a backslash\\",
    "''' triple single quotes '''",
    "# ruff: noqa",
    "# type: ignore",
    "x  # noqa: F401 # mypy: ignore-errors # fmt: off",
    "\r\n__import__('builtins').SENTINEL_HIT = 1",
    "\\\n__import__('builtins').SENTINEL_HIT = 1",
    '\\"; __import__("builtins").SENTINEL_HIT = 1 #',
    "\u2028__import__('builtins').SENTINEL_HIT = 1",
    "# -*- coding: utf-7 -*-\n+AAo-__import__('builtins').SENTINEL_HIT = 1",
    "{{ header }} {% raw %} café 🚀",
)

HOSTILE_COLUMNS = (
    "class",
    "def",
    "match",
    "type",
    "id",
    "str",
    "model_config",
    "schema",
    "json",
    "1st",
    "first name",
    'a"b',
    "x\ny",
    "__dunder__",
    "名前",
    "Foo",
    "foo",
    # Names the generated modules themselves use.
    "date",
    "UUID",
    "Json",
    "NotRequired",
    "Field",
    "model_dump_at",
)


def _hostile_type(name: str) -> TypeRef:
    return {
        "id": int4(),
        "type": enum_type("mood"),
        "json": jsonb(),
        "Json": jsonb(),
        "date": date_type(),
        "UUID": uuid_type(),
    }.get(name, text())


HOSTILE_TABLE_COMMENT = "\n".join(PAYLOADS)
HOSTILE_TABLE_NAME = '"""; __import__("builtins").SENTINEL_HIT = 1; """'

HOSTILE_DB = Database(
    schemas=("public",),
    enums=(
        Enum(
            "public",
            "mood",
            ('"""; __import__("builtins").SENTINEL_HIT = 1; """', "\\", "ok"),
            comment=HOSTILE_TABLE_COMMENT,
        ),
    ),
    tables=(
        table(
            "evil",
            *(
                col(name, _hostile_type(name), comment=PAYLOADS[i % len(PAYLOADS)])
                for i, name in enumerate(HOSTILE_COLUMNS)
            ),
            comment=HOSTILE_TABLE_COMMENT,
        ),
        table(
            HOSTILE_TABLE_NAME,
            col("id", int4(), comment=HOSTILE_TABLE_COMMENT),
            col("class", text(), nullable=True),
            comment=PAYLOADS[0],
        ),
        table(
            "evil_view",
            *(col(name, _hostile_type(name), nullable=True) for name in HOSTILE_COLUMNS),
            kind="view",
            comment=HOSTILE_TABLE_COMMENT,
        ),
    ),
).sorted()


RANGE_DB = Database(
    schemas=("public",),
    tables=(table("bookings", col("id", int4()), col("seats", int4range(), nullable=True)),),
)

# A column whose real name is another column's Python attribute name.
AMBIGUOUS_DB = Database(
    schemas=("public",),
    tables=(
        table(
            "things",
            col("id", int4()),
            col("Foo", text(), nullable=True),
            col("foo", text(), nullable=True),
            col("class", text(), nullable=True),
            col("class_", text(), nullable=True),
        ),
    ),
)

# A table whose class name is a name models.py imports.
DECIMALS_DB = Database(
    schemas=("public",),
    tables=(table("decimals", col("id", int4()), col("amount", numeric(10, 2))),),
)


# --- rendering, writing and importing ------------------------------------------------------------


def build(
    db: Database,
    *,
    options: Options | None = None,
    templates: Path | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
) -> dict[str, str]:
    """Render and format the tree, as `sync-schema generate` does."""
    rendered = render_tree(db, VERSION, options=options, templates=templates, warn=warn)
    return format_tree(rendered, fix_all=templates is not None)


def write_tree(out: Path, files: Mapping[str, str]) -> None:
    for rel, content in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")


class Tree:
    """A generated package written under a unique name; each module is imported on first use."""

    def __init__(self, name: str) -> None:
        self.name = name

    def module(self, relative: str = "") -> ModuleType:
        return importlib.import_module(f"{self.name}.{relative}" if relative else self.name)

    @property
    def pkg(self) -> ModuleType:
        return self.module()

    @property
    def version(self) -> ModuleType:
        return self.module("schema_version")

    @property
    def enums(self) -> ModuleType:
        return self.module("enums")

    @property
    def entities(self) -> ModuleType:
        return self.module("database.entities")

    @property
    def relationships(self) -> ModuleType:
        return self.module("database.relationships")

    @property
    def views(self) -> ModuleType:
        return self.module("database.views")

    @property
    def models(self) -> ModuleType:
        return self.module("generated.fastapi.models")

    @property
    def fastapi(self) -> ModuleType:
        return self.module("generated.fastapi")


Loader = Callable[[Mapping[str, str]], Tree]


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Loader]:
    """Write trees as uniquely named packages under tmp_path; forget them after the test."""
    names: list[str] = []
    root = str(tmp_path)
    sys.path.insert(0, root)

    def _load(files: Mapping[str, str]) -> Tree:
        name = f"gen_{uuid.uuid4().hex[:12]}"
        names.append(name)
        write_tree(tmp_path / name, files)
        importlib.invalidate_caches()
        tree = Tree(name)
        tree.pkg  # noqa: B018 - the package itself must import
        return tree

    try:
        yield _load
    finally:
        sys.path.remove(root)
        for module in list(sys.modules):
            if module.split(".")[0] in names:
                del sys.modules[module]


@pytest.fixture(scope="module")
def normal_files() -> dict[str, str]:
    return build(NORMAL_DB)


@pytest.fixture(scope="module")
def enum_files() -> dict[str, str]:
    return build(ENUM_DB)


@pytest.fixture(scope="module")
def writes_files() -> dict[str, str]:
    return build(WRITES_DB)


@pytest.fixture(scope="module")
def hostile_files() -> dict[str, str]:
    return build(HOSTILE_DB)


@pytest.fixture(scope="module")
def python_mode_files() -> dict[str, str]:
    return build(NORMAL_DB, options=Options(typeddict_types="python", frozen_models=True))


@pytest.fixture(scope="module")
def range_files() -> dict[str, str]:
    return build(RANGE_DB, options=Options(typeddict_types="python"))


def fields_by_column(model: Any) -> dict[str, Any]:
    """Pydantic FieldInfo per real column name (the alias, or the attribute when no alias)."""
    return {info.alias or attr: info for attr, info in model.model_fields.items()}


# --- 1. names -----------------------------------------------------------------------------------


def test_table_gets_row_insert_update_typeddicts_and_pydantic_models(
    normal_files: dict[str, str], load: Loader
) -> None:
    tree = load(normal_files)
    for name in ("OrganizationRow", "OrganizationInsert", "OrganizationUpdate"):
        assert getattr(tree.entities, name).__module__ == tree.entities.__name__
        assert name in tree.pkg.__all__
    for name in ("Organization", "OrganizationInsert", "OrganizationUpdate"):
        assert getattr(tree.models, name).__module__ == tree.models.__name__
        assert name in tree.fastapi.__all__
    organizations = NORMAL_DB.table("public", "organizations")
    assert organizations is not None
    columns = [c.name for c in organizations.columns]
    assert list(tree.entities.OrganizationRow.__annotations__) == columns
    assert list(fields_by_column(tree.models.Organization)) == columns


def test_junction_table_with_two_foreign_keys_to_different_tables_is_a_relationship(
    normal_files: dict[str, str], load: Loader
) -> None:
    tree = load(normal_files)
    for suffix in ("Row", "Insert", "Update"):
        assert hasattr(tree.relationships, f"OrganizationMember{suffix}")
        assert not hasattr(tree.entities, f"OrganizationMember{suffix}")
        # A composite key of two foreign keys to one table stays an entity.
        assert hasattr(tree.entities, f"Follow{suffix}")
        assert not hasattr(tree.relationships, f"Follow{suffix}")
    assert hasattr(tree.models, "OrganizationMemberInsert")
    assert hasattr(tree.pkg, "OrganizationMemberRow")


def test_relationship_detection_needs_every_key_column_to_reference_two_tables() -> None:
    members = NORMAL_DB.table("public", "organization_members")
    follows = NORMAL_DB.table("public", "follows")
    assert members is not None
    assert follows is not None
    assert is_relationship_table(members)
    assert not is_relationship_table(follows)
    no_pk = dataclasses.replace(members, primary_key=None)
    assert not is_relationship_table(no_pk)
    # A key column that is not a foreign key makes it an entity.
    extra_key = dataclasses.replace(
        members, primary_key=PrimaryKey("pk", ("organization_id", "profile_id", "is_admin"))
    )
    assert not is_relationship_table(extra_key)


def test_view_gets_only_a_row_typeddict_and_a_row_model(
    normal_files: dict[str, str], load: Loader
) -> None:
    tree = load(normal_files)
    assert hasattr(tree.views, "ActiveOrganizationRow")
    assert not hasattr(tree.views, "ActiveOrganizationInsert")
    assert not hasattr(tree.views, "ActiveOrganizationUpdate")
    assert not hasattr(tree.entities, "ActiveOrganizationRow")
    assert hasattr(tree.models, "ActiveOrganization")
    assert not hasattr(tree.models, "ActiveOrganizationInsert")
    assert not hasattr(tree.models, "ActiveOrganizationUpdate")
    assert "ActiveOrganizationInsert" not in tree.fastapi.__all__
    # A materialized view is read-only too.
    assert list(tree.views.OrgStatRow.__annotations__) == ["organization_id", "members"]
    assert not hasattr(tree.views, "OrgStatInsert")
    assert not hasattr(tree.models, "OrgStatUpdate")


def test_tables_that_collide_after_naming_get_distinct_deterministic_names(load: Loader) -> None:
    names = decide_names(COLLIDING_DB, Options())
    rows = {q: tn.row for q, tn in names.tables.items()}
    # Sorted order decides: "UserData" < "user_data" and "people" < "person".
    assert rows == {
        "public.UserData": "UserDataRow",
        "public.user_data": "UserData2Row",
        "public.people": "PersonRow",
        "public.person": "Person2Row",
    }
    shuffled = dataclasses.replace(COLLIDING_DB, tables=COLLIDING_DB.tables[::-1]).sorted()
    assert decide_names(shuffled, Options()) == names

    tree = load(build(COLLIDING_DB))
    # Each class still describes its own table.
    assert list(tree.entities.UserDataRow.__annotations__) == ["id", "upper"]
    assert list(tree.entities.UserData2Row.__annotations__) == ["id", "lower"]
    assert list(tree.entities.PersonRow.__annotations__) == ["id", "plural"]
    assert list(tree.entities.Person2Row.__annotations__) == ["id", "singular"]
    assert set(tree.models.Person2.model_fields) == {"id", "singular"}
    assert set(tree.models.Person2Insert.model_fields) == {"id", "singular"}


def test_naming_override_wins_over_the_derived_name(load: Loader) -> None:
    options = Options(names={"public.people": "Human"})
    tree = load(build(COLLIDING_DB, options=options))
    assert list(tree.entities.HumanRow.__annotations__) == ["id", "plural"]
    assert hasattr(tree.entities, "HumanInsert")
    assert hasattr(tree.entities, "HumanUpdate")
    assert set(tree.models.Human.model_fields) == {"id", "plural"}
    # Freed from the collision, `person` keeps the plain name.
    assert list(tree.entities.PersonRow.__annotations__) == ["id", "singular"]
    assert not hasattr(tree.entities, "Person2Row")


def test_relationship_and_entity_table_options_override_detection(load: Loader) -> None:
    options = Options(
        relationship_tables=frozenset({"public.x"}),
        entity_tables=frozenset({"public.organization_members"}),
    )
    tree = load(build(NORMAL_DB, options=options))
    assert hasattr(tree.relationships, "XRow")
    assert hasattr(tree.relationships, "XInsert")
    assert not hasattr(tree.entities, "XRow")
    assert hasattr(tree.entities, "OrganizationMemberRow")
    assert not hasattr(tree.relationships, "OrganizationMemberRow")


# --- 2. enums -----------------------------------------------------------------------------------


def test_enum_members_are_upper_snake_labels_in_postgres_order(
    enum_files: dict[str, str], load: Loader
) -> None:
    tree = load(enum_files)
    members = list(tree.enums.TaskStatus)
    assert [m.value for m in members] == list(ENUM_LABELS)
    names = [m.name for m in members]
    assert names[: len(ENUM_MEMBERS)] == list(ENUM_MEMBERS)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names)
    assert tree.enums.TaskStatus("on hold") is tree.enums.TaskStatus.ON_HOLD
    assert tree.enums.TaskStatus.EMPTY.value == ""
    assert isinstance(tree.enums.TaskStatus.CAFE, str)


def test_enum_literal_alias_lists_the_exact_labels(
    enum_files: dict[str, str], load: Loader
) -> None:
    tree = load(enum_files)
    assert tree.enums.TaskStatusValue.__args__ == ENUM_LABELS
    assert "TaskStatusValue" in tree.pkg.__all__
    # Rows of the TypedDict layer are typed by the alias; the Pydantic layer by the Enum.
    hints = tree.entities.TaskRow.__annotations__
    assert hints["status"] == tree.enums.TaskStatusValue
    assert typing.get_origin(hints["history"]) is list
    assert typing.get_args(hints["history"]) == (tree.enums.TaskStatusValue,)
    task = tree.models.Task.model_validate({"id": 1, "status": "🚀", "history": ["", "1st"]})
    assert task.status is tree.enums.TaskStatus("🚀")
    assert task.model_dump(mode="json") == {"id": 1, "status": "🚀", "history": ["", "1st"]}


def test_empty_enum_renders_and_imports(enum_files: dict[str, str], load: Loader) -> None:
    tree = load(enum_files)
    assert list(tree.enums.NothingYet) == []
    assert tree.pkg.NothingYet is tree.enums.NothingYet
    assert hasattr(tree.enums, "NothingYetValue")


def test_enum_comment_is_its_docstring(enum_files: dict[str, str], load: Loader) -> None:
    tree = load(enum_files)
    assert "Where a task is." in tree.enums.TaskStatus.__doc__
    assert "Second paragraph." in tree.enums.TaskStatus.__doc__
    # Without a comment the docstring names the type.
    assert "public.nothing_yet" in tree.enums.NothingYet.__doc__


# --- 3. Insert and Update -----------------------------------------------------------------------


def test_insert_makes_defaulted_identity_and_nullable_keys_not_required(
    writes_files: dict[str, str], load: Loader
) -> None:
    tree = load(writes_files)
    insert = tree.entities.EventInsert
    assert insert.__required_keys__ == frozenset({"title"})
    assert insert.__optional_keys__ == frozenset({"seq", "note", "created_at", "counter"})
    row = tree.entities.EventRow
    events = WRITES_DB.table("public", "events")
    assert events is not None
    assert row.__required_keys__ == frozenset(c.name for c in events.columns)


def test_generated_and_identity_always_columns_are_absent_from_insert_and_update(
    writes_files: dict[str, str], load: Loader
) -> None:
    tree = load(writes_files)
    writable = ["seq", "title", "note", "created_at", "counter"]
    for cls in (tree.entities.EventInsert, tree.entities.EventUpdate):
        assert list(cls.__annotations__) == writable
    for model in (tree.models.EventInsert, tree.models.EventUpdate):
        assert list(model.model_fields) == writable
    assert "total" in tree.entities.EventRow.__annotations__
    assert "shout" in tree.models.Event.model_fields


def test_tables_without_writable_or_any_columns_render_empty_classes(
    writes_files: dict[str, str], load: Loader
) -> None:
    tree = load(writes_files)
    assert list(tree.entities.CounterRow.__annotations__) == ["id"]
    assert tree.entities.CounterInsert.__annotations__ == {}
    assert tree.entities.CounterUpdate.__annotations__ == {}
    assert tree.models.CounterInsert.model_validate({}).model_dump() == {}
    assert tree.entities.NothingRow.__annotations__ == {}
    assert tree.models.Nothing.model_validate({}).model_dump() == {}


def test_update_typeddict_is_total_false(writes_files: dict[str, str], load: Loader) -> None:
    tree = load(writes_files)
    update = tree.entities.EventUpdate
    assert update.__total__ is False
    assert update.__required_keys__ == frozenset()
    assert update.__optional_keys__ == frozenset(update.__annotations__)
    assert tree.entities.EventRow.__total__ is True


def test_pydantic_insert_and_update_require_only_what_the_database_requires(
    writes_files: dict[str, str], load: Loader
) -> None:
    tree = load(writes_files)
    required = {
        name for name, info in tree.models.EventInsert.model_fields.items() if info.is_required()
    }
    assert required == {"title"}
    assert not any(info.is_required() for info in tree.models.EventUpdate.model_fields.values())
    insert = tree.models.EventInsert.model_validate({"title": "t"})
    assert insert.model_dump(exclude_unset=True) == {"title": "t"}


# --- 4. hostile identifiers and comments --------------------------------------------------------


def _column_values(columns: tuple[Column, ...]) -> dict[str, Any]:
    samples: dict[str, Any] = {"int4": 7, "jsonb": {"k": [1]}, "date": "2024-05-06"}
    samples["uuid"] = "12345678-1234-5678-1234-567812345678"
    values = {}
    for i, c in enumerate(columns):
        if c.type.kind == "enum":
            values[c.name] = "ok"
        else:
            values[c.name] = samples.get(c.type.name, f"value {i}")
    return values


@pytest.fixture
def hostile_tree(hostile_files: dict[str, str], load: Loader) -> Iterator[Tree]:
    assert not hasattr(builtins, SENTINEL)
    try:
        with warnings.catch_warnings():
            # Pydantic warns when a field shadows a BaseModel attribute.
            warnings.simplefilter("error")
            tree = load(hostile_files)
            for module in ("schema_version", "enums", "database", "generated.fastapi"):
                tree.module(module)
        yield tree
    finally:
        sentinel_set = hasattr(builtins, SENTINEL)
        if sentinel_set:
            delattr(builtins, SENTINEL)
        assert not sentinel_set, "importing the generated tree ran code from a comment"


def test_hostile_tree_imports_without_running_catalog_text(hostile_tree: Tree) -> None:
    assert not hasattr(builtins, SENTINEL)
    assert hasattr(hostile_tree.entities, "EvilRow")
    assert hasattr(hostile_tree.views, "EvilViewRow")


def test_hostile_tree_contains_no_code_from_the_catalog(hostile_files: dict[str, str]) -> None:
    for rel, source in hostile_files.items():
        if not rel.endswith(".py"):
            continue
        tree = ast.parse(source)
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.Name) and node.id == "__import__"), rel
            assert not isinstance(node, ast.Import), rel
            assert not (isinstance(node, ast.Attribute) and node.attr == SENTINEL), rel


DIRECTIVE = re.compile(
    r"(?i)#\s*(?:noqa|nosec|type\s*:|mypy\s*:|ruff\s*:|fmt\s*:|pyright\s*:|flake8\s*:|isort\s*:)"
    r"|coding[:=]"
)


def test_hostile_comments_never_become_tool_directives(hostile_files: dict[str, str]) -> None:
    for rel, source in hostile_files.items():
        if not rel.endswith(".py"):
            continue
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        comments = [t.string for t in tokens if t.type == tokenize.COMMENT]
        for line in comments:
            assert not DIRECTIVE.search(line), (rel, line)


def test_hostile_typeddict_keys_are_the_real_column_names(hostile_tree: Tree) -> None:
    names = list(HOSTILE_COLUMNS)
    for cls in ("EvilRow", "EvilInsert", "EvilUpdate"):
        assert list(getattr(hostile_tree.entities, cls).__annotations__) == names, cls
    assert list(hostile_tree.views.EvilViewRow.__annotations__) == names
    assert hostile_tree.entities.EvilRow.__required_keys__ == frozenset(names)
    assert hostile_tree.entities.EvilUpdate.__optional_keys__ == frozenset(names)


def test_hostile_pydantic_models_validate_and_dump_the_real_column_names(
    hostile_tree: Tree,
) -> None:
    evil = HOSTILE_DB.table("public", "evil")
    assert evil is not None
    values = _column_values(evil.columns)
    for model in (hostile_tree.models.Evil, hostile_tree.models.EvilView):
        instance = model.model_validate(values)
        dumped = instance.model_dump(mode="json", by_alias=True)
        assert dumped == values, model
        assert list(dumped) == list(HOSTILE_COLUMNS)
        assert list(fields_by_column(model)) == list(HOSTILE_COLUMNS)
    for model in (hostile_tree.models.EvilInsert, hostile_tree.models.EvilUpdate):
        assert model.model_validate(values).model_dump(mode="json", by_alias=True) == values
    # A partial update dumps only what was set, under the real names.
    update = hostile_tree.models.EvilUpdate.model_validate({"x\ny": "v", "名前": "n"})
    assert update.model_dump(exclude_unset=True, by_alias=True) == {"x\ny": "v", "名前": "n"}


def test_hostile_comments_stay_data_in_docstrings_and_descriptions(hostile_tree: Tree) -> None:
    evil = HOSTILE_DB.table("public", "evil")
    assert evil is not None
    fields = fields_by_column(hostile_tree.models.Evil)
    for column in evil.columns:
        assert fields[column.name].description == column.comment, column.name
    doc = hostile_tree.models.Evil.__doc__
    assert doc is not None
    for line in docstring_text(HOSTILE_TABLE_COMMENT).splitlines():
        assert line.strip() in doc
    mood = hostile_tree.enums.Mood
    assert [m.value for m in mood] == list(HOSTILE_DB.enums[0].labels)
    assert mood.__doc__ is not None
    assert "os.system" in mood.__doc__


def test_hostile_table_name_is_a_safe_class_name(hostile_tree: Tree) -> None:
    names = decide_names(HOSTILE_DB, Options()).tables[f"public.{HOSTILE_TABLE_NAME}"]
    row = getattr(hostile_tree.entities, names.row)
    assert names.row.isidentifier()
    assert list(row.__annotations__) == ["id", "class"]
    model = getattr(hostile_tree.models, names.model)
    assert model.model_validate({"id": 1, "class": None}).model_dump() == {"id": 1, "class": None}


# --- 5. output quality --------------------------------------------------------------------------


RUFF_CHECK = [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--output-format", "concise"]


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def quality_dir(
    tmp_path_factory: pytest.TempPathFactory,
    normal_files: dict[str, str],
    enum_files: dict[str, str],
    writes_files: dict[str, str],
    hostile_files: dict[str, str],
    python_mode_files: dict[str, str],
    range_files: dict[str, str],
) -> Path:
    """Several generated packages side by side, for one run of each tool."""
    root = tmp_path_factory.mktemp("quality")
    trees = {
        "normal_pkg": normal_files,
        "enum_pkg": enum_files,
        "writes_pkg": writes_files,
        "hostile_pkg": hostile_files,
        "python_mode_pkg": python_mode_files,
        "range_pkg": range_files,
        "colliding_pkg": build(COLLIDING_DB),
        "empty_pkg": build(Database(schemas=("public",))),
    }
    for name, files in trees.items():
        write_tree(root / name, files)
    return root


def test_generated_trees_pass_ruff_check_with_default_rules_and_isort(quality_dir: Path) -> None:
    pkgs = sorted(p.name for p in quality_dir.iterdir())
    default = _run([*RUFF_CHECK, *pkgs], quality_dir)
    assert default.returncode == 0, default.stdout + default.stderr
    selected = _run([*RUFF_CHECK, "--select", "E4,E7,E9,F,I,RUF022", *pkgs], quality_dir)
    assert selected.returncode == 0, selected.stdout + selected.stderr


@pytest.mark.parametrize(
    "db",
    [HOSTILE_DB, COLLIDING_DB, ENUM_DB, NORMAL_DB],
    ids=["hostile", "colliding", "enum", "normal"],
)
def test_builtin_templates_need_no_fix_pass_beyond_the_package_all(db: Database) -> None:
    # generate runs ruff's fixes only over __init__.py files for the built-in templates.
    rendered = render_tree(db, VERSION)
    assert format_tree(rendered, fix_all=False) == format_tree(rendered, fix_all=True)


def test_generated_trees_are_already_ruff_formatted(quality_dir: Path) -> None:
    pkgs = sorted(p.name for p in quality_dir.iterdir())
    result = _run(
        [str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", *pkgs], quality_dir
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_trees_pass_mypy_strict(quality_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    pkgs = sorted(p.name for p in quality_dir.iterdir())
    result = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            "--no-error-summary",
            *pkgs,
        ],
        quality_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- 6. determinism ------------------------------------------------------------------------------


ALL_DB = Database(
    schemas=("public",),
    enums=(*NORMAL_DB.enums, *ENUM_DB.enums, *HOSTILE_DB.enums),
    tables=(*NORMAL_DB.tables, *ENUM_DB.tables, *WRITES_DB.tables, *HOSTILE_DB.tables),
).sorted()


def _digest(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return digest.hexdigest()


def _shuffled(db: Database, seed: int) -> Database:
    rng = random.Random(seed)
    tables = [
        dataclasses.replace(t, foreign_keys=tuple(rng.sample(t.foreign_keys, len(t.foreign_keys))))
        for t in db.tables
    ]
    return dataclasses.replace(
        db,
        tables=tuple(rng.sample(tables, len(tables))),
        enums=tuple(rng.sample(db.enums, len(db.enums))),
    )


def test_rendering_is_byte_identical_across_runs_and_input_orders() -> None:
    first = build(ALL_DB)
    assert build(ALL_DB) == first
    for seed in (1, 2, 3):
        shuffled = _shuffled(ALL_DB, seed)
        assert shuffled != ALL_DB
        assert build(shuffled.sorted()) == first
    assert ir.from_json(ir.to_json(ALL_DB)) == ALL_DB


_HASH_SCRIPT = """
import hashlib, sys
from pathlib import Path
from sync_schema import ir
from sync_schema.format import format_tree
from sync_schema.render import render_tree
from sync_schema.snapshot import VersionInfo
db = ir.from_json(Path(sys.argv[1]).read_text(encoding="utf-8"))
version = VersionInfo(int(sys.argv[2]), sys.argv[3], sys.argv[4])
files = format_tree(render_tree(db, version))
digest = hashlib.sha256()
for rel in sorted(files):
    digest.update(rel.encode() + b"\\0" + files[rel].encode() + b"\\0")
print(digest.hexdigest())
"""


def test_rendering_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    snapshot = tmp_path / "db.json"
    snapshot.write_text(ir.to_json(ALL_DB), encoding="utf-8")
    argv = [str(snapshot), str(VERSION.schema_version), VERSION.last_sync, VERSION.db_hash]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _HASH_SCRIPT, *argv],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("0", "4242")
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        outputs.append(out.strip())
    assert outputs[0] == outputs[1] == _digest(build(ALL_DB))


# --- 7. versioning -------------------------------------------------------------------------------


NOW = datetime(2025, 6, 7, 10, 11, 12, 987654, tzinfo=timezone(timedelta(hours=2)))


def test_same_hash_keeps_version_and_last_sync() -> None:
    previous = VersionInfo(4, "2024-01-02T03:04:05Z", "h1", generator_version="0.0.1")
    result = next_version(previous, "h1", NOW)
    assert (result.schema_version, result.last_sync, result.db_hash) == (
        4,
        "2024-01-02T03:04:05Z",
        "h1",
    )


def test_new_hash_bumps_version_and_stamps_now_in_utc() -> None:
    previous = VersionInfo(4, "2024-01-02T03:04:05Z", "h1")
    result = next_version(previous, "h2", NOW)
    assert result == VersionInfo(5, "2025-06-07T08:11:12Z", "h2", __version__)
    assert datetime.fromisoformat(result.last_sync) == NOW.astimezone(UTC).replace(microsecond=0)


def test_first_version_is_one() -> None:
    result = next_version(None, "h", datetime(2025, 1, 1, tzinfo=UTC))
    assert (result.schema_version, result.last_sync) == (1, "2025-01-01T00:00:00Z")


def test_schema_version_module_records_the_version(
    normal_files: dict[str, str], load: Loader
) -> None:
    tree = load(normal_files)
    recorded = {
        name: getattr(tree.pkg, name)
        for name in ("SCHEMA_VERSION", "LAST_SYNC", "DB_HASH", "GENERATOR_VERSION")
    }
    assert recorded == {
        "SCHEMA_VERSION": VERSION.schema_version,
        "LAST_SYNC": VERSION.last_sync,
        "DB_HASH": VERSION.db_hash,
        "GENERATOR_VERSION": __version__,
    }
    assert tree.version.DB_HASH is tree.pkg.DB_HASH


# --- 8. --templates -----------------------------------------------------------------------------


def test_user_template_overrides_the_builtin_one(tmp_path: Path, load: Loader) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    # A user copies the built-in template and adds to it.
    builtin = (ROOT / "templates" / "enums.py.jinja").read_text(encoding="utf-8")
    (templates / "enums.py.jinja").write_text(
        builtin + "\n\nCUSTOM_TEMPLATE = {{ enums | length }}\n", encoding="utf-8"
    )
    files = build(ENUM_DB, templates=templates)
    builtin_files = build(ENUM_DB)
    assert files["enums.py"] != builtin_files["enums.py"]
    assert {k: v for k, v in files.items() if k != "enums.py"} == {
        k: v for k, v in builtin_files.items() if k != "enums.py"
    }
    tree = load(files)
    assert tree.enums.CUSTOM_TEMPLATE == 2
    assert [m.value for m in tree.enums.TaskStatus] == list(ENUM_LABELS)


def test_missing_templates_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="templates folder not found"):
        render_tree(ENUM_DB, VERSION, templates=tmp_path / "nope")


def test_broken_user_template_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "enums.py.jinja").write_text("{{ no_such_variable }}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"enums\.py\.jinja"):
        render_tree(ENUM_DB, VERSION, templates=tmp_path)


# --- 9. unknown types ----------------------------------------------------------------------------


def test_unknown_type_maps_to_any_and_warns_naming_the_column(load: Loader) -> None:
    db = Database(
        schemas=("public",),
        tables=(
            table(
                "gadgets",
                col("id", int4()),
                col("weird", TypeRef(schema="public", name="mytype", kind="base", sql="mytype")),
                col("foreign_enum", enum_type("elsewhere", schema="other"), nullable=True),
            ),
        ),
    )
    messages: list[str] = []
    tree = load(build(db, warn=messages.append))
    assert messages
    assert any("public.gadgets.weird" in m and "mytype" in m for m in messages)
    assert any("public.gadgets.foreign_enum" in m for m in messages)
    assert all("public.gadgets." in m for m in messages)
    assert tree.entities.GadgetRow.__annotations__["weird"] is Any
    assert tree.entities.GadgetRow.__annotations__["foreign_enum"] is Any
    assert tree.models.Gadget.model_fields["weird"].annotation is Any
    gadget = tree.models.Gadget.model_validate({"id": 1, "weird": object, "foreign_enum": 3})
    assert gadget.weird is object


def test_known_types_map_to_their_python_types(normal_files: dict[str, str], load: Loader) -> None:
    tree = load(normal_files)
    org = tree.models.Organization.model_validate(
        {
            "id": "12345678-1234-5678-1234-567812345678",
            "name": "Acme",
            "slug": "acme",
            "type": "company",
            "settings": {"a": [1, None]},
            "balance": "12.50",
            "tags": ["x"],
            "grid": [[1, 2], [3]],
            "kinds": ["nonprofit"],
            "founded": "2024-05-06",
            "created_at": "2024-05-06T07:08:09Z",
            "seats": None,
            "ip": "10.0.0.1/8",
        }
    )
    assert isinstance(org.id, uuid.UUID)
    assert org.balance == Decimal("12.50")
    assert org.founded == date(2024, 5, 6)
    assert org.created_at == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert org.type is tree.enums.OrgType.COMPANY
    assert org.grid == [[1, 2], [3]]
    hints = tree.entities.OrganizationRow.__annotations__
    assert hints["id"] is str
    assert hints["balance"] == float | None
    assert hints["grid"] == list[list[int]] | None
    assert hints["type"] == tree.enums.OrgTypeValue


def test_varchar_and_numeric_limits_are_validated(
    normal_files: dict[str, str], load: Loader
) -> None:
    from pydantic import ValidationError

    tree = load(normal_files)
    base = {"name": "Acme", "slug": "s" * 20, "type": "company"}
    tree.models.OrganizationInsert.model_validate(base)
    with pytest.raises(ValidationError, match="slug"):
        tree.models.OrganizationInsert.model_validate({**base, "slug": "s" * 21})
    with pytest.raises(ValidationError, match="balance"):
        tree.models.OrganizationInsert.model_validate({**base, "balance": "123456789.5"})
    with pytest.raises(ValidationError, match="balance"):
        tree.models.OrganizationInsert.model_validate({**base, "balance": "1.234"})


# --- python mode, frozen models ------------------------------------------------------------------


def test_python_mode_typeddicts_use_python_types(
    python_mode_files: dict[str, str], range_files: dict[str, str], load: Loader
) -> None:
    from psycopg.types.range import Range

    tree = load(python_mode_files)
    hints = tree.entities.OrganizationRow.__annotations__
    assert hints["id"] is uuid.UUID
    assert hints["balance"] == Decimal | None
    assert hints["created_at"] is datetime
    assert hints["founded"] == date | None
    assert hints["settings"] == tree.pkg.Json
    assert load(range_files).entities.BookingRow.__annotations__["seats"] == Range[int] | None


def test_frozen_models_option_freezes_rows_only(
    python_mode_files: dict[str, str], load: Loader
) -> None:
    from pydantic import ValidationError

    tree = load(python_mode_files)
    row = tree.models.Profile.model_validate({"id": uuid.uuid4(), "display_name": None})
    with pytest.raises(ValidationError):
        row.display_name = "changed"
    insert = tree.models.ProfileInsert.model_validate({})
    insert.display_name = "changed"
    assert "SchemaRowModel" in tree.fastapi.__all__


# --- regressions ----------------------------------------------------------------------------------


def test_model_with_a_range_column_imports_and_validates(
    range_files: dict[str, str], load: Loader
) -> None:
    booking = load(range_files).models.Booking.model_validate({"id": 1, "seats": None})
    assert booking.seats is None


@pytest.mark.parametrize("column", ["foo", "class_"])
def test_partial_update_by_real_column_name_sets_only_that_column(
    column: str, load: Loader
) -> None:
    update = load(build(AMBIGUOUS_DB)).models.ThingUpdate.model_validate({column: "v"})
    assert update.model_dump(exclude_unset=True) == {column: "v"}


def test_table_named_like_an_imported_type_does_not_shadow_it(load: Loader) -> None:
    tree = load(build(DECIMALS_DB))
    assert not hasattr(tree.models, "DecimalInsert")  # the name stays decimal.Decimal
    insert = tree.models.Decimal2Insert.model_validate({"id": 1, "amount": "1.50"})
    assert insert.amount == Decimal("1.50")


@pytest.mark.parametrize(
    ("schemas", "expected"),
    [
        (["public"], {"public": ""}),
        (["public", "auth"], {"public": "", "auth": "auth."}),
        # Without public, the first schema by name is the flat one.
        (["auth"], {"auth": ""}),
        (["b", "a"], {"a": "", "b": "b."}),
        (["public", "Weird-Schema"], {"public": "", "Weird-Schema": "weird_schema."}),
        # Modules of the root package and keywords are never a schema's package name.
        (
            ["public", "enums", "database", "class"],
            {"public": "", "class": "class_.", "database": "database_2.", "enums": "enums_2."},
        ),
        (["public", "a-b", "a_b"], {"public": "", "a-b": "a_b.", "a_b": "a_b_2."}),
    ],
)
def test_each_schema_but_the_flat_one_gets_a_collision_free_subpackage(
    schemas: list[str], expected: dict[str, str]
) -> None:
    assert schema_packages(schemas) == expected


@pytest.mark.parametrize(
    ("name", "kind", "layer", "expected"),
    [
        ("tstzrange", "range", "python", "Range[datetime]"),
        ("int4multirange", "multirange", "python", "Multirange[int]"),
        ("datemultirange", "multirange", "python", "Multirange[date]"),
        ("nummultirange", "multirange", "json", "str"),
        ("tstzmultirange", "multirange", "pydantic", "str"),
    ],
)
def test_ranges_and_multiranges_map_per_layer(
    name: str, kind: str, layer: str, expected: str
) -> None:
    from sync_schema.model.typemap import TypeMapper

    mapper = TypeMapper(layer=layer, db=Database(schemas=("public",)))  # type: ignore[arg-type]
    ref = TypeRef(schema="pg_catalog", name=name, kind=kind, sql=name)  # type: ignore[arg-type]
    assert mapper.type(ref, "public.t.c").annotation == expected


@pytest.mark.parametrize("name", ["vector", "halfvec", "sparsevec", "citext"])
@pytest.mark.parametrize("layer", ["json", "python", "pydantic"])
def test_extension_types_that_reach_clients_as_text_are_str(name: str, layer: str) -> None:
    from sync_schema.model.typemap import TypeMapper

    warnings: list[str] = []
    mapper = TypeMapper(layer=layer, db=Database(schemas=("public",)), warn=warnings.append)  # type: ignore[arg-type]
    ref = TypeRef(schema="extensions", name=name, kind="base", sql=f"{name}(3)")
    assert mapper.type(ref, "public.t.c").annotation == "str"
    assert warnings == []


# --- names the generator needs --------------------------------------------------------------------


def _bound_names(files: Mapping[str, str]) -> dict[str, list[str]]:
    """Module path -> every top-level name it binds (imports, classes, assignments), repeats kept."""
    bound: dict[str, list[str]] = {}
    for rel, text in files.items():
        if not rel.endswith(".py"):
            continue
        names: list[str] = []
        for node in ast.parse(text).body:
            if isinstance(node, ast.ImportFrom | ast.Import):
                names += [a.asname or a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ClassDef | ast.FunctionDef):
                names.append(node.name)
            elif isinstance(node, ast.AnnAssign | ast.Assign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names += [t.id for t in targets if isinstance(t, ast.Name)]
        bound[rel] = names
    return bound


def _names_of_objects(db: Database, options: Options) -> set[str]:
    names = decide_names(db, options)
    found: set[str] = set()
    for value in (*names.enums.values(), *names.functions.values(), *names.jsonb.values()):
        found.update(value)
    found.update(names.composites.values())
    for tn in names.tables.values():
        found.update(n for n in dataclasses.astuple(tn) if n)
    return found


def test_no_object_name_takes_a_name_the_generator_itself_binds(load: Loader) -> None:
    options = Options(typeddict_types="python", frozen_models=True)
    base = dataclasses.replace(ALL_DB, tables=(*ALL_DB.tables, *RANGE_DB.tables)).sorted()
    plain = build(base, options=options)
    own = {n for ns in _bound_names(plain).values() for n in ns} - _names_of_objects(base, options)
    own.discard("__all__")
    assert {"SchemaRowModel", "SchemaModel", "BaseModel", "Json", "UUID"} <= own
    # Every name the templates bind, asked for by a table and by an enum through [naming].
    hostile = dataclasses.replace(
        base,
        enums=(*base.enums, *(Enum("public", f"e_{i}", ("a",)) for i in range(len(own)))),
        tables=(
            *base.tables,
            *(table(f"t_{i}", col("id", int4()), col("v", text())) for i in range(len(own))),
            # Named like the frozen Row models' base without any override.
            table("schema_row_models", col("id", int4()), col("secret", text(), nullable=True)),
        ),
    ).sorted()
    wanted = sorted(own)
    overrides = {f"public.t_{i}": name for i, name in enumerate(wanted)} | {
        f"public.e_{i}": name for i, name in enumerate(wanted)
    }
    files = build(hostile, options=dataclasses.replace(options, names=overrides))

    for rel, names in _bound_names(files).items():
        assert len(names) == len(set(names)), (rel, sorted(n for n in names if names.count(n) > 1))
    tree = load(files)
    profile = tree.models.Profile.model_validate({"id": uuid.uuid4(), "display_name": None})
    assert set(type(profile).model_fields) == {"id", "display_name"}


def test_a_schema_named_like_the_typed_jsonb_package_gets_its_own_package() -> None:
    assert schema_packages(["public", "jsonb"]) == {"public": "", "jsonb": "jsonb_2."}


def test_a_domain_over_an_array_types_its_columns_as_lists(load: Loader) -> None:
    domain = TypeRef(schema="public", name="tag_list", kind="domain", sql="tag_list")
    db = Database(
        schemas=("public",),
        tables=(table("posts", id_col(), col("tags", domain)),),
        domains=(ir.Domain(schema="public", name="tag_list", base=array(text())),),
    )
    tree = load(build(db))
    assert tree.entities.PostRow.__annotations__["tags"] == list[str]
    post = tree.models.Post.model_validate(
        {"id": "12345678-1234-5678-1234-567812345678", "tags": ["a", "b"]}
    )
    assert post.tags == ["a", "b"]


def test_a_typed_jsonb_class_name_survives_datamodel_code_generator(load: Loader) -> None:
    # pascal("ver2_0") keeps an underscore between digits; datamodel-code-generator would
    # camel-case it away and the tree would import a class its module does not define.
    db = Database(schemas=("public",), tables=(table("t", id_col(), col("ver2_0", jsonb())),))
    schema = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    options = Options(jsonb_schemas={"public.t.ver2_0": schema})
    tree = load(build(db, options=options))
    model = tree.models.T.model_validate(
        {"id": "12345678-1234-5678-1234-567812345678", "ver2_0": {"a": "x"}}
    )
    assert model.model_dump()["ver2_0"] == {"a": "x"}
    assert "ver2_0" in tree.entities.TRow.__annotations__


def test_a_module_holding_only_a_body_alias_is_laid_out_as_isort_wants() -> None:
    # Found by the fuzz: with no Args class before it, the alias sat two blank lines below the
    # imports, and `ruff check --select I` refused the tree.
    body = ir.Function("public", "ingest", (ir.FunctionArg("", jsonb()),), int4())
    files = build(dataclasses.replace(NORMAL_DB, functions=(body,)))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--isolated", "--select", "I", "-"],
        input=files["database/functions.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
