"""Finding a column's JSON Schema in a pg_jsonschema CHECK, and keeping it canonical."""

from __future__ import annotations

import ast
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from sync_schema.embedded.server import TempServer
from sync_schema.errors import ConfigError, JsonSchemaError
from sync_schema.model.jsonb import (
    MAX_SCHEMA_BYTES,
    MAX_SCHEMA_DEPTH,
    Layer,
    canonical_schema,
    render_models,
    schemas_in_check,
)
from tests.conftest import dbname


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


# --- the schema is untrusted input: it comes from the database ---------------------------------

WHERE = "public.profiles.settings"
SECRET = "AWS_SECRET_ACCESS_KEY_wJalrXUtnFEMI"
ROOT = Path(__file__).parents[2]
# Every module a generated jsonb module may import: typing helpers and pydantic, nothing else.
SAFE_IMPORTS = frozenset(
    {
        *("__future__", "typing", "typing_extensions", "pydantic", "enum", "datetime"),
        *("decimal", "uuid", "builtins"),
    }
)

# Renders one schema in a child process that records every file it opens under the watched
# paths and every DNS lookup or connection; the address-space cap stops a /dev/zero read.
_WATCHED_RENDER = """
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
schema, watched = sys.argv[1], sys.argv[2:]
touched = []
def hook(event, args):
    if event.startswith("socket.") and event != "socket.__new__":
        touched.append(event)
    elif event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if any(w in path for w in watched):
            touched.append(path)
sys.addaudithook(hook)
from sync_schema.errors import SyncSchemaError
from sync_schema.model.jsonb import render_models
try:
    text = render_models(schema, "Root", "pydantic", "# header", "public.profiles.settings")
    outcome = {"error": None, "text": text}
except SyncSchemaError as exc:
    outcome = {"error": type(exc).__name__, "text": exc.message + "\\n" + exc.hint}
except MemoryError:
    outcome = {"error": "MemoryError", "text": ""}
print(json.dumps({**outcome, "touched": touched}))
"""


def _render_watched(schema: dict[str, Any], cwd: Path, *watched: str) -> dict[str, Any]:
    """render_models(schema) in a child process: its error, text and what it touched."""
    result = subprocess.run(
        [sys.executable, "-c", _WATCHED_RENDER, json.dumps(schema), *watched],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    outcome: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return outcome


def _object_with_ref(ref: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"leak": {"$ref": ref}}}


