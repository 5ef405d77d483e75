"""Render the whole generated tree through Jinja2 (the only module that imports Jinja)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from generator import __version__, ir
from generator.codemodel import GENERATED_MARKER, HEADER, Options, TreeBuilder
from generator.errors import ConfigError

BUILTIN_TEMPLATES = next(
    p
    for p in (
        Path(__file__).parent / "templates",  # installed wheel
        Path(__file__).parent.parent / "templates",  # source checkout / editable install
    )
    if p.is_dir()
)

SCHEMA_JSON = "schema.json"

#: output path -> template name, for every Python file of the tree.
PY_FILES: dict[str, str] = {
    "__init__.py": "__init__.py.jinja",
    "schema_version.py": "schema_version.py.jinja",
    "json_types.py": "json_types.py.jinja",
    "enums.py": "enums.py.jinja",
    "database/__init__.py": "database/__init__.py.jinja",
    "database/entities.py": "database/entities.py.jinja",
    "database/relationships.py": "database/relationships.py.jinja",
    "database/views.py": "database/views.py.jinja",
    "database/types.py": "database/types.py.jinja",
    "database/functions.py": "database/functions.py.jinja",
    "generated/__init__.py": "generated/__init__.py.jinja",
    "generated/fastapi/__init__.py": "generated/fastapi/__init__.py.jinja",
    "generated/fastapi/models.py": "generated/fastapi/models.py.jinja",
}


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """What schema_version.py records."""

    schema_version: int
    last_sync: str
    db_hash: str
    generator_version: str = __version__


def next_version(previous: VersionInfo | None, db_hash: str, now: datetime) -> VersionInfo:
    """Keep the previous version while the hash is unchanged; otherwise bump it and stamp now."""
    if previous is not None and previous.db_hash == db_hash:
        return VersionInfo(previous.schema_version, previous.last_sync, db_hash)
    number = previous.schema_version + 1 if previous is not None else 1
    stamp = now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return VersionInfo(number, stamp, db_hash)


def environment(templates: Path | None = None) -> jinja2.Environment:
    """One Environment: the user's folder first, then the built-in templates."""
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise ConfigError(
                f"templates folder not found: {templates}",
                hint="pass --templates DIR with a folder of *.jinja overrides, or drop the option",
            )
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.FileSystemLoader(BUILTIN_TEMPLATES))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - the output is Python source, escaped by generator.pytext
    )


def render_tree(
    db: ir.Database,
    version: VersionInfo,
    *,
    options: Options | None = None,
    templates: Path | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
) -> dict[str, str]:
    """Every Python file of the generated package, relative path -> text (not yet formatted).

    schema.json is added after formatting (`snapshot_json`): it records the final files' hashes.
    """
    rendered = dict(render_files(db, version, options=options, templates=templates, warn=warn))
    return {path: rendered[path] for path in PY_FILES}


