"""Typed jsonb: nested models from a column's JSON Schema (the only datamodel-code-generator import).

The schema comes from the database (or a config file) and is untrusted: `canonical_schema`
checks and strips it before datamodel-code-generator sees it, which then runs with remote refs
off and an empty folder as its base, so it never reads a user's file or the network.

datamodel-code-generator costs about 0.2 s to import and several milliseconds per model, so it
is imported only when a column carries a JSON Schema, and never for table models.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
import re
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, Literal

from sync_schema import ir, naming
from sync_schema.errors import JsonSchemaError
from sync_schema.versions import installed_version

Layer = Literal["typeddict", "pydantic"]

#: The largest schema text accepted, in UTF-8 bytes.
MAX_SCHEMA_BYTES = 256 * 1024
#: The deepest nesting of JSON objects and arrays accepted in a schema.
MAX_SCHEMA_DEPTH = 64

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
    """The schema as compact JSON, keys in written order, safe to hand to datamodel-code-generator.

    The text comes from the database, so it is untrusted: a schema that is too big or too deep,
    or whose reference leaves the document, is refused (JsonSchemaError, exit 2) rather than typed
    as `Json`, because a schema sync-schema cannot honour must not be typed silently wrong. Keys
    that only steer code generation are stripped (`_is_code_generation_key`).
    """
    _check_size(text, where)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise JsonSchemaError(
            f"the JSON Schema of {where} is not valid JSON: {exc}",
            hint="fix the schema in the CHECK constraint or the [tool.sync-schema.jsonb] file",
        ) from None
    if not isinstance(document, dict):
        raise JsonSchemaError(
            f"the JSON Schema of {where} is not an object",
            hint='a JSON Schema is a JSON object, such as {"type": "object", ...}',
        )
    walk = _Walk()
    safe = walk.schema(document)
    for keyword, ref in walk.refs:
        _check_ref(safe, keyword, ref, walk, where)
    return json.dumps(safe, ensure_ascii=False, separators=(",", ":"))


# Keywords whose value names other schemas; datamodel-code-generator would read any of them.
_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
# Keywords whose value maps names (property names, definition names) to schemas.
_NAME_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
)
# Keywords whose value is instance data: kept as written, never read as a schema.
_DATA_KEYWORDS = frozenset({"const", "enum", "default", "examples", "example"})
# datamodel-code-generator 0.89.0 reads these schema keys as code: imports, base classes,
# annotations, field options (parser/_schema_object.py, parser/jsonschema.py).
_CODE_GENERATION_KEYS = frozenset(
    {
        "customTypePath",
        "customBasePath",
        "default_factory",
        "is_classvar",
        "init",
        "validate_default",
    }
)
# Every `x-` extension (x-python-import, x-python-type, x-is-base-class, x-enum-varnames, ...),
# the tool's internal extras key (#-datamodel-code-generator-#-extras-...) and dunder keys.
_CODE_GENERATION_PREFIXES = ("x-", "#", "__")
_REFS_HINT = (
    "use only in-document refs (#/$defs/...) to schemas in the same document: "
    "sync-schema never reads files or the network for a column's JSON Schema"
)


def _check_size(text: str, where: str) -> None:
    """Refuse a schema above MAX_SCHEMA_BYTES or MAX_SCHEMA_DEPTH, before parsing it."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_SCHEMA_BYTES:
        raise JsonSchemaError(
            f"the JSON Schema of {where} is {size} bytes, more than the {MAX_SCHEMA_BYTES} accepted",
            hint="shorten the schema, e.g. share repeated parts through #/$defs",
        )
    if _nesting_exceeds(text, MAX_SCHEMA_DEPTH):
        raise JsonSchemaError(
            f"the JSON Schema of {where} nests more than {MAX_SCHEMA_DEPTH} levels deep",
            hint="flatten the schema, e.g. name nested parts in #/$defs and refer to them",
        )


def _nesting_exceeds(text: str, limit: int) -> bool:
    """Whether JSON objects/arrays in text nest deeper than limit (one linear pass, no parse)."""
    if text.count("{") + text.count("[") <= limit:
        return False  # the common case, counted at C speed
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _is_code_generation_key(key: str) -> bool:
    """Whether a schema key steers datamodel-code-generator's output rather than validation."""
    return key in _CODE_GENERATION_KEYS or key.startswith(_CODE_GENERATION_PREFIXES)


