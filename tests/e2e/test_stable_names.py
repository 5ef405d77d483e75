"""Stable names: the committed schema.json locks every class name to its object (issue #18)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import psycopg
import pytest

from sync_schema import ir
from sync_schema.drift import SchemaSync, Severity
from sync_schema.model.names import decide_names, name_lock
from sync_schema.options import Options
from sync_schema.snapshot import Manifest, VersionInfo, read_snapshot, snapshot_json
from tests.e2e.test_cli import Cli, make_cli
from tests.unit.test_drift import BIGINT, INTEGER, col, func, table
from tests.unit.test_drift import database as unsorted_database


def database(*objects: object, schemas: tuple[str, ...] = ("public",)) -> ir.Database:
    """The objects in introspection's order (sorted), as the allocator sees them."""
    return unsorted_database(*objects, schemas=schemas).sorted()


USERS = table("users", col("id", INTEGER), col("email"))
USER = table("user", col("id", INTEGER))
F_INT = func("f", INTEGER)
F_BIGINT = func("f", BIGINT)


def rows(db: ir.Database, lock: dict[str, str] | None = None, **options: object) -> dict[str, str]:
    names = decide_names(db, Options(**options), lock)  # type: ignore[arg-type]
    return {q: t.row for q, t in names.tables.items()}


def args(db: ir.Database, lock: dict[str, str] | None = None) -> dict[str, str]:
    return {sig: n[0] for sig, n in decide_names(db, Options(), lock).functions.items()}


def lock_of(db: ir.Database, **options: object) -> dict[str, str]:
    return name_lock(decide_names(db, Options(**options)))  # type: ignore[arg-type]


# --- the allocator -------------------------------------------------------------------------------


def test_without_a_lock_the_first_in_sorted_order_takes_the_name() -> None:
    # Today's deterministic placement, kept when there is no schema.json.
    assert rows(database(USERS, USER)) == {"public.user": "UserRow", "public.users": "User2Row"}
    assert args(database(F_INT, F_BIGINT)) == {
        "public.f(bigint)": "FArgs",
        "public.f(integer)": "F2Args",
    }


def test_an_added_table_that_collides_takes_the_suffix_not_the_locked_table() -> None:
    lock = lock_of(database(USERS))

    assert rows(database(USERS, USER), lock) == {
        "public.users": "UserRow",
        "public.user": "User2Row",
    }


def test_an_added_overload_is_numbered_after_the_locked_one() -> None:
    lock = lock_of(database(F_INT))

    assert args(database(F_INT, F_BIGINT), lock) == {
        "public.f(integer)": "FArgs",
        "public.f(bigint)": "F2Args",
    }


def test_an_added_schema_renames_no_class_of_the_others() -> None:
    def users(schema: str) -> ir.Table:
        return dataclasses.replace(USERS, schema=schema)

    two = database(users("public"), users("zabbix"), schemas=("public", "zabbix"))
    three = database(
        users("public"),
        users("roundcube"),
        users("zabbix"),
        schemas=("public", "roundcube", "zabbix"),
    )
    assert rows(three)["zabbix.users"] == "User3Row"  # the renumbering the lock prevents

    assert rows(three, lock_of(two)) == {
        "public.users": "UserRow",
        "zabbix.users": "User2Row",
        "roundcube.users": "User3Row",
    }


def test_a_removed_object_frees_nothing_it_did_not_hold_and_the_rest_keep_their_numbers() -> None:
    lock = lock_of(database(USERS, USER))  # user: User, users: User2

    assert rows(database(USERS), lock) == {"public.users": "User2Row"}


def test_deciding_again_with_its_own_lock_changes_nothing() -> None:
    db = database(USERS, USER, F_INT, F_BIGINT)
    names = decide_names(db, Options())

    assert decide_names(db, Options(), name_lock(names)) == names


def test_a_changed_naming_override_wins_over_the_lock() -> None:
    people = table("people", col("id", INTEGER))
    lock = lock_of(database(USERS, people))

    # Renaming one class through [naming] is the user's choice: it is honoured ...
    assert rows(database(USERS, people), lock, names={"public.people": "Member"}) == {
        "public.people": "MemberRow",
        "public.users": "UserRow",
    }
    # ... even when it claims a name another object held, which then moves (and diff says so).
    assert rows(database(USERS, people), lock, names={"public.people": "User"}) == {
        "public.people": "UserRow",
        "public.users": "User2Row",
    }