@pytest.mark.parametrize(
    "ref",
    [
        "{secret}",
        "file://{secret}",
        "../secret.json",
        "../secret.json#/properties",
        "/dev/zero",
        "http://sync-schema-test.invalid/schema.json",
        "https://sync-schema-test.invalid/schema.json#/$defs/X",
    ],
)
def test_a_ref_outside_the_schema_is_refused_before_any_read_or_lookup(
    ref: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(
        json.dumps({"type": "object", "properties": {SECRET: {"type": "string"}}}),
        encoding="utf-8",
    )
    project = tmp_path / "project"
    project.mkdir()

    outcome = _render_watched(
        _object_with_ref(ref.format(secret=secret)), project, "secret.json", "/dev/zero"
    )

    assert outcome["error"] == "JsonSchemaError"
    assert WHERE in outcome["text"]
    assert "#/$defs/" in outcome["text"]  # the hint says what is allowed
    assert SECRET not in outcome["text"]
    assert outcome["touched"] == []


@pytest.mark.parametrize(
    "schema",
    [
        {"$dynamicRef": "/etc/passwd"},
        {"$recursiveRef": "other.json"},
        {"allOf": [{"$ref": "#/$defs/A"}], "$defs": {"A": {"$ref": "/etc/hostname"}}},
        # A ref in a default is data, but nothing that names a file may reach the tool.
        {"type": "object", "default": {"$ref": "/etc/passwd"}},
        {
            "oneOf": [{"$ref": "#/$defs/Cat"}],
            "discriminator": {"propertyName": "kind", "mapping": {"cat": "cat.json"}},
            "$defs": {"Cat": {"type": "object"}},
        },
    ],
)
def test_every_kind_of_reference_keyword_must_stay_in_the_document(schema: dict[str, Any]) -> None:
    with pytest.raises(JsonSchemaError, match=r"public\.profiles\.settings") as caught:
        canonical_schema(json.dumps(schema), WHERE)
    assert "#/$defs/" in caught.value.hint


@pytest.mark.parametrize(
    ("schema", "refused"),
    [
        ({"$ref": "#/$defs/Missing", "$defs": {}}, "does not resolve"),
        ({"$ref": "#nowhere"}, "does not resolve"),
        # A property map is a list of names, not a schema: read as one, its keys become keywords.
        (
            {
                "type": "object",
                "properties": {
                    "x-python-import": {"module": "this", "name": "s"},
                    "copy": {"$ref": "#/properties"},
                },
            },
            "not a schema",
        ),
        (
            {"type": "object", "default": {"a": {}}, "properties": {"a": {"$ref": "#/default/a"}}},
            "not a schema",
        ),
        ({"type": "object", "properties": {"a": {"$ref": "#/type"}}}, "not a schema"),
    ],
)
def test_an_in_document_ref_must_point_at_a_schema(schema: dict[str, Any], refused: str) -> None:
    with pytest.raises(JsonSchemaError, match=refused):
        canonical_schema(json.dumps(schema), WHERE)


def _imported_modules(source: str) -> set[str]:
    """The top-level module of every absolute import statement in a Python source."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
    return modules


# What datamodel-code-generator 0.89.0 turns into imports, base classes or field code.
CODE_GENERATION_KEYS: list[tuple[str, Any]] = [
    ("customTypePath", "this.s"),
    ("customBasePath", "this.s"),
    ("customBasePath", ["this.s"]),
    ("x-python-import", {"module": "this", "name": "s"}),
    ("x-python-type", "this.s"),
    ("x-python-type", "Annotated[str, __import__('this')]"),
    ("x-is-base-class", True),
    ("x-is-classvar", True),
    ("x-enum-varnames", ["__import__('this')"]),
    ("x-datamodel-code-generator-field-name", "s"),
    (
        "#-datamodel-code-generator-#-extras-#-special-#",
        {"x-python-import": {"module": "this", "name": "s"}},
    ),
    ("default_factory", "dict"),
]


@pytest.mark.parametrize("layer", ["typeddict", "pydantic"])
@pytest.mark.parametrize(("key", "value"), CODE_GENERATION_KEYS)
def test_code_generation_keys_are_stripped_wherever_they_sit(
    key: str, value: Any, layer: Layer
) -> None:
    schema = {
        "type": "object",
        key: value,
        "properties": {
            "plain": {"type": "string", key: value},
            "list": {"type": "array", "items": {"type": "object", key: value}},
            "either": {"anyOf": [{"$ref": "#/$defs/Thing"}, {"type": "null"}]},
        },
        "$defs": {
            "Thing": {"type": "object", key: value, "properties": {"n": {"type": "integer"}}}
        },
    }

    canonical = canonical_schema(json.dumps(schema), WHERE)
    source = render_models(canonical, "Root", layer, "# header", WHERE)

    assert key not in canonical
    assert _imported_modules(source) <= SAFE_IMPORTS, source
    assert "this" not in source


def test_a_property_that_is_named_like_an_extension_key_stays_a_field() -> None:
    schema = {
        "type": "object",
        "properties": {
            "x-python-import": {"type": "string"},
            "customTypePath": {"type": "integer"},
        },
        "default": {"x-trace": 1},
    }

    canonical = json.loads(canonical_schema(json.dumps(schema), WHERE))

    assert list(canonical["properties"]) == ["x-python-import", "customTypePath"]
    assert canonical["default"] == {"x-trace": 1}  # data is the user's, not a keyword


def test_an_in_document_ref_still_types_its_field() -> None:
    schema = {
        "type": "object",
        "properties": {"theme": {"$ref": "#/$defs/Theme"}, "me": {"$ref": "#"}},
        "$defs": {"Theme": {"type": "object", "properties": {"dark": {"type": "boolean"}}}},
    }

    source = render_models(
        canonical_schema(json.dumps(schema), WHERE), "Root", "pydantic", "", WHERE
    )

    assert "class Theme(BaseModel):" in source
    assert "theme: Theme | None" in source


def test_an_anchor_declared_in_the_schema_can_be_referenced() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#item"}},
        "$defs": {"Item": {"$anchor": "item", "type": "string"}},
    }

    assert canonical_schema(json.dumps(schema), WHERE)


def _padded(size: int) -> str:
    """A valid schema whose text is exactly `size` UTF-8 bytes."""
    empty = '{"description":""}'
    return empty[:-2] + "x" * (size - len(empty)) + '"}'


def test_a_schema_larger_than_the_cap_is_refused() -> None:
    assert canonical_schema(_padded(MAX_SCHEMA_BYTES), WHERE)
    with pytest.raises(JsonSchemaError, match=r"public\.profiles\.settings.*bytes"):
        canonical_schema(_padded(MAX_SCHEMA_BYTES + 1), WHERE)


def _nested(depth: int) -> str:
    """A valid schema whose JSON nests objects `depth` levels deep."""
    return '{"not":' * (depth - 1) + "{}" + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [MAX_SCHEMA_DEPTH + 1, 100_000])
def test_a_schema_nested_deeper_than_the_cap_is_refused(depth: int) -> None:
    assert canonical_schema(_nested(MAX_SCHEMA_DEPTH), WHERE)
    # Brackets inside strings are text, not nesting.
    assert canonical_schema('{"description": "' + "[{" * 1000 + '\\""}', WHERE)
    with pytest.raises(JsonSchemaError, match=r"public\.profiles\.settings.*deep"):
        canonical_schema(_nested(depth)[:MAX_SCHEMA_BYTES], WHERE)


# --- end to end: a CHECK constraint on a real database ------------------------------------------

_STAND_IN = """
create schema extensions;
create function extensions.jsonb_matches_schema(schema json, instance jsonb) returns boolean
    language sql immutable as 'select true';
"""

# Imports every module of the generated package; prints whether anything outside it ran.
_IMPORT_ALL = """
import importlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
for path in sorted(root.rglob("*.py")):
    parts = path.relative_to(root.parent).with_suffix("").parts
    importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
print(json.dumps({"this": "this" in sys.modules}))
"""


def _profiles_with_schema(pg_server: TempServer, dsn: str, schema: dict[str, Any]) -> None:
    literal = json.dumps(schema).replace("'", "''")
    pg_server.psql(
        _STAND_IN + "create table public.profiles (id bigint primary key, settings jsonb "
        f"check (extensions.jsonb_matches_schema('{literal}', settings)));",
        dbname(dsn),
    )


def _generate(dsn: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "sync-schema"), "generate", "--db-url", dsn,
         "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=out.parent,
    )  # fmt: skip


@pytest.mark.parametrize(
    "base", ["file://{tmp}/outside/", "http://sync-schema-test.invalid/s.json", "../outside/s.json"]
)
def test_an_id_or_schema_uri_is_never_fetched_or_read(base: str, tmp_path: Path) -> None:
    base = base.format(tmp=tmp_path)
    schema = {
        "$schema": base,
        "$id": base,
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/A"}, "b": {"$id": base, "type": "string"}},
        "$defs": {"A": {"type": "integer"}},
    }
    (tmp_path / "project").mkdir()

    outcome = _render_watched(schema, tmp_path / "project", "outside")

    assert outcome["error"] is None, outcome["text"]
    assert "a: A | None" in outcome["text"]
    assert outcome["touched"] == []


def test_typeddicts_of_a_json_schema_are_usable_by_pydantic_on_every_supported_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pydantic refuses typing.TypedDict before Python 3.12: the tool's import is rewritten."""
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "inner": {"$ref": "#/$defs/Inner"}},
            "required": ["a"],
            "$defs": {"Inner": {"type": "object", "properties": {"b": {"type": "string"}}}},
        }
    )
    source = render_models(schema, "Doc", "typeddict", "# header", "public.t.c")
    tree = ast.parse(source)
    imported = {
        alias.name: node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported["TypedDict"] == "typing_extensions"
    (tmp_path / "typed_jsonb_doc.py").write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("typed_jsonb_doc")
    adapter = TypeAdapter(module.Doc)
    assert adapter.validate_python({"a": 1, "inner": {"b": "x"}}, strict=True) == {
        "a": 1,
        "inner": {"b": "x"},
    }


@pytest.mark.parametrize("layer", ["typeddict", "pydantic"])
def test_a_property_named_like_a_builtin_its_class_uses_does_not_shadow_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer: Layer
) -> None:
    """`str: Str` beside `b: str` made mypy read `str` as the field (found by the fuzz)."""
    inner = {"type": "object", "properties": {"q": {"type": "string"}}}
    schema = json.dumps(
        {
            "type": "object",
            "properties": {
                "str": inner,
                "b": {"type": "string", "description": "d"},
                "list": {"type": "array", "items": {"type": "string"}},
                "c": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["str"],
        }
    )
    module_name = f"typed_jsonb_shadow_{layer}"
    source = render_models(schema, "Ωmega", layer, "# header", "public.t.c")
    (tmp_path / f"{module_name}.py").write_text(source, encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", f"{module_name}.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    monkeypatch.syspath_prepend(str(tmp_path))
    root = importlib.import_module(module_name).Ωmega
    value = {"str": {"q": "x"}, "b": "y", "list": ["z"], "c": [1]}
    if layer == "typeddict":
        assert TypeAdapter(root).validate_python(value, strict=True) == value
    else:
        assert root.model_validate(value).model_dump(mode="json", by_alias=True) == value


RUFF_E7 = (sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache", "--select", "E7,F")


@pytest.mark.parametrize("layer", ["typeddict", "pydantic"])
def test_a_class_the_tool_names_o_l_or_i_is_renamed_with_its_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer: Layer
) -> None:
    """A property `o` holding an object made a class `O`: ruff's E742 (found by make fuzz)."""
    schema = json.dumps(
        {
            "type": "object",
            "properties": {
                "o": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "i": {"type": "object", "properties": {"n2": {"type": "string"}}},
            },
            "required": ["o"],
        }
    )
    module_name = f"typed_jsonb_ambiguous_{layer}"
    source = render_models(schema, "Root", layer, "# header", "public.t.c")
    (tmp_path / f"{module_name}.py").write_text(source, encoding="utf-8")
    ruff = subprocess.run(
        [*RUFF_E7, f"{module_name}.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode == 0, ruff.stdout
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", f"{module_name}.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout
    monkeypatch.syspath_prepend(str(tmp_path))
    root = importlib.import_module(module_name).Root
    value = {"o": {"n": 1}, "i": {"n2": "x"}}
    if layer == "typeddict":
        assert TypeAdapter(root).validate_python(value, strict=True) == value
    else:
        assert root.model_validate(value).model_dump(mode="json", by_alias=True) == value
