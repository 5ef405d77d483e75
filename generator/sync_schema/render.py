"""Render the whole generated tree through Jinja2 (the only module that imports Jinja)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sync_schema import ir
from sync_schema.errors import ConfigError
from sync_schema.layout import BUILTIN_TEMPLATES, HEADER, PlannedFile
from sync_schema.model import jsonb
from sync_schema.model.builder import TreeBuilder
from sync_schema.model.client import client_context
from sync_schema.model.contexts import (
    NoContext,
    TemplateContext,
    VersionModule,
    template_variables,
)
from sync_schema.model.models import models_context
from sync_schema.model.plan import TreePlan, plan_tree
from sync_schema.options import Options
from sync_schema.snapshot import VersionInfo

if TYPE_CHECKING:
    import jinja2


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
        autoescape=False,  # noqa: S701 - the output is Python source, escaped by sync_schema.model.literals
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
    """Every Python file of the tree for `db` (planned without a lock), not yet formatted."""
    plan = plan_tree(db, options or Options())
    rendered = dict(render_files(plan, version, templates=templates, warn=warn))
    return {path: rendered[path] for path in plan.paths}


def render_files(
    plan: TreePlan,
    version: VersionInfo | Callable[[], VersionInfo],
    *,
    templates: Path | None = None,
    warn: Callable[[str], None] = lambda _msg: None,
    paths: Collection[str] | None = None,
) -> Iterator[tuple[str, str]]:
    """(path, text) of each Python file of the plan (or of `paths`) as it renders, biggest first.

    Each context is built only when its file is rendered, so a caller can format the files
    already yielded while the next ones render. `version` may be a function, called only
    when schema_version.py is rendered (hashing the IR can then overlap with formatting).
    """
    builders: dict[str, TreeBuilder] = {}
    env = environment(templates)
    from jinja2 import TemplateError  # noqa: PLC0415  (loaded by environment())

    for file in sorted(plan.files, key=lambda f: f.render_rank):
        if paths is not None and file.path not in paths:
            continue
        if file.template is None:
            _module, class_name = plan.names.jsonb[file.jsonb_column]
            schema = plan.jsonb[file.jsonb_column].schema
            yield (
                file.path,
                jsonb.render_models(
                    schema, class_name, file.jsonb_layer, HEADER, file.jsonb_column
                ),
            )
            continue
        try:
            if not file.rel:  # a typed-jsonb package's __init__.py
                text = env.get_template(file.template).render(header=HEADER)
            else:
                if file.schema not in builders:
                    builders[file.schema] = TreeBuilder(plan, warn, file.schema)
                context = _context(file, builders[file.schema], version)
                text = env.get_template(file.template).render(
                    header=HEADER, **template_variables(context)
                )
        except TemplateError as exc:
            raise ConfigError(
                f"template {file.template} failed: {exc}",
                hint="fix the template in your --templates folder (or remove it to use the built-in)",
            ) from None
        yield file.path, text


def _context(
    file: PlannedFile, builder: TreeBuilder, version: VersionInfo | Callable[[], VersionInfo]
) -> TemplateContext:
    """The template context of a schema package's file."""
    rel = file.rel
    if rel == "generated/fastapi/models.py":
        return models_context(builder)
    if rel.startswith("database/") and rel != "database/__init__.py":
        module = rel.removeprefix("database/").removesuffix(".py")
        if module == "types":
            return builder.composites()
        if module == "functions":
            return builder.functions()
        return builder.typeddicts(module)
    if rel == "schema_version.py":
        return VersionModule(version() if callable(version) else version)
    if rel == "enums.py":
        return builder.enums()
    if rel == "client.py":
        return client_context(builder)
    if rel == "generated/fastapi/__init__.py":
        return builder.models_init()
    if rel in ("json_types.py", "generated/__init__.py", "generated/fastapi/pg_types.py"):
        return NoContext()
    if rel == "database/__init__.py":
        return builder.database_init()
    assert rel == "__init__.py", rel
    return builder.package_init()
