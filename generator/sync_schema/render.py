"""Render the whole generated tree through Jinja2 (the only module that imports Jinja)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync_schema import ir, jsonschema
from sync_schema.codemodel import (
    GENERATED_MARKER,
    HEADER,
    NameLock,
    Names,
    Options,
    TreeBuilder,
    decide_names,
    json_schema_columns,
    schema_packages,
)
from sync_schema.errors import ConfigError
from sync_schema.snapshot import Manifest, VersionInfo
from sync_schema.typemap import JSONB_MODELS_PACKAGE, JSONB_PACKAGE

if TYPE_CHECKING:
    import jinja2

BUILTIN_TEMPLATES = next(
    p
    for p in (
        Path(__file__).parent / "templates",  # installed wheel
        Path(__file__).parent.parent.parent / "templates",  # source checkout / editable install
    )
    if p.is_dir()
)

JSONB_INIT_TEMPLATE = "jsonb/__init__.py.jinja"

#: path in a schema's package -> template name (public's package is the root itself), in
#: the order the files render: the biggest first, so ruff formats them while the rest render.
PY_FILES: dict[str, str] = {
    "generated/fastapi/models.py": "generated/fastapi/models.py.jinja",
    "database/entities.py": "database/entities.py.jinja",
    "database/relationships.py": "database/relationships.py.jinja",
    "database/views.py": "database/views.py.jinja",
    "database/types.py": "database/types.py.jinja",
    "database/functions.py": "database/functions.py.jinja",
    "__init__.py": "__init__.py.jinja",
    "schema_version.py": "schema_version.py.jinja",
    "json_types.py": "json_types.py.jinja",
    "generated/fastapi/pg_types.py": "generated/fastapi/pg_types.py.jinja",
    "enums.py": "enums.py.jinja",
    "database/__init__.py": "database/__init__.py.jinja",
    "generated/__init__.py": "generated/__init__.py.jinja",
    "generated/fastapi/__init__.py": "generated/fastapi/__init__.py.jinja",
    "client.py": "client.py.jinja",
}
#: Files a [tool.sync-schema] setting turns on: path -> whether the options ask for it.
OPTIONAL_FILES: dict[str, Callable[[Options], bool]] = {"client.py": lambda o: o.client}


def next_version(previous: VersionInfo | None, db_hash: str, now: datetime) -> VersionInfo:
    """Keep the previous version while the hash is unchanged; otherwise bump it and stamp now."""
    if previous is not None and previous.db_hash == db_hash:
        return VersionInfo(previous.schema_version, previous.last_sync, db_hash)
    number = previous.schema_version + 1 if previous is not None else 1
    stamp = now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return VersionInfo(number, stamp, db_hash)


def environment(templates: Path | None = None) -> jinja2.Environment:
    """One Environment: the user's folder first, then the built-in templates."""
    # Imported here: `check` on an unchanged tree, `diff` and the startup guard never render.
    import jinja2  # noqa: PLC0415

    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        if not templates.is_dir():
            raise ConfigError(
                f"templates folder not found: {templates}",
                hint="pass --templates DIR with a folder of *.jinja overrides, or drop the option",
            )
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders.append(jinja2.FileSystemLoader(BUILTIN_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - the output is Python source, escaped by sync_schema.pytext
    )
    from sync_schema.templatecache import attach  # noqa: PLC0415 - with jinja2, as above

    return attach(env)


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
    return {path: rendered[path] for path in tree_paths(db, options)}


def render_files(
    db: ir.Database,
    version: VersionInfo | Callable[[], VersionInfo],
    *,
    options: Options | None = None,
    templates: Path | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
    paths: Collection[str] | None = None,
    names: Names | None = None,
) -> Iterator[tuple[str, str]]:
    """(path, text) of each Python file (or of `paths`) as it is rendered, biggest first.

    Each context is built only when its file is rendered, so a caller can format the files
    already yielded while the next ones render. `version` may be a function, called only
    when schema_version.py is rendered (hashing the IR can then overlap with formatting).
    `names` are the decided class names (decided here, without a lock, when not given).
    """
    options = options or Options()
    names = names if names is not None else decide_names(db, options)
    builders = {
        schema: TreeBuilder(db=db, options=options, warn=warn, schema=schema, shared_names=names)
        for schema in names.packages
    }
    env = environment(templates)
    from jinja2 import TemplateError  # noqa: PLC0415  (loaded by environment())

    for rel, template in PY_FILES.items():
        if rel in OPTIONAL_FILES and not OPTIONAL_FILES[rel](options):
            continue
        for schema, package in names.packages.items():
            if package and rel in ROOT_ONLY_FILES:
                continue
            path = package.replace(".", "/") + rel
            if paths is not None and path not in paths:
                continue
            try:
                context = _context(rel, builders[schema], version, root=not package)
                text = env.get_template(template).render(header=HEADER, **context)
            except TemplateError as exc:
                raise ConfigError(
                    f"template {template} failed: {exc}",
                    hint="fix the template in your --templates folder (or remove it to use the built-in)",
                ) from None
            yield path, text
    yield from _jsonb_files(db, options, names, env, paths)


def _jsonb_files(
    db: ir.Database,
    options: Options,
    names: Names,
    env: jinja2.Environment,
    paths: Collection[str] | None,
) -> Iterator[tuple[str, str]]:
    """The modules of JSON-Schema-typed columns, made by datamodel-code-generator."""
    columns = json_schema_columns(db, options)
    if not columns:
        return
    init = env.get_template(JSONB_INIT_TEMPLATE).render(header=HEADER)
    layers: tuple[tuple[str, jsonschema.Layer], ...] = (
        (JSONB_PACKAGE, "typeddict"),
        (JSONB_MODELS_PACKAGE, "pydantic"),
    )
    for package, layer in layers:
        folder = package.replace(".", "/")
        if paths is None or f"{folder}/__init__.py" in paths:
            yield f"{folder}/__init__.py", init
        for key, column in columns.items():
            path = f"{folder}/{column.module}.py"
            if paths is None or path in paths:
                _module, class_name = names.jsonb[key]
                yield path, jsonschema.render_models(column.schema, class_name, layer, HEADER, key)


#: Files only the root package has; every schema's subpackage has the others.
ROOT_ONLY_FILES = frozenset(
    {"schema_version.py", "json_types.py", "generated/fastapi/pg_types.py", "client.py"}
)
_DATABASE_MODULES = ("entities", "functions", "relationships", "types", "views")


def tree_paths(db: ir.Database, options: Options | None = None) -> list[str]:
    """Every Python file of the tree for `db`: the root's, each other schema's package, jsonb."""
    options = options or Options()
    paths = [rel for rel in PY_FILES if rel not in OPTIONAL_FILES or OPTIONAL_FILES[rel](options)]
    for package in schema_packages(db.schemas).values():
        if package:
            prefix = package.replace(".", "/")
            paths += [prefix + rel for rel in PY_FILES if rel not in ROOT_ONLY_FILES]
    columns = json_schema_columns(db, options)
    if columns:
        for package in (JSONB_PACKAGE, JSONB_MODELS_PACKAGE):
            folder = package.replace(".", "/")
            paths.append(f"{folder}/__init__.py")
            paths += [f"{folder}/{column.module}.py" for column in columns.values()]
    return paths


def _context(
    rel: str,
    builder: TreeBuilder,
    version: VersionInfo | Callable[[], VersionInfo],
    *,
    root: bool,
) -> dict[str, Any]:
    """The template context of file `rel` of the builder's schema package."""
    if rel == "generated/fastapi/models.py":
        return builder.models()
    if rel.startswith("database/") and rel != "database/__init__.py":
        module = rel.removeprefix("database/").removesuffix(".py")
        if module == "types":
            return builder.composites()
        if module == "functions":
            return builder.functions()
        return builder.typeddicts(module)
    if rel == "schema_version.py":
        return {"version": version() if callable(version) else version}
    if rel == "enums.py":
        return builder.enums()
    if rel == "client.py":
        return builder.client()
    if rel == "generated/fastapi/__init__.py":
        return {"names": builder.model_exports()}
    if rel in ("json_types.py", "generated/__init__.py", "generated/fastapi/pg_types.py"):
        return {}
    exports = builder.exports()
    database_modules = [(m, exports[m]) for m in _DATABASE_MODULES]
    database_names = sorted(n for _m, names in database_modules for n in names)
    if rel == "database/__init__.py":
        return {"modules": database_modules, "all_names": database_names}
    assert rel == "__init__.py", rel
    root_names = [
        "Json",
        "JsonNotNull",
        "DB_HASH",
        "GENERATOR_VERSION",
        "LAST_SYNC",
        "SCHEMA_VERSION",
    ]
    return {
        "root": root,
        "database_names": database_names,
        "enum_names": exports["enums"],
        "all_names": sorted([*database_names, *exports["enums"], *(root_names if root else [])]),
    }


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


def snapshot_json(
    parts: ir.JsonParts, version: VersionInfo, manifest: Manifest, lock: NameLock
) -> str:
    """schema.json: version facts, file hashes, the lock of names, then the canonical IR.

    `parts` is `ir.json_parts` of the IR. One line per file, name, table, enum or type keeps
    diffs reviewable; each object was encoded once, by the C JSON encoder, for DB_HASH too.
    `lock` (`codemodel.name_lock`) is what the next generation reads to keep every name.
    """
    head = {
        "$comment": f"{GENERATED_MARKER}. Do not edit: run `sync-schema generate` to regenerate.",
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
    lines.append('"names": {')
    lines += [
        f"{ir.dumps(key)}: {ir.dumps(base)}{',' if index < len(lock) - 1 else ''}"
        for index, (key, base) in enumerate(sorted(lock.items()))
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
