"""Property-based: hostile schemas built on the real server generate importable, strict code.

Hypothesis draws one to two schemas (hostile names, the root modules' names among them), each
with enums, composite types (nested, arrays, a table's row type), domains (over arrays, with
CHECKs and NOT NULL), tables (some jsonb columns typed by a hostile JSON Schema CHECK), a view
joining two tables under hostile column aliases, and functions (overloads, unnamed arguments,
SETOF and TABLE results), from the strategies in tests/strategies.py; some examples set
`frozen-models = true`. Each example is introspected, generated, imported and checked with
ruff; mypy --strict runs once over a batch of the trees at the end.
SYNC_SCHEMA_FUZZ_EXAMPLES sets the count (`make fuzz`: 1000).
"""

from __future__ import annotations

import builtins
import importlib
import itertools
import json
import os
import subprocess
import sys
import warnings
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from psycopg import sql

from sync_schema import ir
from sync_schema.config import Overrides, load_settings
from sync_schema.embedded.server import TempServer
from sync_schema.model.names import Names, decide_names
from sync_schema.model.prepare import rpc_callable, takes_body
from sync_schema.options import Options
from sync_schema.pipeline import Run, build_files
from sync_schema.source.introspect import introspect
from sync_schema.tree_store import write_tree
from tests.strategies import (
    SENTINEL,
    ExampleSpec,
    FunctionSpec,
    SchemaSpec,
    TableSpec,
    TypeSpec,
    ViewSpec,
    example_specs,
)

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("SYNC_SCHEMA_FUZZ_EXAMPLES", "200"))
# `make test` draws the same examples on every run, so CI is reproducible; `make fuzz` sets
# SYNC_SCHEMA_FUZZ_RANDOM=1 and explores new ones each time.
RANDOM = os.environ.get("SYNC_SCHEMA_FUZZ_RANDOM") == "1"
MYPY_BATCH = 30
BIN = Path(sys.executable).parent
INPUT_MODES = ("in", "inout", "variadic")

# --- building the example on the server ----------------------------------------------------------

Conn = psycopg.Connection[Any]
#: a schema's package (the TypedDict layer) and its generated.fastapi package
Layers = tuple[ModuleType, ModuleType]


def _type_sql(spec: ExampleSpec, t: TypeSpec) -> sql.Composable:
    if t.kind == "scalar":
        return sql.SQL(t.scalar)
    schema = spec.schemas[t.schema]
    name = {
        "enum": lambda: schema.enums[t.index][0],
        "composite": lambda: schema.composites[t.index].name,
        "domain": lambda: schema.domains[t.index].name,
        "row": lambda: schema.tables[t.index].name,
    }[t.kind]()
    qualified = sql.SQL("{}.{}").format(sql.Identifier(schema.name), sql.Identifier(name))
    return sql.SQL("{}[]").format(qualified) if t.array else qualified


def _comment(conn: Conn, kind: str, target: sql.Composable, text: str | None) -> None:
    if text is not None:
        conn.execute(
            sql.SQL("COMMENT ON {} {} IS {}").format(sql.SQL(kind), target, sql.Literal(text))
        )


def _create_types(conn: Conn, spec: ExampleSpec, schema: SchemaSpec) -> None:
    s = sql.Identifier(schema.name)
    for enum_name, enum_labels, comment in schema.enums:
        target = sql.SQL("{}.{}").format(s, sql.Identifier(enum_name))
        labels = sql.SQL(", ").join(map(sql.Literal, enum_labels))
        conn.execute(sql.SQL("CREATE TYPE {} AS ENUM ({})").format(target, labels))
        _comment(conn, "TYPE", target, comment)
    for composite in schema.composites:
        target = sql.SQL("{}.{}").format(s, sql.Identifier(composite.name))
        attributes = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(a), _type_sql(spec, t))
            for a, t in composite.attributes
        )
        conn.execute(sql.SQL("CREATE TYPE {} AS ({})").format(target, attributes))
        _comment(conn, "TYPE", target, composite.comment)
    for domain in schema.domains:
        target = sql.SQL("{}.{}").format(s, sql.Identifier(domain.name))
        check = (
            sql.SQL(" CONSTRAINT {} CHECK (VALUE::text <> {})").format(
                sql.Identifier(domain.check[0]), sql.Literal(domain.check[1])
            )
            if domain.check
            else sql.SQL("")
        )
        conn.execute(
            sql.SQL("CREATE DOMAIN {} AS {}{}{}").format(
                target,
                sql.SQL(domain.base),
                sql.SQL(" NOT NULL" if domain.not_null else ""),
                check,
            )
        )
        _comment(conn, "DOMAIN", target, domain.comment)