def test_a_removed_naming_override_returns_to_the_natural_name() -> None:
    lock = lock_of(database(USERS), names={"public.users": "Account"})

    assert rows(database(USERS), lock) == {"public.users": "UserRow"}


def test_a_table_row_type_record_follows_its_locked_table() -> None:
    tagged = table("tags", col("id", INTEGER))
    holder = table("holders", col("tag", ir.TypeRef("public", "tags", "composite", "tags")))
    other = table("tag", col("id", INTEGER))
    lock = lock_of(database(tagged, holder))

    names = decide_names(database(tagged, holder, other), Options(), lock)

    assert names.tables["public.tags"].row == "TagRow"
    assert names.composites["public.tags"] == "TagRecord"
    assert names.tables["public.tag"].row == "Tag2Row"


def members(db: ir.Database, lock: dict[str, str] | None = None) -> dict[str, str]:
    names = decide_names(db, Options(), lock)
    (enum,) = db.enums
    return dict(zip(enum.labels, names.members[enum.qualified_name], strict=True))


def test_an_added_label_whose_member_name_collides_takes_the_suffix() -> None:
    # `on-hold` added BEFORE `on_hold` sorts first: without the lock it would take ON_HOLD.
    before = database(ir.Enum("public", "status", ("active", "on_hold")))
    after = database(ir.Enum("public", "status", ("active", "on-hold", "on_hold")))
    lock = lock_of(before)

    assert members(after) == {"active": "ACTIVE", "on-hold": "ON_HOLD", "on_hold": "ON_HOLD_2"}
    assert members(after, lock) == {
        "active": "ACTIVE",
        "on_hold": "ON_HOLD",
        "on-hold": "ON_HOLD_2",
    }
    assert lock["member public.status.on_hold"] == "ON_HOLD"


def test_a_member_naming_override_wins_over_the_member_lock() -> None:
    db = database(ir.Enum("public", "status", ("active", "on_hold")))
    lock = lock_of(db)

    names = decide_names(db, Options(names={"public.status.on_hold": "PAUSED"}), lock)
    (change,) = SchemaSync(db, db, local_names=lock, db_names=name_lock(names)).compare_schemas()

    assert names.members["public.status"] == ("ACTIVE", "PAUSED")
    # Code that spells Status.ON_HOLD breaks: diff says so, HIGH.
    assert (change.kind, change.name, change.severity) == ("ENUM", "status", Severity.HIGH)
    assert change.details[0].items == ("Status.ON_HOLD -> Status.PAUSED",)


def test_the_lock_is_recorded_in_schema_json_and_read_back() -> None:
    db = database(USERS, USER, F_INT)
    lock = lock_of(db)
    parts = ir.json_parts(db)
    text = snapshot_json(parts, VersionInfo(1, "x", ir.hash_parts(parts)), Manifest("i", {}), lock)

    assert read_snapshot(text).names == lock
    assert lock == {
        "function public.f(integer)": "F",
        "table public.user": "User",
        "table public.users": "User2",
    }
    # One name per line, so a review sees which names moved.
    assert '\n"table public.users": "User2"\n' in text


def test_a_class_rename_of_an_existing_object_is_a_high_change_of_its_own() -> None:
    old, new = database(USERS), database(USERS, USER)
    moved = SchemaSync(old, new, local_names=lock_of(old), db_names=lock_of(new)).compare_schemas()
    kept = SchemaSync(
        old,
        new,
        local_names=lock_of(old),
        db_names=name_lock(decide_names(new, Options(), lock_of(old))),
    ).compare_schemas()

    renamed = [c for c in moved if c.name == "users"]
    assert [(c.kind, c.severity, c.change) for c in renamed] == [
        ("TABLE", Severity.HIGH, "modified")
    ]
    assert renamed[0].details[0].items[0] == "UserRow -> User2Row"
    assert [(c.name, c.change) for c in kept] == [("user", "added")]


# --- end to end, against the real server ---------------------------------------------------------


