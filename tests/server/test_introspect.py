"""Introspection against a real server: facts, query count, read-only, determinism."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sync_schema import ir
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError
from sync_schema.source.catalog import QueryLog
from sync_schema.source.introspect import introspect, read_only_transaction
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
            "import sys; from sync_schema import ir; from sync_schema.source.introspect import introspect;"
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


def test_a_not_null_not_valid_column_is_nullable_and_so_are_views_that_copy_it(
    pg_server: TempServer, fresh_db: str
) -> None:
    """PostgreSQL 18 checks `NOT NULL ... NOT VALID` on new rows only: old rows hold NULL."""
    if pg_server.major_version < 18:
        pytest.skip("NOT NULL ... NOT VALID is new in PostgreSQL 18")
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            """
            CREATE TABLE public.legacy (id int PRIMARY KEY, v text, w text NOT NULL);
            INSERT INTO public.legacy VALUES (1, NULL, 'w');
            ALTER TABLE public.legacy ADD CONSTRAINT legacy_v_not_null NOT NULL v NOT VALID;
            CREATE VIEW public.v_legacy AS SELECT id, v, w FROM public.legacy;
            CREATE TABLE public.parted (id int, v text) PARTITION BY LIST (id);
            CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES IN (1);
            INSERT INTO public.parted VALUES (1, NULL);
            ALTER TABLE public.parted ADD CONSTRAINT parted_v_not_null NOT NULL v NOT VALID;
            """
        )
        # attnotnull says NOT NULL; only the constraint's convalidated says otherwise.
        attnotnull = conn.execute(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'public.legacy'::regclass"
            " AND attname = 'v'"
        ).fetchone()
        assert attnotnull == (True,)
    db = introspect(fresh_db)

    assert _not_null(db, "legacy") == {"id": True, "v": False, "w": True}
    assert _not_null(db, "v_legacy") == {"id": True, "v": False, "w": True}
    assert _not_null(db, "parted") == {"id": False, "v": False}
    # Once validated, the constraint holds for every row.
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("UPDATE public.legacy SET v = 'now set'")
        conn.execute("ALTER TABLE public.legacy VALIDATE CONSTRAINT legacy_v_not_null")
    validated = introspect(fresh_db)
    assert _not_null(validated, "legacy")["v"]
    assert _not_null(validated, "v_legacy")["v"]


ARRAY_DIMS_SQL = """
CREATE DOMAIN public.int_grid AS integer[][];
CREATE DOMAIN public.grid_alias AS public.int_grid;
CREATE TABLE public.shapes (
    id int PRIMARY KEY, line int[], grid int[][], cube int[][][], dgrid public.int_grid
);
CREATE TABLE public.copied AS SELECT * FROM public.shapes;
CREATE VIEW public.v_shapes AS
    SELECT s.id, s.line, s.grid, o.cube, s.grid AS again, s.grid[1:1] AS sliced, s.dgrid
    FROM public.shapes s LEFT JOIN public.shapes o ON o.id = s.id;
CREATE VIEW public.v_over AS SELECT grid, cube FROM public.v_shapes;
CREATE MATERIALIZED VIEW public.m_shapes AS SELECT grid FROM public.shapes;
CREATE FUNCTION public.grid_of(n int) RETURNS public.int_grid
    LANGUAGE sql AS 'SELECT ARRAY[[n]]::public.int_grid';
