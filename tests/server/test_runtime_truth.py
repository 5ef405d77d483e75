"""The generated types hold at run time: what Postgres hands back fits them, what they allow goes in.

PostgREST itself is not run: no PostgREST binary is installable here. What it sends is built
by the same server functions it uses, inside the real Postgres: a read is `json_agg` of the
rows, a write is `json_to_recordset` of the body, declared
with the columns it names. psycopg rows come from the real
server through `dict_row`. supabase-py's own client (the `postgrest` package) talks to an
httpx transport that turns each request into that SQL on the real server (PostgrestStandIn).
Every check runs on every server the conftest provides.

The layers promise:
- TypedDicts, `typeddict-types = "json"` (default): PostgREST's JSON, validated strictly.
- TypedDicts, `typeddict-types = "python"`: psycopg rows without registered adapters, strictly.
- Pydantic models: PostgREST's JSON in, and `model_dump(mode="json")` out that Postgres stores
  unchanged; psycopg rows too, except the kinds in PSYCOPG_MODEL_NARROWINGS.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import psycopg
import pytest
from postgrest import APIError, SyncPostgrestClient
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from sync_schema import ir
from sync_schema.config import Overrides, load_settings
from sync_schema.embedded.server import TempServer
from sync_schema.model.names import decide_names
from sync_schema.options import Options
from sync_schema.pipeline import Run, build_files
from sync_schema.source.introspect import introspect
from tests.conftest import dbname

FIXTURE = Path(__file__).parents[1] / "fixtures" / "runtime_truth.sql"

pytestmark = pytest.mark.postgres

#: (relation, column) -> why a Pydantic model does not take psycopg's value (README: "What
#: the types do not promise"). psycopg, without registered adapters, loads these as text.
PSYCOPG_MODEL_NARROWINGS: dict[tuple[str, str], str] = {
    ("arrays", "poss"): "array of a domain: psycopg gives its text form",
    ("parcels", "price"): "composite: psycopg gives its text form",
    ("parcels", "prices"): "array of composites: psycopg gives its text form",
    ("feelings", "moods"): "enum array: psycopg gives its text form",
    ("feelings", "moods_nn"): "enum array: psycopg gives its text form",
    ("catalog", "moods"): "enum array: psycopg gives its text form",
    ("ranges", "during"): "range: psycopg gives a Range, the model the text form",
    ("ranges", "span"): "range: psycopg gives a Range, the model the text form",
    ("ranges", "days"): "range: psycopg gives a Range, the model the text form",
    ("ranges", "amounts"): "range: psycopg gives a Range, the model the text form",
    ("ranges", "busy"): "multirange: psycopg gives a Multirange, the model the text form",
    ("hstores", "hs"): "array of an extension type: psycopg gives its text form",
}

_PSYCOPG_CONFIG = ConfigDict(strict=True, arbitrary_types_allowed=True)


def _list_of(item: Any) -> Any:
    """list[item] for a generated class loaded at run time (a type form mypy cannot check)."""
    return list[item]


@dataclasses.dataclass(frozen=True)
class Tree:
    """The database, its IR and the two generated packages (json and python TypedDicts)."""

    dsn: str
    db: ir.Database
    json_pkg: str
    python_pkg: str

    def module(self, package: str, name: str) -> ModuleType:
        """A module of one of the generated packages."""
        return importlib.import_module(f"{package}.{name}")

    def relations(self) -> list[ir.Table]:
        """Tables and views of the fixture, by name, but `narrowed`."""
        return sorted((t for t in self.db.tables if t.name != "narrowed"), key=lambda t: t.name)

    def row(self, table: ir.Table, *, python: bool = False) -> Any:
        """The Row TypedDict of a relation in the json (or python) package."""
        names = decide_names(self.db, Options()).tables[table.qualified_name]
        return getattr(
            self.module(self.python_pkg if python else self.json_pkg, "database"), names.row
        )

    def td(self, table: ir.Table, variant: str) -> Any:
        """The Insert or Update TypedDict of a table (json package)."""
        names = decide_names(self.db, Options()).tables[table.qualified_name]
        return getattr(self.module(self.json_pkg, "database"), getattr(names, variant))

    def model(self, table: ir.Table, variant: str = "model") -> type[BaseModel]:
        """A Pydantic model of a relation: "model", "model_insert" or "model_update"."""
        names = decide_names(self.db, Options()).tables[table.qualified_name]
        models = self.module(self.json_pkg, "generated.fastapi.models")
        found: type[BaseModel] = getattr(models, getattr(names, variant))
        return found


def _write_tree(db: ir.Database, dsn: str, parent: Path, package: str, mode: str) -> None:
    (parent / "pyproject.toml").write_text(
        f'[tool.sync-schema]\ntypeddict-types = "{mode}"\n', encoding="utf-8"
    )
    root = parent / package
    settings = load_settings(Overrides(db_url=dsn, out=root), cwd=parent)
    for rel, text in build_files(Run.of(settings, db)).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def tree(pg_server: TempServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tree]:
    """The fixture database on this server and both generated packages, importable."""
    name = f"truth_{uuid.uuid4().hex[:12]}"
    dsn = pg_server.create_database(name)
    pg_server.psql(FIXTURE.read_text(encoding="utf-8"), dbname(dsn))
    db = introspect(dsn)
    suffix = f"pg{pg_server.major_version}"
    json_pkg, python_pkg = f"truth_json_{suffix}", f"truth_py_{suffix}"
    parent = tmp_path_factory.mktemp("truth")
    for package, mode in ((json_pkg, "json"), (python_pkg, "python")):
        (parent / mode).mkdir()
        _write_tree(db, dsn, parent / mode, package, mode)
        sys.path.insert(0, str(parent / mode))
    try:
        yield Tree(dsn, db, json_pkg, python_pkg)
    finally:
        for mode in ("json", "python"):
            sys.path.remove(str(parent / mode))
        for mod in [m for m in sys.modules if m.split(".")[0] in (json_pkg, python_pkg)]:
            del sys.modules[mod]
        pg_server.psql(f'drop database if exists "{name}" with (force)')


def _postgrest_json(conn: psycopg.Connection[Any], table: ir.Table) -> str:
    """The body PostgREST sends for `select=*`: json_agg of the rows, built by the server."""
    query = sql.SQL(
        "select coalesce(json_agg(_pgrst_t order by _pgrst_t.id), '[]')::text from {} _pgrst_t"
    ).format(sql.Identifier(table.schema, table.name))
    row = conn.execute(query).fetchone()
    assert row is not None
    text: str = row[0]
    return text


def _errors(error: ValidationError, relation: str) -> dict[tuple[str, str], str]:
    """(relation, column) -> the first message, for every error of a validation of rows."""
    found: dict[tuple[str, str], str] = {}
    for e in error.errors():
        column = next((str(part) for part in e["loc"] if isinstance(part, str)), "?")
        found.setdefault((relation, column), f"{e['msg']} (input {e.get('input')!r})")
    return found


def _report(failures: dict[tuple[str, str], str]) -> str:
    """One line per failing (relation, column)."""
    return "\n".join(f"{r}.{c}: {m}" for (r, c), m in sorted(failures.items()))


def _validate(
    adapter: TypeAdapter[Any], relation: str, **kwargs: Any
) -> dict[tuple[str, str], str]:
    try:
        if "json" in kwargs:
            adapter.validate_json(kwargs.pop("json"), **kwargs)
        else:
            adapter.validate_python(kwargs.pop("python"), **kwargs)
    except ValidationError as error:
        return _errors(error, relation)
    return {}


# --- (a) PostgREST's JSON -------------------------------------------------------------------


def test_postgrest_json_validates_strictly_against_every_row_typeddict(tree: Tree) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn:
        for table in tree.relations():
            adapter: TypeAdapter[Any] = TypeAdapter(_list_of(tree.row(table)))
            body = _postgrest_json(conn, table)
            failures |= _validate(adapter, table.name, json=body, strict=True)
    assert failures == {}, _report(failures)


def test_postgrest_json_validates_against_every_model(tree: Tree) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn:
        for table in tree.relations():
            adapter: TypeAdapter[Any] = TypeAdapter(_list_of(tree.model(table)))
            failures |= _validate(adapter, table.name, json=_postgrest_json(conn, table))
    assert failures == {}, _report(failures)


# --- (b) psycopg rows -------------------------------------------------------------------------


def _psycopg_rows(conn: psycopg.Connection[Any], table: ir.Table) -> list[dict[str, Any]]:
    query = sql.SQL("select * from {} order by id").format(sql.Identifier(table.schema, table.name))
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query).fetchall()


def test_psycopg_rows_validate_strictly_against_the_python_mode_typeddicts(tree: Tree) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn:
        for table in tree.relations():
            row_type = tree.row(table, python=True)
            adapter: TypeAdapter[Any] = TypeAdapter(_list_of(row_type), config=_PSYCOPG_CONFIG)
            failures |= _validate(
                adapter, table.name, python=_psycopg_rows(conn, table), strict=True
            )
    assert failures == {}, _report(failures)


def test_psycopg_rows_validate_against_the_models_except_the_documented_kinds(
    tree: Tree,
) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn:
        for table in tree.relations():
            model = tree.model(table)
            for row in _psycopg_rows(conn, table):
                try:
                    model.model_validate(row)
                except ValidationError as error:
                    failures |= _errors(error, table.name)
    present = {t.name for t in tree.relations()}
    expected = [k for k in PSYCOPG_MODEL_NARROWINGS if k[0] in present]
    assert sorted(failures) == sorted(expected), _report(failures)


# --- (c) writes, the way PostgREST writes -----------------------------------------------------


def _record_columns(table: ir.Table, keys: list[str]) -> sql.Composable:
    """`AS _(col type, ...)` for the keys of a body, as PostgREST declares them."""
    types = {c.name: c.type.sql for c in table.columns}
    return sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(k), sql.SQL(types[k])) for k in keys
    )


def _insert(
    conn: psycopg.Connection[Any], table: ir.Table, value: dict[str, Any]
) -> dict[str, Any]:
    """Insert `value` as PostgREST does (its keys only, json_to_recordset); the stored row."""
    columns = sql.SQL(", ").join(sql.Identifier(k) for k in value)
    query = sql.SQL(
        "with ins as (insert into {t} ({c}) select {c} from json_to_recordset(%s) as _({d})"
        " returning *) select to_json(ins)::text from ins"
    ).format(
        t=sql.Identifier(table.schema, table.name),
        c=columns,
        d=_record_columns(table, list(value)),
    )
    row = conn.execute(query, [json.dumps([value])]).fetchone()
    assert row is not None
    stored: dict[str, Any] = json.loads(row[0])
    return stored


def _update(
    conn: psycopg.Connection[Any], table: ir.Table, key: int, value: dict[str, Any]
) -> dict[str, Any]:
    """Update row `key` as PostgREST does (SET col = body.col from json_to_record)."""
    target = sql.Identifier(table.schema, table.name)
    sets = sql.SQL(", ").join(sql.SQL("{k} = _.{k}").format(k=sql.Identifier(k)) for k in value)
    query = sql.SQL(
        "with up as (update {t} set {s} from json_to_record(%s) as _({d})"
        " where {t}.id = %s returning {t}.*) select to_json(up)::text from up"
    ).format(t=target, s=sets, d=_record_columns(table, list(value)))
    row = conn.execute(query, [json.dumps(value), key]).fetchone()
    assert row is not None, f"no row {key} in {table.name}"
    stored: dict[str, Any] = json.loads(row[0])
    return stored


#: Tables whose rows read back cannot be written again, each pinned by its own test.
READ_ONLY_ROWS = {
    "legacy": "NOT NULL NOT VALID (PostgreSQL 18): old rows hold NULL, new ones cannot"
}


#: Tables whose Insert TypedDict takes another form than the Row's (each pinned by a test).
WRITE_FORMS = {"hstores": "hstore is read as a JSON object and written as hstore's text"}


def _tables(tree: Tree) -> list[ir.Table]:
    return [t for t in tree.relations() if not t.is_view and t.name not in READ_ONLY_ROWS]


def _differences(
    table: ir.Table, sent: dict[str, Any], stored: dict[str, Any]
) -> dict[tuple[str, str], str]:
    return {
        (table.name, k): f"sent {v!r}, stored {stored.get(k)!r}"
        for k, v in sent.items()
        if k != "id" and stored.get(k) != v
    }


def _insert_checked(
    conn: psycopg.Connection[Any], table: ir.Table, sent: dict[str, Any], expected: dict[str, Any]
) -> dict[tuple[str, str], str]:
    """Insert `sent` in a savepoint; the columns stored unlike `expected`, or the error."""
    try:
        with conn.transaction():
            return _differences(table, expected, _insert(conn, table, sent))
    except psycopg.Error as error:
        return {(table.name, "(insert)"): f"{type(error).__name__}: {error}".splitlines()[0]}


def _update_checked(
    conn: psycopg.Connection[Any],
    table: ir.Table,
    key: int,
    sent: dict[str, Any],
    expected: dict[str, Any],
) -> dict[tuple[str, str], str]:
    """Update row `key` with `sent` in a savepoint; the columns stored unlike `expected`."""
    try:
        with conn.transaction():
            return _differences(table, expected, _update(conn, table, key, sent))
    except psycopg.Error as error:
        column = ",".join(sent)
        return {(table.name, column): f"{type(error).__name__}: {error}".splitlines()[0]}


def test_rows_read_back_are_insert_typeddict_values_postgres_stores_unchanged(tree: Tree) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        for table in _tables(tree):
            if table.name in WRITE_FORMS:
                continue
            adapter: TypeAdapter[Any] = TypeAdapter(tree.td(table, "insert"))
            for row in json.loads(_postgrest_json(conn, table)):
                value = {**row, "id": row["id"] + 1000}
                failures |= _validate(adapter, table.name, python=value, strict=True)
                failures |= _insert_checked(conn, table, value, value)
    assert failures == {}, _report(failures)


def test_model_dumps_of_rows_read_back_are_stored_unchanged_on_insert_and_update(
    tree: Tree,
) -> None:
    failures: dict[tuple[str, str], str] = {}
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        for table in _tables(tree):
            insert_model = tree.model(table, "model_insert")
            update_model = tree.model(table, "model_update")
            for row in json.loads(_postgrest_json(conn, table)):
                value = {**row, "id": row["id"] + 1000}
                try:
                    model = insert_model.model_validate_json(json.dumps(value))
                except ValidationError as error:
                    failures |= _errors(error, table.name)
                    continue
                dumped = model.model_dump(mode="json", exclude_unset=True)
                failures |= _insert_checked(conn, table, dumped, value)
                for column, cell in row.items():
                    if column == "id":
                        continue
                    try:
                        patch = update_model.model_validate_json(json.dumps({column: cell}))
                    except ValidationError as error:
                        failures |= _errors(error, table.name)
                        continue
                    body = patch.model_dump(mode="json", exclude_unset=True)
                    failures |= _update_checked(conn, table, row["id"], body, {column: cell})
    assert failures == {}, _report(failures)


# --- functions, as `.rpc()` calls them ---------------------------------------------------------

#: function -> (Args value, SQL call with %s for the JSON body, as PostgREST binds it)
RPC_CALLS: dict[str, tuple[Any, str]] = {
    "ingest": ([1, {"a": None}, "x"], "select to_json(public.ingest(%s::json))::text"),
    "ingest_b": ({"k": [1, 2.5]}, "select to_json(public.ingest_b(%s::jsonb))::text"),
    "moods_of": (
        {"person": 1},
        "select to_json(public.moods_of(person => (%s::json ->> 'person')::integer))::text",
    ),
    "grid_for": (
        {"n": 3},
        "select to_json(public.grid_for(n => (%s::json ->> 'n')::integer))::text",
    ),
    "grid_of": (
        {"n": 3},
        "select to_json(public.grid_of(n => (%s::json ->> 'n')::integer))::text",
    ),
}
#: functions whose results the types do not promise (README: "What the types do not promise")
NARROWED_RPC = {
    "flat_grid": "a function's declared array depth is not in the catalog",
    "texts_or_nothing": "RETURNS SETOF a table is typed as its Row: an outer join breaks it",
    "titles_or_nothing": "(the way out of texts_or_nothing: RETURNS TABLE)",
}


def test_rpc_args_are_accepted_and_results_fit_the_returns_aliases(tree: Tree) -> None:
    functions = tree.module(tree.json_pkg, "database.functions")
    names = decide_names(tree.db, Options()).functions
    by_name = {f.name: names[f.signature] for f in tree.db.functions}
    assert set(by_name) == set(RPC_CALLS) | set(NARROWED_RPC)
    with psycopg.connect(tree.dsn) as conn:
        for name, (args, call) in RPC_CALLS.items():
            args_name, returns_name, _result = by_name[name]
            TypeAdapter(getattr(functions, args_name)).validate_python(args, strict=True)
            row = conn.execute(call, [json.dumps(args)]).fetchone()
            assert row is not None
            returns = TypeAdapter(getattr(functions, returns_name))
            returns.validate_json(row[0], strict=True)


def test_a_function_taking_the_body_as_one_unnamed_json_argument_gets_a_json_args_alias(
    tree: Tree,
) -> None:
    functions = tree.module(tree.json_pkg, "database.functions")
    assert functions.IngestArgs.__name__ == "Json"
    assert functions.IngestBArgs.__name__ == "Json"


# --- writes the types refuse ------------------------------------------------------------------


def _table(tree: Tree, name: str) -> ir.Table:
    return next(t for t in tree.db.tables if t.name == name)


def test_write_models_refuse_none_for_not_null_columns_and_leave_unset_ones_out(
    tree: Tree,
) -> None:
    texts, jsons = _table(tree, "texts"), _table(tree, "jsons")
    for model, values in (
        (tree.model(texts, "model_insert"), {"id": 9, "title": "x", "active": None}),
        (tree.model(texts, "model_update"), {"title": None}),
        (tree.model(jsons, "model_insert"), {"id": 9, "settings": None}),
        (tree.model(jsons, "model_update"), {"raw": None}),
    ):
        with pytest.raises(ValidationError):
            model.model_validate(values)
    insert = tree.model(texts, "model_insert").model_validate({"id": 9, "title": "x"})
    assert insert.model_dump(mode="json", exclude_unset=True) == {"id": 9, "title": "x"}
    update = tree.model(texts, "model_update").model_validate({"t": None})
    assert update.model_dump(mode="json", exclude_unset=True) == {"t": None}
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        stored = _insert(conn, texts, insert.model_dump(mode="json", exclude_unset=True))
    assert stored["active"] is True  # the column's default applied


def test_insert_typeddicts_refuse_a_json_null_for_a_not_null_json_column(tree: Tree) -> None:
    jsons = _table(tree, "jsons")
    insert = TypeAdapter(tree.td(jsons, "insert"))
    insert.validate_python({"id": 9, "jb": None, "settings": {"a": [None]}}, strict=True)
    with pytest.raises(ValidationError):
        insert.validate_python({"id": 9, "settings": None}, strict=True)
    with psycopg.connect(tree.dsn) as conn, pytest.raises(psycopg.errors.NotNullViolation):
        _insert(conn, jsons, {"id": 9, "settings": None})


# --- enums ------------------------------------------------------------------------------------


def test_enum_members_format_as_their_labels_so_filters_send_the_label(tree: Tree) -> None:
    mood = tree.module(tree.json_pkg, "enums").Mood
    assert (str(mood.HAPPY), f"{mood.HAPPY}", format(mood.HAPPY, ">6")) == (
        "happy",
        "happy",
        " happy",
    )
    assert json.dumps({"m": mood.OK}) == '{"m": "ok"}'
    assert mood("sad") is mood.SAD
    assert mood.SAD == "sad"


# --- thousands of generated values ------------------------------------------------------------

BULK_ROWS = 3000
_H = "hashtext(g::text)"  # a spread of int4 values, the same on every server
#: table -> the select list of one generated row per `g` (ids above the fixture's rows)
BULK: dict[str, str] = {
    "numbers": f"""100000 + g, ({_H} % 32768)::int2, {_H}, hashtextextended(g::text, 0),
        round(({_H} % 1000000000)::numeric / 100, 2), hashtextextended(g::text, 1)::numeric / 997,
        {_H}::float4 / 3, {_H}::float8 / 7 * 1e-5, (abs({_H}) + 1)::int, g""",
    "texts": """100000 + g, md5(g::text) || repeat(chr(192 + g % 500), g % 5),
        left(md5(g::text), g % 11), chr(65 + g % 26), left(md5(g::text), g % 21), g % 3 = 0,
        md5(g::text)::uuid,
        case when g % 2 = 0 then ('10.' || g % 256 || '.' || g / 256 % 256 || '.1/' || 8 + g % 25)
             else '2001:db8::' || to_hex(g) end::inet,
        case when g % 2 = 0 then ('10.' || g % 256 || '.0.0/16') else '2001:db8::/32' end::cidr,
        g::oid, 'public.numbers'::regclass, md5(g::text), g % 2 = 0""",
    "times": f"""100000 + g, date '0001-01-01' + abs({_H}) % 3652058,
        time '00:00' + abs({_H}) % 86400000000 * interval '1 microsecond',
        ((time '00:00' + abs({_H}) % 86400 * interval '1 second')::text
          || (array['+00', '+02', '-05:30', '+05:45', '+14', '-12', '+01:00'])[g % 7 + 1])::timetz,
        timestamp '0001-01-01' + abs({_H}) % 3652058 * interval '1 day' + g * interval '1.5 s',
        timestamptz '1900-01-01 00:00+00' + {_H} * interval '1 second',
        make_interval(years => g % 7 - 3, months => g % 13 - 6, days => g % 61 - 30,
                      secs => ({_H} % 100000000) / 1000.0),
        make_interval(months => g % 400 - 200), timestamptz '2024-01-01 00:00+00'""",
    "blobs": """100000 + g, decode(md5(g::text), 'hex') || '\\x005c78'::bytea,
        decode(repeat(md5(g::text), g % 4), 'hex')""",
    "jsons": f"""100000 + g, json_build_object('g', g, 'a', json_build_array(g, null, md5(g::text))),
        (array['null'::jsonb, to_jsonb(g), to_jsonb(md5(g::text)),
               jsonb_build_object('f', g / 7.0, 'b', g % 2 = 0)])[g % 4 + 1],
        jsonb_build_array(g, 'x'), to_json({_H} / 3.0)""",
    "feelings": """100000 + g, (array['sad', 'ok', 'happy'])[g % 3 + 1]::mood,
        (array['happy', 'sad', 'ok'])[g % 3 + 1]::mood,
        (array['{}', '{sad}', '{ok,happy}', '{happy,happy,sad}'])[g % 4 + 1]::mood[],
        (array['{ok}', '{}'])[g % 2 + 1]::mood[]""",
    "arrays": f"""100000 + g, array[g, -g, {_H}], array[hashtextextended(g::text, 0)],
        array[md5(g::text), '', 'NULL'], array[[g, g + 1], [{_H}, 0]], array[g]::int_list,
        array[g, g]::nn_list, array[g / 7.0, 1e-20], array[timestamptz '2024-01-01' + g * interval '1 h'],
        array[md5(g::text)::uuid], array[g % 2 = 0], array[g + 1]::positive_int[]""",
    "parcels": """100000 + g, row(g / 100.0, 'EUR')::money_pair,
        array[row(g, 'USD'), row(null, 'a,"b")')]::money_pair[]""",
    "ranges": """100000 + g, int4range(g, g + g % 5), tstzrange(timestamptz '2024-01-01 00:00+00',
        timestamptz '2024-01-01 00:00+00' + g * interval '1 h', (array['[)', '(]', '()', '[]'])[g % 4 + 1]),
        daterange(date '2024-01-01' + g, case when g % 3 = 0 then null else date '2024-01-01' + 2 * g end),
        numrange(g / 3.0, g / 2.0), int8multirange(int8range(g, g + 10), int8range(g + 20, null))""",
}


def test_thousands_of_generated_rows_per_type_validate_and_store_without_a_failure(
    tree: Tree,
) -> None:
    failures: dict[tuple[str, str], str] = {}
    checked = 0
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        for name, select in BULK.items():
            table = _table(tree, name)
            target = sql.Identifier(table.schema, table.name)
            conn.execute(
                sql.SQL("insert into {} select {} from generate_series(1, {}) g").format(
                    target, sql.SQL(select), BULK_ROWS
                )
            )
        for table in tree.relations():
            body = _postgrest_json(conn, table)
            rows = json.loads(body)
            checked += len(rows)
            row_type = tree.row(table)
            failures |= _validate(
                TypeAdapter(_list_of(row_type)), table.name, json=body, strict=True
            )
            failures |= _validate(TypeAdapter(_list_of(tree.model(table))), table.name, json=body)
            python_row = tree.row(table, python=True)
            adapter: TypeAdapter[Any] = TypeAdapter(_list_of(python_row), config=_PSYCOPG_CONFIG)
            failures |= _validate(
                adapter, table.name, python=_psycopg_rows(conn, table), strict=True
            )
            if table.is_view or table.name in READ_ONLY_ROWS:
                continue
            # Every row, dumped by the Insert model, goes back in unchanged (one set-based insert).
            insert_model = tree.model(table, "model_insert")
            models = TypeAdapter(_list_of(insert_model)).validate_json(
                json.dumps([{**r, "id": r["id"] + 1_000_000} for r in rows])
            )
            dumped = [m.model_dump(mode="json", exclude_unset=True) for m in models]
            columns = sql.SQL(", ").join(
                sql.Identifier(c.name) for c in table.columns if c.name in dumped[0]
            )
            query = sql.SQL(
                "with ins as (insert into {t} ({c}) select {c} from json_to_recordset(%s) as _({d})"
                " returning *) select coalesce(json_agg(ins order by ins.id), '[]')::text from ins"
            ).format(
                t=sql.Identifier(table.schema, table.name),
                c=columns,
                d=_record_columns(table, [c.name for c in table.columns if c.name in dumped[0]]),
            )
            stored = conn.execute(query, [json.dumps(dumped)]).fetchone()
            assert stored is not None
            for sent, back in zip(rows, json.loads(stored[0]), strict=True):
                failures |= _differences(table, sent, back)
    assert checked > BULK_ROWS * len(BULK)
    assert failures == {}, _report(failures)


# --- what the types do not promise --------------------------------------------------------------


def _narrowed_failures(tree: Tree) -> dict[str, list[str]]:
    """check -> the columns of `narrowed` it fails on (each one a README row)."""
    table = _table(tree, "narrowed")
    found: dict[str, dict[tuple[str, str], str]] = {}
    with psycopg.connect(tree.dsn) as conn:
        body = _postgrest_json(conn, table)
        row_type, model = tree.row(table), tree.model(table)
        found["json row"] = _validate(
            TypeAdapter(_list_of(row_type)), "narrowed", json=body, strict=True
        )
        found["model"] = _validate(TypeAdapter(_list_of(model)), "narrowed", json=body)
        insert = TypeAdapter(tree.td(table, "insert"))
        found["json insert"] = {}
        for row in json.loads(body):
            found["json insert"] |= _validate(insert, "narrowed", python=row, strict=True)
        with conn.cursor(row_factory=dict_row) as cur:
            # psycopg cannot load infinity or a year outside 1-9999, nor 24:00: it raises.
            rows = cur.execute(
                "select id, ints, n, d, doc, grid, cnt from public.narrowed order by id"
            ).fetchall()
        python_row = tree.row(table, python=True)
        fields = {k: v for k, v in python_row.__annotations__.items() if k in rows[0]}
        # mypy reads only a dict literal in TypedDict(); these fields are known at run time.
        partial = TypedDict("Partial", fields)  # type: ignore[misc]
        adapter: TypeAdapter[Any] = TypeAdapter(_list_of(partial), config=_PSYCOPG_CONFIG)
        found["python row"] = _validate(adapter, "narrowed", python=rows, strict=True)
    return {check: sorted(c for _r, c in failures) for check, failures in found.items()}


def test_documented_narrowings_fail_exactly_where_the_readme_says(tree: Tree) -> None:
    assert _narrowed_failures(tree) == {
        # M3: NULL array elements; M5: NaN and Infinity arrive as JSON strings; M2: an
        # array deeper or shallower than its column's declared integer[][]; M15: NULL in a
        # NOT NULL domain (CREATE DOMAIN's caveat).
        "json row": ["cnt", "d", "grid", "ints", "n"],
        # M9: infinity, BC and year 10000; time 24:00; Decimal NaN/Infinity (allow_inf_nan).
        "model": ["born", "closes", "cnt", "grid", "ints", "n", "until"],
        # The same, written back; and a JSON null in a NOT NULL json column is SQL NULL.
        "json insert": ["cnt", "d", "doc", "grid", "ints", "n"],
        "python row": ["cnt", "grid", "ints", "n"],
    }


def test_a_column_of_a_not_null_domain_with_a_default_may_be_left_out_on_insert(
    tree: Tree,
) -> None:
    counters = _table(tree, "counters")
    TypeAdapter(tree.td(counters, "insert")).validate_python({"id": 3}, strict=True)
    with pytest.raises(ValidationError):
        TypeAdapter(tree.td(counters, "insert")).validate_python({"id": 3, "cnt": None})
    model = tree.model(counters, "model_insert").model_validate({"id": 3})
    dumped = model.model_dump(mode="json", exclude_unset=True)
    assert dumped == {"id": 3}
    with pytest.raises(ValidationError):
        tree.model(counters, "model_insert").model_validate({"id": 3, "cnt": None})
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        assert _insert(conn, counters, dumped)["cnt"] == 7  # the domain's default


def test_postgres_stores_any_array_depth_in_a_column_declared_with_another(tree: Tree) -> None:
    narrowed = _table(tree, "narrowed")
    grid = narrowed.column("grid")
    assert grid is not None
    assert grid.type.array_dims == 2
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        stored = _insert(conn, narrowed, {"id": 3, "doc": {}, "grid": [1, 2, 3]})
    assert stored["grid"] == [1, 2, 3]  # typed list[list[int]]: the documented narrowing


def test_a_function_result_has_one_array_dimension_unless_a_domain_declares_more(
    tree: Tree,
) -> None:
    functions = tree.module(tree.json_pkg, "database.functions")
    names = decide_names(tree.db, Options()).functions
    by_name = {f.name: names[f.signature] for f in tree.db.functions}
    flat = TypeAdapter(getattr(functions, by_name["flat_grid"][1]))
    grid = TypeAdapter(getattr(functions, by_name["grid_of"][1]))
    with psycopg.connect(tree.dsn) as conn:
        row = conn.execute("select to_json(public.flat_grid())::text").fetchone()
    assert row is not None
    assert row[0] == "[[1,2],[3,4]]"
    with pytest.raises(ValidationError):
        flat.validate_json(row[0], strict=True)
    assert grid.validate_json(row[0], strict=True) == [[1, 2], [3, 4]]


def test_psycopg_cannot_load_infinite_or_out_of_range_dates_and_times(tree: Tree) -> None:
    with psycopg.connect(tree.dsn) as conn:
        for column in ("until", "born", "closes"):
            with pytest.raises(psycopg.DataError):
                conn.execute(f"select {column} from public.narrowed order by id").fetchall()


def test_a_not_null_not_valid_column_reads_null_in_every_layer_but_refuses_new_nulls(
    tree: Tree, pg_server: TempServer
) -> None:
    legacy, view = _table(tree, "legacy"), _table(tree, "v_legacy")
    expected = [("id", False), ("v", True), ("w", False)]
    assert [(c.name, c.nullable) for c in legacy.columns] == expected
    assert [(c.name, c.nullable) for c in view.columns] == expected
    with psycopg.connect(tree.dsn) as conn:
        for relation in (legacy, view):
            body = _postgrest_json(conn, relation)
            assert json.loads(body)[0]["v"] is None
            TypeAdapter(_list_of(tree.row(relation))).validate_json(body, strict=True)
            TypeAdapter(_list_of(tree.model(relation))).validate_json(body)
    # The Insert type accepts None too (README: "What the types do not promise"), but from
    # PostgreSQL 18 on the constraint refuses it on every new row.
    value = {"id": 3, "v": None, "w": "x"}
    TypeAdapter(tree.td(legacy, "insert")).validate_python(value, strict=True)
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        if pg_server.major_version >= 18:
            with pytest.raises(psycopg.errors.NotNullViolation):
                _insert(conn, legacy, value)
        else:
            assert _insert(conn, legacy, value)["v"] is None


def test_a_setof_table_result_with_outer_join_nulls_fails_its_row_type_but_returns_table_holds(
    tree: Tree,
) -> None:
    functions = tree.module(tree.json_pkg, "database.functions")
    names = decide_names(tree.db, Options()).functions
    by_name = {f.name: names[f.signature] for f in tree.db.functions}
    with psycopg.connect(tree.dsn) as conn:
        bodies = {
            name: conn.execute(
                sql.SQL("select coalesce(json_agg(r), '[]')::text from {}() r").format(
                    sql.Identifier("public", name)
                )
            ).fetchone()
            for name in ("texts_or_nothing", "titles_or_nothing")
        }
    setof, table = bodies["texts_or_nothing"], bodies["titles_or_nothing"]
    assert setof is not None and table is not None
    assert json.loads(setof[0])[0]["title"] is None
    # README "What the types do not promise": the Row type says title is a str.
    with pytest.raises(ValidationError):
        TypeAdapter(getattr(functions, by_name["texts_or_nothing"][1])).validate_json(
            setof[0], strict=True
        )
    rows = TypeAdapter(getattr(functions, by_name["titles_or_nothing"][1])).validate_json(
        table[0], strict=True
    )
    assert rows[0] == {"id": None, "title": None}


def test_a_bulk_insert_writes_null_for_a_key_one_row_leaves_out(tree: Tree) -> None:
    """postgrest-py's default (default_to_null=True) sends ?columns= with the union of keys."""
    texts = _table(tree, "texts")
    insert = TypeAdapter(tree.td(texts, "insert"))
    rows = [{"id": 901, "title": "bulk 1", "active": False}, {"id": 902, "title": "bulk 2"}]
    for row in rows:
        insert.validate_python(row, strict=True)  # each one a valid Insert
    columns = ["id", "title", "active"]
    query = sql.SQL(
        "insert into public.texts ({c}) select {c} from json_to_recordset(%s) as _({d})"
    ).format(
        c=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        d=_record_columns(texts, columns),
    )
    with psycopg.connect(tree.dsn) as conn:
        # README "What the types do not promise": the left-out key is NULL, not the default.
        with pytest.raises(psycopg.errors.NotNullViolation), conn.transaction():
            conn.execute(query, [json.dumps(rows)])
        # With default_to_null=False (Prefer: missing=default) each row gets its defaults.
        with conn.transaction(force_rollback=True):
            stored = [_insert(conn, texts, row) for row in rows]
    assert [r["active"] for r in stored] == [False, True]