def _create_table(conn: Conn, spec: ExampleSpec, schema: SchemaSpec, table: TableSpec) -> None:
    parts = []
    for c in table.columns:
        default = (
            sql.SQL(" DEFAULT {}::text").format(sql.Literal(c.default))
            if c.default is not None and c.type == TypeSpec("scalar", scalar="text")
            else sql.SQL("")
        )
        parts.append(
            sql.SQL("{} {}{}{}").format(
                sql.Identifier(c.name),
                _type_sql(spec, c.type),
                sql.SQL("" if c.nullable else " NOT NULL"),
                default,
            )
        )
        if c.json_schema is not None:
            document = json.dumps(c.json_schema[0], ensure_ascii=False)
            parts.append(
                sql.SQL("CHECK (extensions.jsonb_matches_schema({}::json, {}))").format(
                    sql.Literal(document), sql.Identifier(c.name)
                )
            )
    target = sql.SQL("{}.{}").format(sql.Identifier(schema.name), sql.Identifier(table.name))
    conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(parts)))
    _comment(conn, "TABLE", target, table.comment)
    for c in table.columns:
        column = sql.SQL("{}.{}").format(target, sql.Identifier(c.name))
        _comment(conn, "COLUMN", column, c.comment)


def _create_view(conn: Conn, schema: SchemaSpec, view: ViewSpec) -> None:
    s = sql.Identifier(schema.name)
    columns = []
    for vc in view.columns:
        side = "r" if vc.right else "l"
        source = schema.tables[view.right if vc.right else view.left].columns[vc.column]
        ref = sql.SQL("{}.{}").format(sql.Identifier(side), sql.Identifier(source.name))
        if vc.expression:
            # Not a cast alone: text::text is no cast, the parser keeps the plain reference.
            ref = sql.SQL("({})::text || ''").format(ref)
        columns.append(sql.SQL("{} AS {}").format(ref, sql.Identifier(vc.alias)))
    conn.execute(
        sql.SQL("CREATE VIEW {}.{} AS SELECT {} FROM {}.{} AS l {} JOIN {}.{} AS r ON true").format(
            s,
            sql.Identifier(view.name),
            sql.SQL(", ").join(columns),
            s,
            sql.Identifier(schema.tables[view.left].name),
            sql.SQL("LEFT" if view.outer else "INNER"),
            s,
            sql.Identifier(schema.tables[view.right].name),
        )
    )


def _create_function(conn: Conn, spec: ExampleSpec, schema: SchemaSpec, f: FunctionSpec) -> None:
    arguments = sql.SQL(", ").join(
        sql.SQL("{}{}{}").format(
            sql.SQL("{} ").format(sql.Identifier(name)) if name else sql.SQL(""),
            _type_sql(spec, t),
            sql.SQL(" DEFAULT NULL" if default else ""),
        )
        for name, t, default in f.arguments
    )
    returns: sql.Composable
    if f.table:
        returns = sql.SQL("TABLE ({})").format(
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(n), _type_sql(spec, t)) for n, t in f.table
            )
        )
    elif f.returns is None:
        returns = sql.SQL("void")
    else:
        returns = sql.SQL("{}{}").format(
            sql.SQL("SETOF " if f.setof else ""), _type_sql(spec, f.returns)
        )
    target = sql.SQL("{}.{}").format(sql.Identifier(schema.name), sql.Identifier(f.name))
    # check_function_bodies is off: the body is never run, and need not match the result type.
    conn.execute(
        sql.SQL("CREATE FUNCTION {}({}) RETURNS {} LANGUAGE sql AS 'select null'").format(
            target, arguments, returns
        )
    )
    types = sql.SQL(", ").join(_type_sql(spec, t) for _n, t, _d in f.arguments)
    _comment(conn, "FUNCTION", sql.SQL("{}({})").format(target, types), f.comment)


def _create(conn: Conn, spec: ExampleSpec) -> None:
    conn.execute("SET check_function_bodies = off")
    for schema in spec.schemas:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema.name)))
        _create_types(conn, spec, schema)
        for table in schema.tables:
            _create_table(conn, spec, schema, table)
        for view in schema.views:
            _create_view(conn, schema, view)
        for function in schema.functions:
            _create_function(conn, spec, schema, function)


# --- what the generated tree must hold -----------------------------------------------------------


def _dumped(model_cls: Any, value: dict[str, Any]) -> dict[str, Any]:
    """`value` validated by a generated model and dumped back to JSON."""
    result: dict[str, Any] = json.loads(model_cls.model_validate(value).model_dump_json())
    return result