CREATE FUNCTION public.plain_grid(g int[][]) RETURNS int[][] LANGUAGE sql AS 'SELECT g';
"""


def _dims(db: ir.Database, relation: str) -> dict[str, int]:
    table = db.table("public", relation)
    assert table is not None
    return {c.name: c.type.array_dims for c in table.columns}


def test_array_dimensions_reach_views_over_tables_and_domains_over_arrays(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(ARRAY_DIMS_SQL)
    db = introspect(fresh_db)

    assert _dims(db, "shapes") == {"id": 0, "line": 1, "grid": 2, "cube": 3, "dgrid": 0}
    # A view column copied from a column has its depth, through outer joins and other views;
    # an expression (a slice) has no declared depth: one dimension, the documented narrowing.
    assert _dims(db, "v_shapes") == {
        "id": 0, "line": 1, "grid": 2, "cube": 3, "again": 2, "sliced": 1, "dgrid": 0,
    }  # fmt: skip
    assert _dims(db, "v_over") == {"grid": 2, "cube": 3}
    assert _dims(db, "m_shapes") == {"grid": 2}
    # CREATE TABLE AS records no depth either.
    assert _dims(db, "copied")["grid"] == 1
    domains = {d.name: d for d in db.domains}
    assert domains["int_grid"].base.array_dims == 2
    assert (domains["grid_alias"].base.name, domains["grid_alias"].base.array_dims) == (
        "int_grid",
        0,
    )
    functions = {f.name: f for f in db.functions}
    returns = functions["grid_of"].returns
    assert returns is not None
    assert (returns.kind, returns.name) == ("domain", "int_grid")
    # pg_proc keeps no depth: int[][] in a signature is int[].
    plain = functions["plain_grid"].returns
    assert plain is not None
    assert plain.array_dims == 1


# Every session setting a client can bring that changes how the catalog prints a constant.
HOSTILE_SESSION = (
    "-c DateStyle=SQL,DMY -c TimeZone=America/New_York -c IntervalStyle=sql_standard"
    " -c extra_float_digits=0 -c bytea_output=escape -c quote_all_identifiers=on"
    " -c standard_conforming_strings=off -c client_encoding=LATIN1 -c lc_monetary=C.utf8"
)

CONSTANTS_SQL = r"""
create domain positive_span as interval default '1 day 02:03:04'
    check (value > '00:00:00'::interval);