def test_hstore_reads_as_an_object_and_writes_as_its_text_in_every_layer(tree: Tree) -> None:
    if not any(t.name == "hstores" for t in tree.db.tables):
        pytest.skip("this server has no hstore extension")
    hstores = _table(tree, "hstores")
    expected = {"": "", "a": "1", "b c": None, 'q"uote': "back\\slash"}
    with psycopg.connect(tree.dsn) as conn:
        body = _postgrest_json(conn, hstores)
        row = TypeAdapter(_list_of(tree.row(hstores))).validate_json(body, strict=True)[0]
        assert row["h"] == expected
        # psycopg's text of hstore[] is a documented narrowing (PSYCOPG_MODEL_NARROWINGS).
        psycopg_row = {**_psycopg_rows(conn, hstores)[0], "hs": None}
        model = tree.model(hstores).model_validate(psycopg_row)
        assert model.h == expected  # type: ignore[attr-defined]
        assert model.model_dump(mode="json")["h"] == expected  # a row dumps the object
        python_row: TypeAdapter[Any] = TypeAdapter(
            _list_of(tree.row(hstores, python=True)),
            config=_PSYCOPG_CONFIG,
        )
        from_psycopg = python_row.validate_python(_psycopg_rows(conn, hstores), strict=True)
        assert isinstance(from_psycopg[0]["h"], str)
        insert = TypeAdapter(tree.td(hstores, "insert"))
        with pytest.raises(ValidationError):  # json_to_record cannot read an object as hstore
            insert.validate_python({"id": 9, "h": {"a": "1"}}, strict=True)
        text = 'a=>1, "b c"=>NULL'
        insert.validate_python({"id": 9, "h": text, "hs": [text], "t": text}, strict=True)
        with pytest.raises(ValidationError):  # a domain over hstore is written as text too
            insert.validate_python({"id": 9, "t": {"a": "1"}}, strict=True)
        dumped = (
            tree.model(hstores, "model_insert")
            .model_validate({"id": 10, "h": expected, "hs": [expected]})
            .model_dump(mode="json", exclude_unset=True)
        )
        with conn.transaction(force_rollback=True):
            stored = _insert(conn, hstores, {"id": 9, "h": text, "hs": [text], "t": text})
            assert (stored["h"], stored["hs"]) == ({"a": "1", "b c": None}, [stored["h"]])
            assert stored["t"] == stored["h"]
            stored = _insert(conn, hstores, dumped)
            assert (stored["h"], stored["hs"]) == (expected, [expected])


