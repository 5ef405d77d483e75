"""Typed jsonb: nested models from a column's JSON Schema (the only datamodel-code-generator import).

datamodel-code-generator costs about 0.2 s to import and several milliseconds per model, so it
is imported only when a column carries a JSON Schema, and never for table models.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from generator import ir
from generator.errors import ConfigError

Layer = Literal["typeddict", "pydantic"]

# pg_get_constraintdef's text of a pg_jsonschema CHECK, e.g.
#   CHECK (extensions.jsonb_matches_schema('{"type": "object"}'::json, settings))
_MATCHES_SCHEMA = re.compile(
    r"""(?:"?[\w$]+"?\.)?jsonb?_matches_schema\(\s*
        '(?P<schema>(?:[^']|'')*)'(?:::jsonb?)?\s*,\s*
        (?P<column>"(?:[^"]|"")+"|[\w$]+)(?:::jsonb?)?\s*\)""",
    re.VERBOSE,
)


def schemas_in_check(definition: str) -> dict[str, str]:
    """column name -> JSON Schema text for each `json(b)_matches_schema` call in a CHECK."""
    found: dict[str, str] = {}
    for match in _MATCHES_SCHEMA.finditer(definition):
        column = match["column"]
        if column.startswith('"'):
            column = column[1:-1].replace('""', '"')
        found.setdefault(column, match["schema"].replace("''", "'"))
    return found


def table_json_schemas(table: ir.Table) -> dict[str, str]:
    """column name -> JSON Schema text, from every pg_jsonschema CHECK of the table."""
    found: dict[str, str] = {}
    for check in table.check_constraints:
        if "_matches_schema(" in check.definition:
            found.update(schemas_in_check(check.definition))
    return found


def canonical_schema(text: str, where: str) -> str:
    """The schema as compact JSON, keys in their written order (property order is meaningful)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f"the JSON Schema of {where} is not valid JSON: {exc}",
            hint="fix the schema in the CHECK constraint or the [tool.sync-schema.jsonb] file",
        ) from None
    if not isinstance(document, dict):
        raise ConfigError(
            f"the JSON Schema of {where} is not an object",
            hint='a JSON Schema is a JSON object, such as {"type": "object", ...}',
        )
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def tool_version() -> str:
    """The installed datamodel-code-generator version (its output changes between releases)."""
    try:
        return importlib.metadata.version("datamodel-code-generator")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


@functools.lru_cache(maxsize=256)
def render_models(schema: str, class_name: str, layer: Layer, header: str, where: str) -> str:
    """A module of TypedDicts or Pydantic v2 models for `schema`, its root named `class_name`."""
    from datamodel_code_generator import generate  # noqa: PLC0415
    from datamodel_code_generator.enums import DataModelType, InputFileType  # noqa: PLC0415

    model_type = (
        DataModelType.TypingTypedDict if layer == "typeddict" else DataModelType.PydanticV2BaseModel
    )
    options: Mapping[str, Any] = {
        "input_file_type": InputFileType.JsonSchema,
        "output_model_type": model_type,
        "class_name": class_name,
        "custom_file_header": header,
        "disable_timestamp": True,
        # sync-schema's own ruff pass formats and sorts every generated file.
        "formatters": [],
        "target_python_version": "3.11",
        "use_standard_collections": True,
        "use_union_operator": True,
        # Constraints as Field(...) inside Annotated: conint(...) is no valid annotation for mypy.
        "field_constraints": True,
        "use_annotated": True,
        "use_double_quotes": True,
    }
    try:
        result = generate(schema, **options)
    except Exception as exc:  # the tool raises many kinds; each means this schema is unusable
        raise ConfigError(
            f"datamodel-code-generator could not build models for {where}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
            hint="check the column's JSON Schema (CHECK json(b)_matches_schema or "
            "[tool.sync-schema.jsonb])",
        ) from None
    if not isinstance(result, str):
        raise ConfigError(
            f"the JSON Schema of {where} references other files",
            hint="inline every $ref into one schema document",
        )
    return result
