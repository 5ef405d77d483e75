"""Introspection against a real server: facts, query count, read-only, determinism."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest

from generator import ir
from generator.introspect import QueryLog, introspect, read_only_transaction
from generator.pgserver import apply_migrations
from tests.conftest import MIGRATIONS

pytestmark = pytest.mark.postgres


@pytest.fixture
def example_db(fresh_db: str) -> ir.Database:
    apply_migrations(fresh_db, MIGRATIONS)
    return introspect(fresh_db)


def test_enum_labels_keep_postgres_order(example_db: ir.Database) -> None:
    status = example_db.enum("public", "project_status")
    assert status is not None
    assert status.labels == ("pending", "active", "on_hold", "archived")
    org_type = example_db.enum("public", "org_type")
    assert org_type is not None
    assert org_type.labels == ("company", "nonprofit", "government", "personal")
    assert org_type.comment is not None


def test_columns_carry_nullability_defaults_and_typmods(example_db: ir.Database) -> None:
    orgs = example_db.table("public", "organizations")
    assert orgs is not None
    assert [c.name for c in orgs.columns][:3] == ["id", "name", "slug"]
    slug = orgs.column("slug")
    assert slug is not None
    assert (slug.nullable, slug.type.name, slug.type.max_length) == (False, "varchar", 64)
    billing = orgs.column("billing_email")
    assert billing is not None
    assert billing.nullable
    assert billing.comment is not None
    assert "owner's" in billing.comment
    org_id = orgs.column("id")
    assert org_id is not None
    assert org_id.default == "gen_random_uuid()"
    assert orgs.column("updated_at") is None  # dropped by the last migration
    projects = example_db.table("public", "projects")
    assert projects is not None
    budget = projects.column("budget")
    assert budget is not None
    assert (budget.type.precision, budget.type.scale) == (12, 2)
    tags = projects.column("tags")
    assert tags is not None
    assert (tags.type.name, tags.type.array_dims) == ("text", 1)
    status = projects.column("status")
    assert status is not None
    assert (status.type.kind, status.type.name) == ("enum", "project_status")


def test_identity_and_generated_columns_are_flagged(example_db: ir.Database) -> None:
    projects = example_db.table("public", "projects")
    requirements = example_db.table("public", "requirements")
    assert projects is not None
    assert requirements is not None
    project_id = projects.column("id")
    assert project_id is not None
    assert project_id.identity == "always"
    req_id = requirements.column("id")
    assert req_id is not None
    assert req_id.identity == "by_default"
    title_length = requirements.column("title_length")
    assert title_length is not None
    assert title_length.generated == "stored"
    assert title_length.generation_expression is not None
    assert title_length.default is None
    grid = requirements.column("grid")
    assert grid is not None
    assert grid.type.array_dims == 2


def test_foreign_keys_and_composite_primary_keys(example_db: ir.Database) -> None:
    members = example_db.table("public", "organization_members")
    assert members is not None
    assert members.primary_key is not None
    assert members.primary_key.columns == ("organization_id", "profile_id")
    targets = {(fk.columns, fk.target_table, fk.target_columns) for fk in members.foreign_keys}
    assert targets == {
        (("organization_id",), "organizations", ("id",)),
        (("profile_id",), "profiles", ("id",)),
    }
    projects = example_db.table("public", "projects")
    assert projects is not None
    (fk,) = projects.foreign_keys
    assert fk.on_delete == "cascade"


def test_key_columns_are_named_in_key_order_wherever_the_target_lives(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            """
            create schema other;
            create table other.accounts (gone int, id int primary key);
            alter table other.accounts drop column gone;
            create table public.measures (region text, day date, n int) partition by list (region);
            create table public.measures_eu partition of public.measures for values in ('eu');
            alter table public.measures_eu add primary key (day);
            create table public.pairs (dropped int, b int, a int, primary key (a, b));
            alter table public.pairs drop column dropped;
            create table public.links (
                id int,
                a int, b int,
                account int references other.accounts (id),
                eu_day date references public.measures_eu (day),
                foreign key (b, a) references public.pairs (b, a),
                unique (b, id),
                check (a < b),
                check (tableoid::regclass::text <> 'x')
            );
            """
        )
    links = introspect(fresh_db).table("public", "links")
    assert links is not None
    assert {
        (fk.columns, fk.target_schema, fk.target_table, fk.target_columns)
        for fk in links.foreign_keys
    } == {
        (("account",), "other", "accounts", ("id",)),
        (("eu_day",), "public", "measures_eu", ("day",)),
        (("b", "a"), "public", "pairs", ("b", "a")),
    }
    assert [u.columns for u in links.unique_constraints] == [("b", "id")]
    assert len(links.check_constraints) == 2
    pairs = introspect(fresh_db).table("public", "pairs")
    assert pairs is not None
    assert pairs.primary_key is not None
    assert pairs.primary_key.columns == ("a", "b")


def test_views_checks_and_comments(example_db: ir.Database) -> None:
    view = example_db.table("public", "project_overview")
    matview = example_db.table("public", "organization_stats")
    assert view is not None
    assert matview is not None
    assert (view.kind, matview.kind) == ("view", "materialized_view")
    requirements = example_db.table("public", "requirements")
    assert requirements is not None
    assert any("priority" in c.definition for c in requirements.check_constraints)
    orgs = example_db.table("public", "organizations")
    assert orgs is not None
    assert orgs.comment is not None
    settings = orgs.column("settings")
    assert settings is not None
    assert settings.comment is not None
    assert "\n" in settings.comment


def test_query_count_does_not_grow_with_tables(fresh_db: str) -> None:
    def count_after_creating(n: int) -> int:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            for i in range(n):
                conn.execute(
                    f"create table if not exists t{i} (id int primary key, "
                    f"parent int references t0(id), note text default 'x')"
                    if i
                    else "create table if not exists t0 (id int primary key)"
                )
        log = QueryLog()
        introspect(fresh_db, log=log)
        return log.count

    assert count_after_creating(10) == count_after_creating(200)


def test_introspection_transaction_rejects_writes(fresh_db: str) -> None:
    with psycopg.connect(fresh_db) as conn:
        conn.execute("create table t (id int)")
        conn.commit()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):  # noqa: SIM117
            with read_only_transaction(conn):
                conn.execute("insert into t values (1)")


def test_same_database_gives_same_json_and_hash(fresh_db: str) -> None:
    apply_migrations(fresh_db, MIGRATIONS)
    first, second = introspect(fresh_db), introspect(fresh_db)
    assert ir.to_json(first) == ir.to_json(second)
    assert ir.from_json(ir.to_json(first)) == first
    hashes = set()
    for seed in ("0", "12345"):
        script = (
            "import sys; from generator import ir; from generator.introspect import introspect;"
            "print(ir.db_hash(introspect(sys.argv[1])))"
        )
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, fresh_db], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        hashes.add(result.stdout.strip())
    assert hashes == {ir.db_hash(first)}


def test_domains_keep_their_own_name_base_type_nullability_and_checks(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            """
            CREATE DOMAIN public.email AS varchar(320) NOT NULL DEFAULT 'x@example.com'
                CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');
            COMMENT ON DOMAIN public.email IS 'An address with an @.';
            CREATE DOMAIN public.positive_int AS integer CHECK (VALUE > 0);
            CREATE TABLE public.accounts (
                id public.positive_int PRIMARY KEY,
                contact public.email,
                backups public.email[]
            );
            """
        )
    db = introspect(fresh_db)

    assert [d.qualified_name for d in db.domains] == ["public.email", "public.positive_int"]
    email = db.domains[0]
    assert (email.base.name, email.base.max_length, email.nullable) == ("varchar", 320, False)
    assert email.default == "'x@example.com'::character varying"
    assert [c.name for c in email.check_constraints] == ["email_has_at"]
    assert email.comment == "An address with an @."
    accounts = db.table("public", "accounts")
    assert accounts is not None
    contact = accounts.column("contact")
    assert contact is not None
    assert (contact.type.kind, contact.type.name) == ("domain", "email")


VIEWS_SQL = '''
CREATE TABLE public.parent (id int PRIMARY KEY, name text NOT NULL, note text);
CREATE TABLE public.child (
    id int PRIMARY KEY, parent_id int NOT NULL REFERENCES public.parent, label text NOT NULL
);
CREATE VIEW public.inner_join AS
    SELECT p.id, p.name, p.note, c.label FROM public.parent p JOIN public.child c ON c.parent_id = p.id;
CREATE VIEW public.left_join AS
    SELECT p.id, p.name, c.label AS child_label FROM public.parent p
    LEFT JOIN public.child c ON c.parent_id = p.id;
CREATE VIEW public.right_join AS
    SELECT p.name, c.label FROM public.parent p RIGHT JOIN public.child c ON c.parent_id = p.id;
CREATE VIEW public.expressions AS
    SELECT p.id, coalesce(p.note, 'none') AS note, p.name || '!' AS shout, 1 AS one,
           p.name::varchar AS cast_name
    FROM public.parent p WHERE p.name <> 'x';
CREATE VIEW public.unioned AS SELECT id, name FROM public.parent UNION SELECT id, label FROM public.child;
CREATE VIEW public.aggregated AS
    SELECT p.id, count(c.id) AS children FROM public.parent p
    JOIN public.child c ON c.parent_id = p.id GROUP BY p.id;
CREATE VIEW public.over_view AS SELECT id, name, child_label FROM public.left_join;
CREATE VIEW public.over_over AS SELECT v.name, v.label FROM public.inner_join v;
CREATE MATERIALIZED VIEW public.mat AS
    SELECT p.id, c.label, p.note FROM public.parent p JOIN public.child c ON c.parent_id = p.id;
CREATE VIEW public."weird ""name""" AS SELECT p.id AS "a b", p.name AS "c\\d" FROM public.parent p;
'''


def _not_null(db: ir.Database, view: str) -> dict[str, bool]:
    table = db.table("public", view)
    assert table is not None
    return {c.name: not c.nullable for c in table.columns}


def test_view_columns_are_not_null_only_where_the_query_proves_it(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(VIEWS_SQL)
    db = introspect(fresh_db)

    assert _not_null(db, "inner_join") == {"id": True, "name": True, "note": False, "label": True}
    # The right side of a LEFT JOIN, and the left side of a RIGHT JOIN, can be NULL.
    assert _not_null(db, "left_join") == {"id": True, "name": True, "child_label": False}
    assert _not_null(db, "right_join") == {"name": False, "label": True}
    # Expressions (coalesce included), constants and casts are not traced.
    assert not any(_not_null(db, "expressions")[c] for c in ("note", "shout", "one", "cast_name"))
    assert _not_null(db, "expressions")["id"]
    assert _not_null(db, "unioned") == {"id": False, "name": False}
    assert _not_null(db, "aggregated") == {"id": False, "children": False}
    # Views over views inherit what the inner view proved.
    assert _not_null(db, "over_view") == {"id": True, "name": True, "child_label": False}
    assert _not_null(db, "over_over") == {"name": True, "label": True}
    assert _not_null(db, "mat") == {"id": True, "label": True, "note": False}
    assert _not_null(db, 'weird "name"') == {"a b": True, "c\\d": True}