def test_a_composite_value_needs_every_attribute_though_postgres_stores_a_partial_one(
    tree: Tree,
) -> None:
    """Reads always carry every attribute, so the composite TypedDict requires each key."""
    parcels = _table(tree, "parcels")
    insert = TypeAdapter(tree.td(parcels, "insert"))
    partial = {"id": 9, "price": {"amount": 1.5}}
    # README "What the types do not promise": a partial object is refused, though stored.
    with pytest.raises(ValidationError):
        insert.validate_python(partial, strict=True)
    complete = {"id": 9, "price": {"amount": 1.5, "currency": None}}
    insert.validate_python(complete, strict=True)
    with psycopg.connect(tree.dsn) as conn, conn.transaction(force_rollback=True):
        assert _insert(conn, parcels, partial)["price"] == complete["price"]


# --- supabase-py's own client ------------------------------------------------------------------


class PostgrestStandIn:
    """An httpx transport answering as PostgREST would, with JSON the real server builds.

    PostgREST itself is not run: no PostgREST binary is installable here. Each request is
    turned into the SQL PostgREST runs for it (`eq` filters as literals, json_agg of the rows,
    json_to_recordset / json_to_record of the body) on the real database.
    """

    def __init__(self, dsn: str, db: ir.Database) -> None:
        self.dsn, self.db = dsn, db
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        parts = request.url.path.strip("/").split("/")
        try:
            with psycopg.connect(self.dsn) as conn:
                if parts[0] == "rpc":
                    return httpx.Response(200, content=self._rpc(conn, parts[1], request))
                table = next(t for t in self.db.tables if t.name == parts[0])
                if request.method == "GET":
                    return httpx.Response(200, content=self._select(conn, table, request))
                return httpx.Response(201, content=self._insert(conn, table, request))
        except psycopg.Error as error:
            body = {"code": error.sqlstate, "message": str(error), "details": None, "hint": None}
            return httpx.Response(400, json=body)

    def _select(
        self, conn: psycopg.Connection[Any], table: ir.Table, request: httpx.Request
    ) -> bytes:
        filters = []
        for column, condition in request.url.params.multi_items():
            if column == "select":
                continue
            operator, _dot, value = condition.partition(".")
            assert operator == "eq", f"the stand-in reads eq filters only, not {condition}"
            # PostgREST writes the value as an untyped literal: Postgres casts it to the column.
            filters.append(sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value)))
        where = sql.SQL(" and ").join(filters) if filters else sql.SQL("true")
        query = sql.SQL(
            "select coalesce(json_agg(_t order by _t.id), '[]')::text"
            " from (select * from {} where {}) _t"
        ).format(sql.Identifier(table.schema, table.name), where)
        row = conn.execute(query).fetchone()
        assert row is not None
        return str(row[0]).encode()

    def _insert(
        self, conn: psycopg.Connection[Any], table: ir.Table, request: httpx.Request
    ) -> bytes:
        body = json.loads(request.content)
        rows = body if isinstance(body, list) else [body]
        listed = request.url.params.get("columns")
        columns = [c.strip('"') for c in listed.split(",")] if listed else list(rows[0])
        query = sql.SQL(
            "with ins as (insert into {t} ({c}) select {c} from json_to_recordset(%s) as _({d})"
            " returning *) select coalesce(json_agg(ins order by ins.id), '[]')::text from ins"
        ).format(
            t=sql.Identifier(table.schema, table.name),
            c=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            d=_record_columns(table, columns),
        )
        # Rolled back: every test sees the fixture's rows.
        with conn.transaction(force_rollback=True):
            row = conn.execute(query, [json.dumps(rows)]).fetchone()
        assert row is not None
        return str(row[0]).encode()

    def _rpc(self, conn: psycopg.Connection[Any], name: str, request: httpx.Request) -> bytes:
        function = next(f for f in self.db.functions if f.name == name)
        args = [a for a in function.arguments if a.mode in ("in", "inout", "variadic")]
        call = sql.SQL("{}({})").format(
            sql.Identifier(function.schema, function.name),
            sql.SQL(", ").join(
                sql.SQL("{} => _.{}").format(sql.Identifier(a.name), sql.Identifier(a.name))
                for a in args
            ),
        )
        decl = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(a.name), sql.SQL(a.type.sql)) for a in args
        )
        result = (
            sql.SQL("(select coalesce(json_agg(r), '[]') from {} r)").format(call)
            if function.returns_set
            else sql.SQL("to_json({})").format(call)
        )
        query = sql.SQL("select {}::text from json_to_record(%s) as _({})").format(result, decl)
        row = conn.execute(query, [request.content.decode()]).fetchone()
        assert row is not None
        return str(row[0]).encode()