def render_files(
    db: ir.Database,
    version: VersionInfo | Callable[[], VersionInfo],
    *,
    options: Options | None = None,
    templates: Path | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
    paths: Collection[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """(path, text) of each Python file (or of `paths`) as it is rendered, biggest first.

    Each context is built only when its file is rendered, so a caller can format the files
    already yielded while the next ones render. `version` may be a function, called only
    when schema_version.py is rendered (hashing the IR can then overlap with formatting).
    """
    builder = TreeBuilder(db=db, options=options or Options(), warn=warn)
    env = environment(templates)
    exports = builder.exports()
    database_modules = [
        (g, exports[g])
        for g in sorted(("entities", "relationships", "views", "types", "functions"))
    ]
    database_names = sorted(n for _g, names in database_modules for n in names)
    contexts: dict[str, Callable[[], dict[str, Any]]] = {
        "generated/fastapi/models.py": builder.models,
        "database/entities.py": lambda: builder.typeddicts("entities"),
        "database/relationships.py": lambda: builder.typeddicts("relationships"),
        "database/views.py": lambda: builder.typeddicts("views"),
        "database/types.py": builder.composites,
        "database/functions.py": builder.functions,
        "__init__.py": lambda: {
            "database_names": database_names,
            "enum_names": exports["enums"],
            "all_names": sorted(
                [
                    *database_names,
                    *exports["enums"],
                    "Json",
                    "DB_HASH",
                    "GENERATOR_VERSION",
                    "LAST_SYNC",
                    "SCHEMA_VERSION",
                ]
            ),
        },
        "schema_version.py": lambda: {"version": version() if callable(version) else version},
        "json_types.py": dict,
        "enums.py": builder.enums,
        "database/__init__.py": lambda: {"modules": database_modules, "all_names": database_names},
        "generated/__init__.py": dict,
        "generated/fastapi/__init__.py": lambda: {"names": builder.model_exports()},
    }
    for path, context in contexts.items():
        if paths is not None and path not in paths:
            continue
        template = PY_FILES[path]
        try:
            text = env.get_template(template).render(header=HEADER, **context())
        except jinja2.TemplateError as exc:
            raise ConfigError(
                f"template {template} failed: {exc}",
                hint="fix the template in your --templates folder (or remove it to use the built-in)",
            ) from None
        yield path, text


@dataclass(frozen=True, slots=True)
class Manifest:
    """What schema.json records about the generated files, so `check` can skip regenerating."""

    #: sha256 of every input besides the database: generator, ruff, options, templates
    inputs: str
    #: relative path -> sha256 of the file's bytes, for every file but schema.json
    files: Mapping[str, str]

    @classmethod
    def of(cls, files: Mapping[str, str], inputs: str) -> Manifest:
        """The manifest of a finished tree."""
        return cls(
            inputs=inputs,
            files={
                rel: hashlib.sha256(text.encode("utf-8")).hexdigest()
                for rel, text in sorted(files.items())
                if rel != SCHEMA_JSON
            },
        )


def template_sources(templates: Path | None) -> list[tuple[str, bytes]]:
    """(name, bytes) of every template that can be loaded, the user's folder first."""
    found: list[tuple[str, bytes]] = []
    for label, folder in (("user", templates), ("builtin", BUILTIN_TEMPLATES)):
        if folder is None or not folder.is_dir():
            continue
        found += [
            (f"{label}:{p.relative_to(folder).as_posix()}", p.read_bytes())
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        ]
    return found


def snapshot_json(parts: ir.JsonParts, version: VersionInfo, manifest: Manifest) -> str:
    """schema.json: version facts and file hashes, then the canonical IR, one object per line.

    `parts` is `ir.json_parts` of the IR. One line per table, enum or type keeps diffs
    reviewable; each object was encoded once, by the C JSON encoder, for DB_HASH too.
    """
    head = {
        "$comment": f"{GENERATED_MARKER}. Do not edit: run `make schemas` to regenerate.",
        "inputs": manifest.inputs,
        **asdict(version),
    }
    lines = ["{"]
    lines += [f"{ir.dumps(key)}: {ir.dumps(value)}," for key, value in sorted(head.items())]
    lines.append('"files": {')
    lines += [
        f"{ir.dumps(rel)}: {ir.dumps(digest)}{',' if index < len(manifest.files) - 1 else ''}"
        for index, (rel, digest) in enumerate(sorted(manifest.files.items()))
    ]
    lines.append("},")
    lines.append('"database": {')
    keys = list(parts)
    for index, key in enumerate(keys):
        value = parts[key]
        comma = "," if index < len(keys) - 1 else ""
        if isinstance(value, list) and value and value[0].startswith("{"):
            lines.append(f"{ir.dumps(key)}: [")
            lines += [f"{item}," for item in value[:-1]]
            lines += [value[-1], f"]{comma}"]
        elif isinstance(value, list):
            lines.append(f"{ir.dumps(key)}: [{','.join(value)}]{comma}")
        else:
            lines.append(f"{ir.dumps(key)}: {value}{comma}")
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def read_snapshot(text: str) -> tuple[VersionInfo, dict[str, Any], Manifest | None]:
    """Parse schema.json: version facts, the IR's plain data (decoded on demand), the manifest."""
    document = json.loads(text)
    version = VersionInfo(
        schema_version=int(document["schema_version"]),
        last_sync=str(document["last_sync"]),
        db_hash=str(document["db_hash"]),
        generator_version=str(document["generator_version"]),
    )
    data = document["database"]
    if not isinstance(data, dict):
        raise ValueError("'database' is not an object")
    files, inputs = document.get("files"), document.get("inputs")
    manifest = (
        Manifest(inputs=inputs, files=files)
        if isinstance(files, dict) and isinstance(inputs, str)
        else None  # written by an older sync-schema: check regenerates in full
    )
    return version, data, manifest
