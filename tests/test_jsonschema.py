"""Finding a column's JSON Schema in a pg_jsonschema CHECK, and keeping it canonical."""

from __future__ import annotations

import pytest

from generator.errors import ConfigError
from generator.jsonschema import canonical_schema, schemas_in_check


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (
            """CHECK (extensions.jsonb_matches_schema('{"type": "object"}'::json, settings))""",
            {"settings": '{"type": "object"}'},
        ),
        (
            """CHECK (json_matches_schema('{"type": "array"}'::json, doc))""",
            {"doc": '{"type": "array"}'},
        ),
        # A quoted column, a doubled quote inside the schema, a schema-qualified call.
        (
            'CHECK ("Ext".jsonb_matches_schema(\'{"title": "it\'\'s"}\'::json, "My ""Col"""))',
            {'My "Col"': '{"title": "it\'s"}'},
        ),
        # Two columns in one constraint.
        (
            """CHECK ((jsonb_matches_schema('{"a": 1}'::json, a) AND jsonb_matches_schema('{"b": 2}'::json, b)))""",
            {"a": '{"a": 1}', "b": '{"b": 2}'},
        ),
        ("CHECK ((price > (0)::numeric))", {}),
        ("CHECK (jsonb_typeof(settings) = 'object'::text)", {}),
    ],
)
def test_schemas_are_found_in_pg_jsonschema_checks(
    definition: str, expected: dict[str, str]
) -> None:
    assert schemas_in_check(definition) == expected


def test_schemas_keep_their_key_order_and_lose_their_whitespace() -> None:
    assert canonical_schema('{"b": 1,\n  "a": [1, 2]}', "t.c") == '{"b":1,"a":[1,2]}'


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"string"'])
def test_a_schema_that_is_no_json_object_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError, match=r"public\.t\.c"):
        canonical_schema(text, "public.t.c")