@pytest.fixture
def client(tree: Tree) -> Iterator[tuple[SyncPostgrestClient, PostgrestStandIn]]:
    """postgrest-py's client, its HTTP answered by the stand-in over the real database."""
    stand_in = PostgrestStandIn(tree.dsn, tree.db)
    http = httpx.Client(
        base_url="http://postgrest.invalid", transport=httpx.MockTransport(stand_in)
    )
    with SyncPostgrestClient("http://postgrest.invalid", http_client=http) as found:
        yield found, stand_in


def test_postgrest_client_filters_by_a_generated_enum_member_and_rows_fit_the_row_type(
    tree: Tree, client: tuple[SyncPostgrestClient, PostgrestStandIn]
) -> None:
    postgrest, stand_in = client
    mood = tree.module(tree.json_pkg, "enums").Mood
    feelings = _table(tree, "feelings")

    response = postgrest.from_("feelings").select("*").eq("m", mood.HAPPY).execute()

    assert stand_in.requests[-1].url.params["m"] == "eq.happy"
    rows = TypeAdapter(_list_of(tree.row(feelings))).validate_python(response.data, strict=True)
    assert [r["id"] for r in rows] == [1]
    assert rows[0]["m"] == mood.HAPPY
    # What a `str, Enum` member sent before (M17): Postgres refuses the label.
    with pytest.raises(APIError) as refused:
        postgrest.from_("feelings").select("*").eq("m", "Mood.HAPPY").execute()
    assert refused.value.code == "22P02"