def run_sql(dsn: str, sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def class_body(path: Path, name: str) -> str:
    text = path.read_text(encoding="utf-8")
    found = re.search(rf"^class {name}\b.*?(?=^class |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found is not None, name
    return found[0]


def generate(cli: Cli, *args: str) -> None:
    result = cli("generate", *args)
    assert result.returncode == 0, result.stderr


def diff_json(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("diff", "--format", "json", *args)
    assert result.returncode in (0, 1), result.stderr
    changes: list[dict[str, object]] = json.loads(result.stdout)["changes"]
    return changes


@pytest.mark.postgres
def test_adding_table_user_beside_users_keeps_user_row_on_users(
    tmp_path: Path, fresh_db: str
) -> None:
    cli = make_cli(tmp_path)
    args = ("--db-url", fresh_db, "--out", "schemas")
    run_sql(fresh_db, "create table public.users (id int primary key, email text not null)")
    generate(cli, *args)
    run_sql(fresh_db, 'create table public."user" (id int primary key, nick text)')

    changes = diff_json(cli, *args)
    generate(cli, *args)

    assert [(c["name"], c["change"], c["severity"]) for c in changes] == [("user", "added", "LOW")]
    entities = tmp_path / "schemas" / "database" / "entities.py"
    assert "email: str" in class_body(entities, "UserRow")
    assert "nick: str | None" in class_body(entities, "User2Row")
    assert cli("check", *args).returncode == 0
    lock = json.loads((tmp_path / "schemas" / "schema.json").read_text())["names"]
    assert (lock["table public.users"], lock["table public.user"]) == ("User", "User2")


@pytest.mark.postgres
def test_adding_an_overload_keeps_the_existing_overloads_classes(
    tmp_path: Path, fresh_db: str
) -> None:
    cli = make_cli(tmp_path)
    args = ("--db-url", fresh_db, "--out", "schemas")
    run_sql(
        fresh_db,
        "create table public.t (id int primary key);"
        "create function public.f(a int) returns int language sql as 'select a'",
    )
    generate(cli, *args)
    run_sql(
        fresh_db, "create function public.f(a bigint) returns bigint language sql as 'select a'"
    )

    changes = diff_json(cli, *args)
    generate(cli, *args)

    assert [c["severity"] for c in changes] == ["LOW"]
    functions = tmp_path / "schemas" / "database" / "functions.py"
    assert "public.f(integer)" in class_body(functions, "FArgs")
    assert "public.f(bigint)" in class_body(functions, "F2Args")
    lock = json.loads((tmp_path / "schemas" / "schema.json").read_text())["names"]
    assert (lock["function public.f(integer)"], lock["function public.f(bigint)"]) == ("F", "F2")
    assert cli("check", *args).returncode == 0


@pytest.mark.postgres
def test_adding_a_schema_keeps_the_class_names_of_the_others(tmp_path: Path, fresh_db: str) -> None:
    cli = make_cli(tmp_path)
    two = ("--db-url", fresh_db, "--out", "schemas", "--schema", "public", "--schema", "zabbix")
    run_sql(
        fresh_db,
        "create schema zabbix; create schema roundcube;"
        "create table public.users (id int primary key, email text not null);"
        "create table zabbix.users (userid bigint primary key, alias text);"
        "create table roundcube.users (user_id int primary key, username text not null)",
    )
    generate(cli, *two)
    three = (*two, "--schema", "roundcube")

    changes = diff_json(cli, *three)
    generate(cli, *three)

    assert {(c["object_type"], c["change"], c["severity"]) for c in changes} == {
        ("SCHEMA", "added", "LOW"),
        ("TABLE", "added", "LOW"),
    }
    zabbix = tmp_path / "schemas" / "zabbix" / "database" / "entities.py"
    roundcube = tmp_path / "schemas" / "roundcube" / "database" / "entities.py"
    assert "userid: int" in class_body(zabbix, "User2Row")
    assert "username: str" in class_body(roundcube, "User3Row")
    assert cli("check", *three).returncode == 0


@pytest.mark.postgres
def test_diff_names_hand_edited_and_missing_files_as_file_changes(
    tmp_path: Path, fresh_db: str
) -> None:
    cli = make_cli(tmp_path)
    args = ("--db-url", fresh_db, "--out", "schemas")
    run_sql(fresh_db, "create table public.users (id int primary key, email text not null)")
    generate(cli, *args)
    with (tmp_path / "schemas" / "enums.py").open("a", encoding="utf-8") as handle:
        handle.write("EXTRA = 1  # hand edit\n")
    (tmp_path / "schemas" / "database" / "views.py").unlink()

    result = cli("diff", *args)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("No schema change: the generated files differ")
    assert "  changed  schemas/enums.py" in lines
    assert "  missing  schemas/database/views.py" in lines
    assert "No schema changes." not in result.stdout