def _check_tables(spec: ExampleSpec, schema: SchemaSpec, names: Names, mods: Layers) -> None:
    package, models = mods
    for table in schema.tables:
        tn = names.tables[f"{schema.name}.{table.name}"]
        real = [c.name for c in table.columns]
        typed_dict = getattr(package, tn.row)
        assert list(typed_dict.__annotations__) == real
        assert typed_dict.__required_keys__ == frozenset(real)
        model = getattr(models, tn.model)
        assert bool(model.model_config.get("frozen")) == spec.frozen_models
        row = spec.row(table)
        assert list(_dumped(model, row)) == real
        # By alias, as FastAPI dumps a response: a JSON document keeps its own keys.
        by_alias = json.loads(model.model_validate(row).model_dump_json(by_alias=True))
        for c in table.columns:
            if c.json_schema is not None:
                assert by_alias[c.name] == row[c.name], (by_alias[c.name], c.json_schema[0])


def _check_views(
    spec: ExampleSpec, schema: SchemaSpec, db: ir.Database, names: Names, mods: Layers
) -> None:
    package, models = mods
    for view in schema.views:
        tn = names.tables[f"{schema.name}.{view.name}"]
        aliases = [vc.alias for vc in view.columns]
        assert list(getattr(package, tn.row).__annotations__) == aliases
        row = {}
        expected_nullable = []
        for vc in view.columns:
            source = schema.tables[view.right if vc.right else view.left].columns[vc.column]
            row[vc.alias] = "text" if vc.expression else spec.column_value(source)
            # NOT NULL only for a plain reference to a NOT NULL column not on a LEFT JOIN's right.
            expected_nullable.append(vc.expression or source.nullable or (vc.right and view.outer))
        assert list(_dumped(getattr(models, tn.model), row)) == aliases
        introspected = db.table(schema.name, view.name)
        assert introspected is not None
        assert [c.nullable for c in introspected.columns] == expected_nullable


def _check_types(spec: ExampleSpec, schema: SchemaSpec, names: Names, mods: Layers) -> None:
    package, models = mods
    for composite in schema.composites:
        cls = names.composites[f"{schema.name}.{composite.name}"]
        real = [a for a, _t in composite.attributes]
        assert list(getattr(package, cls).__annotations__) == real
        value = {a: spec.value(t) for a, t in composite.attributes}
        assert list(_dumped(getattr(models, cls), value)) == real


def _check_functions(
    schema: SchemaSpec, db: ir.Database, names: Names, functions: ModuleType
) -> None:
    """Every function is introspected with its argument names, and has its Args and Returns."""
    found = [f for f in db.functions if f.schema == schema.name]
    assert Counter(
        (f.name, tuple(a.name for a in f.arguments if a.mode in INPUT_MODES)) for f in found
    ) == Counter((f.name, tuple(a[0] or "" for a in f.arguments)) for f in schema.functions)
    for function in filter(rpc_callable, found):
        args, returns, result = names.functions[function.signature]
        if takes_body(function):
            # PostgREST hands the whole request body to the one unnamed json argument.
            assert getattr(functions, args).__name__ == "Json"
        else:
            inputs = [a.name for a in function.arguments if a.mode in INPUT_MODES]
            assert list(getattr(functions, args).__annotations__) == inputs
        assert hasattr(functions, returns)
        if function.return_columns:
            real = [c.name for c in function.return_columns]
            assert list(getattr(functions, result).__annotations__) == real


def _check_tree(spec: ExampleSpec, db: ir.Database, package: str) -> None:
    names = decide_names(db, Options())
    modules = {}
    # Importing runs no catalog text, and pydantic has nothing to warn about.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        importlib.import_module(package)
        for schema in spec.schemas:
            prefix = names.packages[schema.name]
            root = f"{package}.{prefix.rstrip('.')}" if prefix else package
            modules[schema.name] = tuple(
                importlib.import_module(f"{root}{suffix}")
                for suffix in ("", ".generated.fastapi", ".enums", ".database.functions")
            )
    assert not hasattr(builtins, SENTINEL)
    for schema in spec.schemas:
        package_mod, models, enums, functions = modules[schema.name]
        for enum_name, enum_labels, _comment in schema.enums:
            cls_name, _alias = names.enums[f"{schema.name}.{enum_name}"]
            assert [m.value for m in getattr(enums, cls_name)] == list(enum_labels)
        _check_types(spec, schema, names, (package_mod, models))
        _check_tables(spec, schema, names, (package_mod, models))
        _check_views(spec, schema, db, names, (package_mod, models))
        _check_functions(schema, db, names, functions)


# --- the property --------------------------------------------------------------------------------


def _tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def fuzz_db(pg_server: TempServer) -> str:
    dsn = pg_server.create_database(f"fuzz_{os.getpid()}_{id(pg_server)}")
    # pg_jsonschema's signature; the database is only introspected, so it accepts everything.
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA extensions")
        conn.execute(
            "CREATE FUNCTION extensions.jsonb_matches_schema(schema json, instance jsonb) "
            "RETURNS boolean LANGUAGE sql IMMUTABLE AS 'select true'"
        )
    return dsn