def test_postgrest_client_rpc_with_an_args_typeddict_returns_what_the_returns_alias_says(
    tree: Tree, client: tuple[SyncPostgrestClient, PostgrestStandIn]
) -> None:
    postgrest, _stand_in = client
    functions = tree.module(tree.json_pkg, "database.functions")
    names = decide_names(tree.db, Options()).functions
    by_name = {f.name: names[f.signature] for f in tree.db.functions}
    for name, args in (("moods_of", {"person": 1}), ("grid_of", {"n": 2})):
        args_name, returns_name, _result = by_name[name]
        TypeAdapter(getattr(functions, args_name)).validate_python(args, strict=True)

        # postgrest types params as dict[str, str]; they go out as a JSON body of any values.
        response = postgrest.rpc(name, args).execute()  # type: ignore[arg-type]

        returned = TypeAdapter(getattr(functions, returns_name)).validate_python(
            response.data, strict=True
        )
        assert returned == {"moods_of": ["happy", "sad"], "grid_of": [[2, 3], [4, 5]]}[name]


def test_postgrest_client_inserts_an_insert_typeddict_and_gets_back_a_row(
    tree: Tree, client: tuple[SyncPostgrestClient, PostgrestStandIn]
) -> None:
    postgrest, stand_in = client
    texts = _table(tree, "texts")
    value = {"id": 77, "title": "from the client", "flag": None, "u": str(uuid.uuid4())}
    TypeAdapter(tree.td(texts, "insert")).validate_python(value, strict=True)

    response = postgrest.from_("texts").insert(value).execute()

    assert json.loads(stand_in.requests[-1].content) == value
    (row,) = TypeAdapter(_list_of(tree.row(texts))).validate_python(response.data, strict=True)
    assert (row["title"], row["active"], row["u"]) == ("from the client", True, value["u"])


def test_the_package_root_exports_both_json_aliases(tree: Tree) -> None:
    root = importlib.import_module(tree.json_pkg)
    assert {"Json", "JsonNotNull"} <= set(root.__all__)
    TypeAdapter(root.JsonNotNull).validate_python({"a": [1, None]}, strict=True)
    with pytest.raises(ValidationError):
        TypeAdapter(root.JsonNotNull).validate_python(None, strict=True)