create table "Constants" (
    id int primary key,
    "Starts" timestamptz not null default '2024-01-02 03:04:05+00',
    on_date date default '2024-03-04' check (on_date > '2000-01-31'),
    span interval default '1 year 2 mons 3 days 04:05:06.5' check (span < '10 years'),
    ratio float8 default 0.1 check (ratio <> 1.0000000000000002),
    small real default 0.3,
    blob bytea default '\x00ff5c'::bytea check (blob <> '\xdeadbeef'::bytea),
    at_time timetz default '04:05:06+02',
    stamp timestamp default '2024-01-02 03:04:05.678',
    price money default 12.34,
    note text default E'back\\slash' check (note <> 'quote''s'),
    shouted text generated always as (upper(note)) stored,
    own_span positive_span,
    check ("Starts" < '2100-01-01 00:00:00+00')
);
comment on table "Constants" is 'arrow → and ünïcode';
"""


def test_session_output_settings_change_neither_the_json_nor_the_hash(fresh_db: str) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(CONSTANTS_SQL)
    hostile = make_conninfo(fresh_db, options=HOSTILE_SESSION)
    with psycopg.connect(hostile) as conn:  # the settings do reach the session
        assert conn.execute("select '2024-03-04'::date::text").fetchone() == ("04/03/2024",)

    plain, odd = introspect(fresh_db), introspect(hostile)

    assert ir.to_json(odd) == ir.to_json(plain)
    assert ir.db_hash(odd) == ir.db_hash(plain)
    defaults = {c.name: c.default for c in plain.tables[0].columns}
    assert defaults["Starts"] == "'2024-01-02 03:04:05+00'::timestamp with time zone"
    assert defaults["blob"] == "'\\x00ff5c'::bytea"


class StallingProxy:
    """A TCP front for the test server: relays replies up to the n-th ReadyForQuery, then none."""

    def __init__(self, socket_path: str, ready_messages: int = 1) -> None:
        self.socket_path = socket_path
        self.ready_messages = ready_messages
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.dropped_bytes = 0
        self._sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.socket_path)
            self._sockets += [client, server]
            threading.Thread(target=self._requests, args=(client, server), daemon=True).start()
            threading.Thread(target=self._replies, args=(server, client), daemon=True).start()

    @staticmethod
    def _requests(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _replies(self, src: socket.socket, dst: socket.socket) -> None:
        pending, stalled, ready = b"", False, 0
        try:
            while data := src.recv(65536):
                if stalled:
                    self.dropped_bytes += len(data)
                    continue
                pending += data
                # Whole messages (type byte, int32 length) up to the n-th ReadyForQuery.
                while len(pending) >= 5 and len(pending) >= 1 + int.from_bytes(pending[1:5]):
                    size = 1 + int.from_bytes(pending[1:5])
                    message, pending = pending[:size], pending[size:]
                    dst.sendall(message)
                    ready += message[:1] == b"Z"
                    if ready == self.ready_messages:
                        stalled = True
                        self.dropped_bytes += len(pending)
                        break
            if not stalled:
                dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def dsn(self, dbname: str) -> str:
        """A URL through the proxy (no SSL or GSS negotiation: plain protocol messages only)."""
        return (
            f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
            "?sslmode=disable&gssencmode=disable"
        )

    def close(self) -> None:
        """Close the listener and every relayed socket."""
        for sock in self._sockets:
            sock.close()


@pytest.fixture(params=[1, 4], ids=["after-startup", "amid-catalog-queries"])
def stalling_proxy(
    fresh_db: str, request: pytest.FixtureRequest
) -> Iterator[tuple[StallingProxy, str]]:
    """(proxy, dsn through it) for fresh_db's server, with one table to introspect.

    Replies stop after the connection's startup, or after BEGIN and the two SETs of the
    read-only transaction, while the pipelined catalog queries wait for their rows.
    """
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("create table t (id int primary key)")
    params = conninfo_to_dict(fresh_db)
    proxy = StallingProxy(f"{params['host']}/.s.PGSQL.{params['port']}", request.param)
    yield proxy, proxy.dsn(str(params["dbname"]))
    proxy.close()


def test_a_server_that_stops_answering_ends_introspection_with_a_database_error(
    stalling_proxy: tuple[StallingProxy, str], caplog: pytest.LogCaptureFixture
) -> None:
    proxy, dsn = stalling_proxy
    outcome: list[BaseException | ir.Database] = []

    def run() -> None:
        try:
            outcome.append(introspect(dsn, statement_timeout_ms=500))
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    with caplog.at_level("WARNING", logger="psycopg"):
        worker.start()
        worker.join(60)  # a safety net, not a measure of speed: the deadline is a few seconds

    assert not worker.is_alive(), "introspection still waiting on a silent server"
    assert proxy.dropped_bytes > 0  # the server did answer; the answers never arrived
    [error] = outcome
    assert isinstance(error, DatabaseError), error
    assert "stopped answering" in error.message
    assert "statement-timeout" in error.hint
    assert [r.getMessage() for r in caplog.records] == []  # the pipeline closed quietly


def test_check_against_a_silent_server_exits_2(
    stalling_proxy: tuple[StallingProxy, str], tmp_path: Path
) -> None:
    _proxy, dsn = stalling_proxy
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\nstatement-timeout = 500\n")
    check = subprocess.Popen(
        [sys.executable, "-m", "sync_schema", "check", "--db-url", dsn, "--out", "schemas"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _out, err = check.communicate(timeout=60)
    finally:
        check.kill()

    assert check.returncode == 2, err
    assert "stopped answering" in err
    assert "hint:" in err
    assert "Traceback" not in err
    assert "error ignored" not in err


def test_a_statement_timeout_exits_2_with_a_hint_to_raise_it(fresh_db: str, tmp_path: Path) -> None:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(
            "create table a (id int primary key); create table g (x int, y int generated always"
            " as (x + 1) stored); create table z (id int primary key)"
        )
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\nstatement-timeout = 500\n")
    # A lock holder blocks the columns query (printing g's generated expression opens g):
    # a timeout in the middle of the pipeline, every time.
    with psycopg.connect(fresh_db) as locker:
        locker.execute("lock table g in access exclusive mode")
        result = subprocess.run(
            [sys.executable, "-m", "sync_schema", "check", "--db-url", fresh_db, "--out", "schemas"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    assert result.returncode == 2, result.stderr
    assert "statement timeout (500 ms)" in result.stderr
    assert "statement-timeout in [tool.sync-schema]" in result.stderr.split("hint:", 1)[1]
    assert "error ignored" not in result.stderr
