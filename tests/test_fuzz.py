"""Property-based: hostile schemas built on the real server generate importable, strict code.

Hypothesis draws tables, columns, enums, labels, comments and defaults from names that break
naive generators (keywords, builtins, BaseModel/TypedDict/Enum attributes, quotes, newlines,
unicode, 63-byte names, names that collide once sanitized). Each example is created in its own
schema, introspected, generated, imported and checked with ruff; mypy --strict runs once over
a batch of the trees at the end. SYNC_SCHEMA_FUZZ_EXAMPLES sets the count (`make fuzz`: 1000).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from sync_schema.codemodel import Options, decide_names
from sync_schema.config import Overrides, load_settings
from sync_schema.introspect import introspect
from sync_schema.output import write_tree
from sync_schema.pgserver import TempServer
from sync_schema.pipeline import build_files

pytestmark = pytest.mark.postgres

EXAMPLES = int(os.environ.get("SYNC_SCHEMA_FUZZ_EXAMPLES", "200"))
MYPY_BATCH = 30
BIN = Path(sys.executable).parent
SENTINEL = "SYNC_SCHEMA_FUZZ_SENTINEL"
VIEW_NAME = "fz view ☃"

# --- names -------------------------------------------------------------------------------------

HOSTILE_WORDS = [
    # keywords and soft keywords
    "class", "def", "import", "from", "None", "True", "lambda", "yield", "async", "await",
    "match", "case", "type", "_",
    # builtins and dunders
    "id", "list", "str", "dict", "int", "object", "print", "__init__", "__class__", "__dict__",
    # BaseModel, TypedDict and Enum attributes
    "model_config", "model_dump", "model_fields", "model_validate", "schema", "json", "copy",
    "fields", "construct", "validate", "name", "value", "mro", "keys", "items", "get",
    "_missing_", "_value_",
    # names the generated modules use
    "TypedDict", "NotRequired", "BaseModel", "Field", "Json", "JsonValue", "Enum", "Literal",
    "Decimal", "UUID", "datetime", "SCHEMA_VERSION",
]  # fmt: skip

PAYLOADS = [
    '"""; import os; os.system("echo pwned"); """',
    f'\n__import__("builtins").{SENTINEL} = 1\n',
    "'''; raise SystemExit; '''",
    "\\",
    "x\\n\\\\\"'",
    "# type: ignore",
    "# -*- coding: utf-7 -*-",
    "\r\n\t",
    "\u2028line\u2029sep",
    "\x1b[31mred\x07",
]

name_pieces = st.one_of(
    st.sampled_from(HOSTILE_WORDS),
    st.sampled_from([p for p in PAYLOADS if len(p.encode()) <= 63]),  # code as a name or label
    st.sampled_from(["1st", "2", "9lives", "a b", "a-b", "a.b", 'q"uote', "it's", "x\ny"]),
    st.sampled_from(["café", "naïve", "日本", "🙂", "Ωmega", "\u017f", "\u01c5", "\u00a0sp"]),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        min_size=1,
        max_size=8,
    ),
)


def _fits(name: str) -> bool:
    return 0 < len(name.encode("utf-8")) <= 63


identifiers = st.one_of(
    name_pieces,
    st.tuples(name_pieces, name_pieces).map(lambda p: f"{p[0]}_{p[1]}"),
    st.sampled_from(["Name", "NAME", "name"]),
    st.just("x" * 63),
    st.just("é" * 31 + "x"),  # 63 bytes of UTF-8
).filter(_fits)

comments = st.one_of(st.none(), st.sampled_from(PAYLOADS), st.text(max_size=40)).map(
    lambda c: c.replace("\x00", "") if c is not None else None
)

# (SQL type, a value psycopg can insert / Pydantic can validate as JSON)
SCALARS: dict[str, Any] = {
    "text": "some text",
    "integer": 7,
    "boolean": True,
    "numeric(10,2)": "12.50",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "jsonb": {"k": [1, "v"]},
    "timestamptz": "2024-01-02T03:04:05+00:00",
    "text[]": ["a", "b"],
    "varchar(20)": "short",
    "date": "2024-01-02",
}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    sql_type: str  # a SCALARS key, or "enum:<index>"
    nullable: bool
    default: str | None
    comment: str | None


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    comment: str | None


@dataclass(frozen=True)
class SchemaSpec:
    enums: tuple[tuple[str, tuple[str, ...], str | None], ...]
    tables: tuple[TableSpec, ...]
    view: bool


def _distinct(items: list[str]) -> bool:
    return len(set(items)) == len(items)


labels = st.lists(identifiers, min_size=1, max_size=5, unique=True)
enum_specs = st.lists(
    st.tuples(identifiers, labels.map(tuple), comments), max_size=2, unique_by=lambda e: e[0]
)


@st.composite
def schema_specs(draw: st.DrawFn) -> SchemaSpec:
    enums = draw(enum_specs)
    type_names = list(SCALARS) + [f"enum:{i}" for i in range(len(enums))]
    tables = []
    # A table is also a type: it cannot share an enum's name.
    enum_names = {e[0] for e in enums} | {VIEW_NAME}
    table_names = st.lists(
        identifiers.filter(lambda n: n not in enum_names), min_size=1, max_size=3, unique=True
    )
    for table_name in draw(table_names):
        names = draw(st.lists(identifiers, min_size=1, max_size=6, unique=True))
        columns = tuple(
            ColumnSpec(
                name=name,
                sql_type=draw(st.sampled_from(type_names)),
                nullable=draw(st.booleans()),
                default=draw(st.one_of(st.none(), st.sampled_from(PAYLOADS))),
                comment=draw(comments),
            )
            for name in names
        )
        tables.append(TableSpec(table_name, columns, draw(comments)))
    return SchemaSpec(tuple(tuple(e) for e in enums), tuple(tables), draw(st.booleans()))


# --- building the schema on the server -----------------------------------------------------------


def _create(conn: psycopg.Connection[Any], schema: str, spec: SchemaSpec) -> None:
    s = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(s))
    for enum_name, enum_labels, comment in spec.enums:
        conn.execute(
            sql.SQL("CREATE TYPE {}.{} AS ENUM ({})").format(
                s, sql.Identifier(enum_name), sql.SQL(", ").join(map(sql.Literal, enum_labels))
            )
        )
        if comment is not None:
            conn.execute(
                sql.SQL("COMMENT ON TYPE {}.{} IS {}").format(
                    s, sql.Identifier(enum_name), sql.Literal(comment)
                )
            )
    for table in spec.tables:
        columns = []
        for c in table.columns:
            if c.sql_type.startswith("enum:"):
                enum_name = spec.enums[int(c.sql_type[5:])][0]
                type_sql = sql.SQL("{}.{}").format(s, sql.Identifier(enum_name))
            else:
                type_sql = sql.SQL(c.sql_type)
            default = (
                sql.SQL(" DEFAULT {}::text").format(sql.Literal(c.default))
                if c.default is not None and c.sql_type == "text"
                else sql.SQL("")
            )
            columns.append(
                sql.SQL("{} {}{}{}").format(
                    sql.Identifier(c.name),
                    type_sql,
                    sql.SQL("" if c.nullable else " NOT NULL"),
                    default,
                )
            )
        target = sql.SQL("{}.{}").format(s, sql.Identifier(table.name))
        conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(columns)))
        if table.comment is not None:
            conn.execute(
                sql.SQL("COMMENT ON TABLE {} IS {}").format(target, sql.Literal(table.comment))
            )
        for c in table.columns:
            if c.comment is not None:
                conn.execute(
                    sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                        target, sql.Identifier(c.name), sql.Literal(c.comment)
                    )
                )
    if spec.view:
        conn.execute(
            sql.SQL("CREATE VIEW {}.{} AS SELECT * FROM {}.{}").format(
                s, sql.Identifier(VIEW_NAME), s, sql.Identifier(spec.tables[0].name)
            )
        )


def _value(spec: SchemaSpec, column: ColumnSpec) -> Any:
    if column.sql_type.startswith("enum:"):
        return spec.enums[int(column.sql_type[5:])][1][0]
    return SCALARS[column.sql_type]


# --- the property --------------------------------------------------------------------------------


def _tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture
def fuzz_db(pg_server: TempServer) -> str:
    return pg_server.create_database(f"fuzz_{os.getpid()}_{id(pg_server)}")


# The suite-wide timeout scaled to the example count (`make fuzz` runs 1000).
@pytest.mark.timeout(max(600, EXAMPLES * 3))
def test_hostile_schemas_generate_importable_strict_code_that_reaches_every_column(
    fuzz_db: str, tmp_path: Path
) -> None:
    root = tmp_path / "trees"
    root.mkdir()
    sys.path.insert(0, str(root))
    counter = itertools.count()
    trees: list[str] = []
    options = Options()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
    @given(schema_specs())
    def one(spec: SchemaSpec) -> None:
        n = next(counter)
        schema, package = f"fz{n}", f"fzpkg{n}"
        with psycopg.connect(fuzz_db, autocommit=True) as conn:
            _create(conn, schema, spec)
        try:
            db = introspect(fuzz_db, [schema])
        finally:
            with psycopg.connect(fuzz_db, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        out = root / package
        cfg = load_settings(Overrides(db_url=fuzz_db, out=out, schemas=(schema,)), cwd=tmp_path)
        write_tree(out, build_files(cfg, db, None))

        # Lint with the default rules plus import order; the tree must be formatted already.
        lint = _tool(
            str(BIN / "ruff"), "check", "--isolated", "--no-cache",
            "--select", "E4,E7,E9,F,I,RUF022", package, cwd=root,
        )  # fmt: skip
        assert lint.returncode == 0, lint.stdout
        fmt = _tool(
            str(BIN / "ruff"), "format", "--isolated", "--no-cache", "--check", package, cwd=root
        )
        assert fmt.returncode == 0, fmt.stdout

        # Importing runs no catalog text, and pydantic has nothing to warn about.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            module = importlib.import_module(package)
            models = importlib.import_module(f"{package}.generated.fastapi")
            enums = importlib.import_module(f"{package}.enums")
        assert not hasattr(builtins, SENTINEL)

        names = decide_names(db, options)
        for enum_name, enum_labels, _comment in spec.enums:
            cls_name, _alias = names.enums[f"{schema}.{enum_name}"]
            assert [m.value for m in getattr(enums, cls_name)] == list(enum_labels)
        for table in spec.tables:
            tn = names.tables[f"{schema}.{table.name}"]
            real = [c.name for c in table.columns]
            typed_dict = getattr(module, tn.row)
            assert list(typed_dict.__annotations__) == real
            assert typed_dict.__required_keys__ == frozenset(real)
            row = {c.name: _value(spec, c) for c in table.columns}
            model = getattr(models, tn.model).model_validate(row)
            dumped = json.loads(model.model_dump_json())
            assert list(dumped) == real
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
