"""The IR's canonical JSON: written straight from the dataclasses, it is json.dumps of to_dict."""

from __future__ import annotations

import enum
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sync_schema import ir
from tests.unit.test_pipeline import BIG_DB
from tests.unit.test_render import HOSTILE_DB

# Catalog text as hostile as Postgres allows: quotes, backslashes, control characters,
# line separators, astral-plane characters (no NUL, no lone surrogates: text cannot hold them).
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
OPTIONAL_TEXT = st.none() | TEXT
SMALL = st.integers(min_value=-(2**31), max_value=2**31 - 1)


def tuples(elements: st.SearchStrategy[Any], max_size: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """Tuples of up to max_size elements: every IR collection is a tuple."""
    return st.lists(elements, max_size=max_size).map(tuple)


def reference_parts(db: ir.Database) -> ir.JsonParts:
    """What json_parts must equal: each top-level value (list item) through json.dumps."""
    return {
        key: [ir.dumps(item) for item in value] if isinstance(value, list) else ir.dumps(value)
        for key, value in sorted(ir.to_dict(db).items())
    }


type_refs = st.builds(
    ir.TypeRef,
    schema=TEXT,
    name=TEXT,
    kind=st.sampled_from(["base", "enum", "composite", "domain", "range", "multirange"]),
    sql=TEXT,
    array_dims=st.integers(0, 3),
    max_length=st.none() | SMALL,
    precision=st.none() | SMALL,
    scale=st.none() | SMALL,
)
columns = st.builds(
    ir.Column,
    name=TEXT,
    type=type_refs,
    nullable=st.booleans(),
    default=OPTIONAL_TEXT,
    identity=st.sampled_from([None, "always", "by_default"]),
    generated=st.sampled_from([None, "stored", "virtual"]),
    generation_expression=OPTIONAL_TEXT,
    comment=OPTIONAL_TEXT,
)
names = tuples(TEXT, 3)
checks = st.builds(ir.CheckConstraint, name=TEXT, definition=TEXT)
tables = st.builds(
    ir.Table,
    schema=TEXT,
    name=TEXT,
    kind=st.sampled_from(["table", "view", "materialized_view", "foreign_table"]),
    columns=tuples(columns, 4),
    primary_key=st.none() | st.builds(ir.PrimaryKey, name=TEXT, columns=names),
    unique_constraints=tuples(st.builds(ir.UniqueConstraint, name=TEXT, columns=names), 2),
    foreign_keys=tuples(
        st.builds(
            ir.ForeignKey,
            name=TEXT,
            columns=names,
            target_schema=TEXT,
            target_table=TEXT,
            target_columns=names,
            on_delete=st.sampled_from(["no action", "cascade", "set null"]),
        ),
        2,
    ),
    check_constraints=tuples(checks, 2),
    comment=OPTIONAL_TEXT,
)
databases = st.builds(
    ir.Database,
    schemas=names,
    enums=tuples(
        st.builds(ir.Enum, schema=TEXT, name=TEXT, labels=names, comment=OPTIONAL_TEXT), 3
    ),
    tables=tuples(tables, 3),
    composite_types=tuples(
        st.builds(
            ir.CompositeType,
            schema=TEXT,
            name=TEXT,
            attributes=tuples(columns, 3),
            comment=OPTIONAL_TEXT,
        ),
        2,
    ),
    domains=tuples(
        st.builds(
            ir.Domain,
            schema=TEXT,
            name=TEXT,
            base=type_refs,
            nullable=st.booleans(),
            default=OPTIONAL_TEXT,
            check_constraints=tuples(checks, 2),
            comment=OPTIONAL_TEXT,
        ),
        2,
    ),
    functions=tuples(
        st.builds(
            ir.Function,
            schema=TEXT,
            name=TEXT,
            arguments=tuples(
                st.builds(
                    ir.FunctionArg,
                    name=TEXT,
                    type=type_refs,
                    mode=st.sampled_from(["in", "out", "inout", "variadic", "table"]),
                    has_default=st.booleans(),
                ),
                3,
            ),
            returns=st.none() | type_refs,
            returns_set=st.booleans(),
            return_columns=tuples(columns, 2),
            volatility=st.sampled_from(["immutable", "stable", "volatile"]),
            comment=OPTIONAL_TEXT,
        ),
        2,
    ),
)


class Label(enum.StrEnum):
    PLAIN = 'plain \\ " \u2028 text'


def test_json_parts_equal_json_dumps_of_to_dict_on_fixed_databases() -> None:
    subclassed = ir.Database(
        schemas=("public",),
        enums=(ir.Enum(schema="public", name=Label.PLAIN, labels=(Label.PLAIN, "b")),),
    )
    for db in (HOSTILE_DB, BIG_DB, ir.Database(schemas=()), subclassed):
        assert ir.json_parts(db) == reference_parts(db)


@settings(max_examples=300, deadline=None)
@given(databases)
def test_json_parts_equal_json_dumps_of_to_dict_whatever_the_text(db: ir.Database) -> None:
    parts = ir.json_parts(db)
    assert parts == reference_parts(db)
    for value in parts.values():
        for item in value if isinstance(value, list) else [value]:
            json.loads(item)  # each part is JSON on its own