class _Walk:
    """One pass over a parsed schema: a stripped copy, its refs, anchors and non-schema nodes."""

    def __init__(self) -> None:
        self.refs: list[tuple[str, str]] = []
        self.anchors: set[str] = set()
        # ids of the copy's name maps and data values: a ref landing on one is refused.
        self.opaque: set[int] = set()

    def schema(self, node: Any) -> Any:
        """A copy of a schema (or of anything a ref could reach) without code generation keys."""
        if isinstance(node, list):
            return [self.schema(item) for item in node]
        if not isinstance(node, dict):
            return node
        copy: dict[str, Any] = {}
        for key, value in node.items():
            if _is_code_generation_key(key):
                continue
            if key in _DATA_KEYWORDS:
                copy[key] = self.data(value)
            elif key in _NAME_MAPS and isinstance(value, dict):
                copy[key] = self.name_map(value)
            else:
                copy[key] = self.schema(value)
            self._note(key, value)
        return copy

    def name_map(self, node: dict[str, Any]) -> dict[str, Any]:
        """A copy of a map from names to schemas: the names are the user's, kept as written."""
        copy = {name: self.schema(value) for name, value in node.items()}
        self.opaque.add(id(copy))
        return copy

    def data(self, node: Any) -> Any:
        """Instance data, kept as written: only its reference keywords are noted (and checked)."""
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _REF_KEYWORDS and isinstance(value, str):
                    self.refs.append((key, value))
                self.data(value)
        elif isinstance(node, list):
            for item in node:
                self.data(item)
        if isinstance(node, (dict, list)):
            self.opaque.add(id(node))
        return node

    def _note(self, key: str, value: Any) -> None:
        """Record the refs and anchors a key declares."""
        if key in _REF_KEYWORDS and isinstance(value, str):
            self.refs.append((key, value))
        elif key in ("$anchor", "$dynamicAnchor") and isinstance(value, str):
            self.anchors.add(value)
        elif key == "discriminator" and isinstance(value, dict):
            mapping = value.get("mapping")
            if isinstance(mapping, dict):
                self.refs += [(key, ref) for ref in mapping.values() if isinstance(ref, str)]


_MISSING = object()


def _pointer_target(document: Any, pointer: str) -> Any:
    """The node a JSON pointer ("/a/b") names in document, or _MISSING."""
    node = document
    for token in pointer.split("/")[1:]:
        name = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and name in node:
            node = node[name]
        elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
            node = node[int(name)]
        else:
            return _MISSING
    return node


def _check_ref(document: dict[str, Any], keyword: str, ref: str, walk: _Walk, where: str) -> None:
    """Refuse a ref that leaves the document, names nothing, or lands on something no schema."""
    shown = ref if len(ref) <= 80 else ref[:77] + "..."
    if not ref.startswith("#"):
        raise JsonSchemaError(
            f"the JSON Schema of {where} is refused: {keyword} {shown!r} points outside the schema",
            hint=_REFS_HINT,
        )
    fragment = ref[1:]
    if fragment and not fragment.startswith("/") and fragment not in walk.anchors:
        raise JsonSchemaError(
            f"the JSON Schema of {where} is refused: {keyword} {shown!r} does not resolve",
            hint=_REFS_HINT,
        )
    # Read the fragment both as written and percent-decoded, and a bare name also as the legacy
    # "#name" == "#/name" shorthand: whichever the tool picks must be a schema.
    pointer = fragment if fragment.startswith("/") or not fragment else "/" + fragment
    targets = [_pointer_target(document, p) for p in {pointer, urllib.parse.unquote(pointer)}]
    found = [target for target in targets if target is not _MISSING]
    if not found and fragment.startswith("/"):
        raise JsonSchemaError(
            f"the JSON Schema of {where} is refused: {keyword} {shown!r} does not resolve",
            hint=_REFS_HINT,
        )
    if any(not isinstance(t, (dict, bool)) or id(t) in walk.opaque for t in found):
        raise JsonSchemaError(
            f"the JSON Schema of {where} is refused: {keyword} {shown!r} is not a schema "
            "(it names a value, a property list or data)",
            hint=_REFS_HINT,
        )


def tool_version() -> str:
    """The installed datamodel-code-generator version (its output changes between releases)."""
    return installed_version("datamodel-code-generator", "datamodel_code_generator") or (
        "not installed"
    )


@functools.lru_cache(maxsize=256)
def render_models(schema: str, class_name: str, layer: Layer, header: str, where: str) -> str:
    """A module of TypedDicts or Pydantic v2 models for `schema`, its root named `class_name`."""
    from datamodel_code_generator import generate  # noqa: PLC0415
    from datamodel_code_generator.enums import DataModelType, InputFileType  # noqa: PLC0415

    # Whoever calls, the tool only ever sees a checked and stripped schema.
    schema = canonical_schema(schema, where)
    model_type = (
        DataModelType.TypingTypedDict if layer == "typeddict" else DataModelType.PydanticV2BaseModel
    )
    options: dict[str, Any] = {
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
        # Belt and braces behind canonical_schema's ref check: no fetch, and no file outside the
        # input's folder, a fresh directory holding nothing but the schema (a text input's base
        # would be the CWD, the user's project).
        "allow_remote_refs": False,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="sync-schema-jsonschema-") as folder:
            source = Path(folder) / "schema.json"
            source.write_text(schema, encoding="utf-8")
            result = generate(source, **options)
    except Exception as exc:  # the tool raises many kinds; each means this schema is unusable
        raise JsonSchemaError(
            f"datamodel-code-generator could not build models for {where}: "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}",
            hint="check the column's JSON Schema (CHECK json(b)_matches_schema or "
            "[tool.sync-schema.jsonb])",
        ) from None
    if not isinstance(result, str):
        raise JsonSchemaError(
            f"the JSON Schema of {where} references other files",
            hint="inline every $ref into one schema document",
        )
    result = _ambiguous_classes_renamed(_builtins_unshadowed(result))
    return _typeddict_from_typing_extensions(result) if layer == "typeddict" else result