def _lint(package: str, root: Path) -> None:
    """Ruff's default rules plus import order pass, and the tree is formatted already."""
    lint = _tool(
        str(BIN / "ruff"), "check", "--isolated", "--no-cache",
        "--select", "E4,E7,E9,F,I,RUF022", package, cwd=root,
    )  # fmt: skip
    assert lint.returncode == 0, lint.stdout
    fmt = _tool(
        str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", package, cwd=root
    )
    assert fmt.returncode == 0, fmt.stdout


def _generate_and_check(spec: ExampleSpec, fuzz_db: str, root: Path, package: str) -> None:
    """Build the example on the server, generate its tree under `root`, lint it, check it."""
    schemas = tuple(s.name for s in spec.schemas)
    drop = sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
        sql.SQL(", ").join(map(sql.Identifier, schemas))
    )
    try:
        with psycopg.connect(fuzz_db, autocommit=True) as conn:
            _create(conn, spec)
        db = introspect(fuzz_db, list(schemas))
    finally:
        with psycopg.connect(fuzz_db, autocommit=True) as conn:
            conn.execute(drop)
    out = root / package
    # frozen-models comes from a pyproject.toml, as a user sets it.
    cwd = root.parent / ("frozen" if spec.frozen_models else "plain")
    cfg = load_settings(Overrides(db_url=fuzz_db, out=out, schemas=schemas), cwd=cwd)
    assert cfg.options.frozen_models == spec.frozen_models
    write_tree(out, build_files(Run.of(cfg, db)))
    _lint(package, root)
    _check_tree(spec, db, package)


def _config_dirs(parent: Path) -> None:
    """`plain` with no pyproject.toml, `frozen` with one that sets frozen-models."""
    (parent / "plain").mkdir()
    (parent / "frozen").mkdir()
    (parent / "frozen" / "pyproject.toml").write_text(
        "[tool.sync-schema]\nfrozen-models = true\n", encoding="utf-8"
    )


# The suite-wide timeout scaled to the example count (`make fuzz` runs 1000).
@pytest.mark.timeout(max(600, EXAMPLES * 3))
def test_hostile_schemas_generate_importable_strict_code_that_reaches_every_column(
    fuzz_db: str, tmp_path: Path
) -> None:
    root = tmp_path / "trees"
    root.mkdir()
    _config_dirs(tmp_path)
    sys.path.insert(0, str(root))
    counter = itertools.count()
    trees: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(example_specs())
    def one(spec: ExampleSpec) -> None:
        package = f"fzpkg{next(counter)}"
        _generate_and_check(spec, fuzz_db, root, package)
        trees.append(package)

    try:
        one()
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("fzpkg")]:
            del sys.modules[name]

    assert len(trees) >= min(EXAMPLES, MYPY_BATCH)
    batch = trees[:: max(1, len(trees) // MYPY_BATCH)][:MYPY_BATCH]
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    mypy = _tool(
        sys.executable, "-m", "mypy", "--strict", "--config-file", str(tmp_path / "mypy.ini"),
        "--cache-dir", str(tmp_path / "mypy_cache"), "--no-error-summary", *batch, cwd=root,
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_the_strategies_draw_every_kind_of_object() -> None:
    """The fuzz's generator reaches each object kind it promises, not only tables."""
    seen: Counter[str] = Counter()

    @settings(max_examples=60, database=None, deadline=None)
    @given(example_specs())
    def tally(spec: ExampleSpec) -> None:
        seen["frozen"] += spec.frozen_models
        seen["several schemas"] += len(spec.schemas) > 1
        for s in spec.schemas:
            seen["composites"] += bool(s.composites)
            seen["domains"] += bool(s.domains)
            seen["views"] += bool(s.views)
            seen["outer joins"] += any(v.outer for v in s.views)
            seen["table functions"] += any(f.table for f in s.functions)
            seen["setof functions"] += any(f.setof and not f.table for f in s.functions)
            seen["unnamed arguments"] += any(a[0] is None for f in s.functions for a in f.arguments)
            seen["overloads"] += len({f.name for f in s.functions}) < len(s.functions)
            seen["row types"] += any(c.type.kind == "row" for t in s.tables for c in t.columns)
            seen["json schemas"] += any(c.json_schema for t in s.tables for c in t.columns)

    tally()
    kinds = [
        "frozen", "several schemas", "composites", "domains", "views", "outer joins",
        "table functions", "setof functions", "unnamed arguments", "overloads", "row types",
        "json schemas",
    ]  # fmt: skip
    assert [k for k in kinds if not seen[k]] == []