#: How an annotation reaches a builtin that a field of its class shadows (`str: Str`).
_BUILTINS_MODULE = "_builtins"


def _builtins_unshadowed(source: str) -> str:
    """`_builtins.str` where a field of the same class is named `str`.

    The tool aliases a builtin a field shadows in most cases, but not all (a property `str`
    holding an object model beside a `str` field): mypy then reads the later `str` as the field.
    """
    tree = ast.parse(source)
    edits: list[tuple[int, int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        fields = {
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        }
        shadowed = fields & _BUILTIN_NAMES
        for item in node.body:
            if not (isinstance(item, ast.AnnAssign) and shadowed):
                continue
            edits.extend(
                (
                    name.lineno,
                    name.col_offset,
                    name.end_col_offset or name.col_offset,
                    f"{_BUILTINS_MODULE}.{name.id}",
                )
                for name in ast.walk(item.annotation)
                if isinstance(name, ast.Name) and name.id in shadowed
            )
    if not edits:
        return source
    body = _spliced(source, edits)
    future = "from __future__ import annotations\n"
    head, found, rest = body.partition(future)
    import_line = f"import builtins as {_BUILTINS_MODULE}\n"
    return f"{head}{future}\n{import_line}{rest}" if found else f"{import_line}{body}"


def _ambiguous_classes_renamed(source: str) -> str:
    """`OModel` for a class the tool named `O` (after a property `o`), `l` or `I`: ruff's E742.

    Every reference moves with it: annotations, bases, calls, and a functional TypedDict's name.
    """
    tree = ast.parse(source)
    defined: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ClassDef):
            defined.add(statement.name)
        elif isinstance(statement, ast.Assign) and isinstance(
            target := statement.targets[0], ast.Name
        ):
            defined.add(target.id)
    ambiguous = sorted(defined & naming.AMBIGUOUS_NAMES)
    if not ambiguous:
        return source
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | defined
    renamed = {old: naming.find_free_name(f"{old}Model", taken) for old in ambiguous}
    edits: list[tuple[int, int, int, str]] = []
    lines = source.split("\n")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in renamed:
            edits.append((node.lineno, node.col_offset, node.end_col_offset or 0, renamed[node.id]))
        elif isinstance(node, ast.ClassDef) and node.name in renamed:
            line = lines[node.lineno - 1].encode("utf-8")
            start = line.index(b"class ") + len(b"class ")
            edits.append((node.lineno, start, start + len(node.name), renamed[node.name]))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "TypedDict"
            and node.args
            and isinstance(first := node.args[0], ast.Constant)
            and isinstance(first.value, str)
            and first.value in renamed
        ):
            quoted = f'"{renamed[first.value]}"'
            edits.append((first.lineno, first.col_offset, first.end_col_offset or 0, quoted))
    return _spliced(source, edits)


def _spliced(source: str, edits: list[tuple[int, int, int, str]]) -> str:
    """`source` with each (line, start, end, text) span replaced; offsets are ast's UTF-8 bytes."""
    lines = source.split("\n")
    # From the end, so that the offsets of earlier edits still hold.
    for lineno, start, end, text in sorted(edits, reverse=True):
        raw = lines[lineno - 1].encode("utf-8")
        lines[lineno - 1] = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    return "\n".join(lines)


_BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def _typeddict_from_typing_extensions(source: str) -> str:
    """The module with TypedDict imported from typing_extensions, as the rest of the tree does.

    Pydantic (and so FastAPI) refuses typing.TypedDict before Python 3.12, and the tool has
    no setting for the backport. sync-schema's ruff pass sorts the imports afterwards.
    """
    lines = source.split("\n")
    for node in ast.parse(source).body:
        names = [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
        if isinstance(node, ast.ImportFrom) and node.module == "typing" and "TypedDict" in names:
            kept = [n for n in names if n != "TypedDict"]
            start, end = node.lineno - 1, node.end_lineno or node.lineno
            lines[start:end] = [
                *([f"from typing import {', '.join(kept)}"] if kept else []),
                "from typing_extensions import TypedDict",
            ]
            break
    return "\n".join(lines)
