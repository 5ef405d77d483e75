"""The command-line options, declared once for every command that takes them."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperCommand

from sync_schema.config import Overrides


class DiffFormat(StrEnum):
    """What diff prints."""

    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    """What report writes: a Markdown or JSON file, or the PR comment body on stdout."""

    markdown = "markdown"
    json = "json"
    github = "github"


# --- shared options ----------------------------------------------------------------------------

DbUrl = Annotated[
    str | None,
    typer.Option(
        "--db-url",
        help="PostgreSQL URL to introspect (default: $DATABASE_URL).",
        show_default=False,
    ),
]
Migrations = Annotated[
    Path | None,
    typer.Option(
        "--migrations", help="Migrations folder for the embedded server.", show_default=False
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Generated package folder (default: schemas).", show_default=False),
]
Schema = Annotated[
    list[str] | None,
    typer.Option(
        "--schema", help="Schema to generate; repeatable (default: public).", show_default=False
    ),
]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="pyproject.toml to read [tool.sync-schema] from.")
]
ProjectId = Annotated[
    str | None,
    typer.Option(
        "--project-id",
        help="Project in [tool.sync-schema.projects], or a Supabase project ref read through "
        "the Management API's query endpoint with $SUPABASE_ACCESS_TOKEN "
        "(default: $SUPABASE_PROJECT_ID).",
        show_default=False,
    ),
]
Linked = Annotated[
    bool,
    typer.Option(
        "--linked",
        help="The Supabase project `supabase link` recorded in supabase/.temp/ (its pooler URL "
        "with $SUPABASE_DB_PASSWORD).",
    ),
]
Templates = Annotated[
    Path | None,
    typer.Option("--templates", help="Folder of templates searched before the built-in ones."),
]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Print stage timings and queries.")]
SupabaseShim = Annotated[
    bool | None,
    typer.Option(
        "--supabase-shim/--no-supabase-shim",
        help="Create Supabase's roles, auth, storage and extensions before the migrations"
        " (default: on for supabase/migrations).",
        show_default=False,
    ),
]


class ImpactMode(StrEnum):
    """What --impact runs: the static scan, or the scan and mypy before and after."""

    usages = "usages"
    mypy = "mypy"


ImpactOption = Annotated[
    ImpactMode | None,
    typer.Option(
        "--impact",
        help="Also report the application lines the changes break: `--impact` scans the code "
        "for uses of the generated names (fast); `--impact=mypy` also runs mypy on it against "
        "the committed and the regenerated package and reports the new errors.",
        show_default=False,
    ),
]
AppDirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--app-dir",
        help="Application code --impact reads; repeatable (default: app-dirs in "
        "[tool.sync-schema]). Implies --impact.",
        show_default=False,
    ),
]


class ImpactCommand(TyperCommand):
    """A command whose --impact takes an optional value: alone, it means --impact=usages."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite a bare `--impact` (or `--impact mypy`) before click parses the options."""
        out: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                out += [arg, *rest]
                break
            if arg != "--impact":
                out.append(arg)
                continue
            value = next(rest, None)
            if value in tuple(ImpactMode):
                out.append(f"--impact={value}")
            else:
                out.append(f"--impact={ImpactMode.usages}")
                if value is not None:
                    out.append(value)
        return super().parse_args(ctx, out)


@dataclass(frozen=True, slots=True)
class DatabaseFlags:
    """The flags generate, check, diff and report share: which database, tree and report."""

    db_url: str | None = None
    migrations: Path | None = None
    out: Path | None = None
    schema: list[str] | None = None
    config: Path | None = None
    project_id: str | None = None
    linked: bool = False
    templates: Path | None = None
    supabase_shim: bool | None = None
    verbose: bool = False
    impact: ImpactMode | None = None
    app_dir: list[Path] | None = None

    def overrides(self, ctx: typer.Context, **more: Any) -> Overrides:
        """These flags over the root's (for `sync-schema --project-id X check`)."""
        base: Overrides = ctx.obj if isinstance(ctx.obj, Overrides) else Overrides()
        given = {
            "db_url": self.db_url,
            "migrations": self.migrations,
            "out": self.out,
            "schemas": tuple(self.schema) if self.schema else None,
            "config": self.config,
            "project_id": self.project_id,
            "templates": self.templates,
            "supabase_shim": self.supabase_shim,
            **more,
        }
        values = {k: v for k, v in given.items() if v is not None}
        if self.linked:
            values["linked"] = True
        return replace(base, **values)


#: Each flag's declaration; the command's own options go between the two groups in --help.
_SOURCE_FLAGS: tuple[tuple[str, object], ...] = (
    ("db_url", DbUrl),
    ("migrations", Migrations),
    ("out", Out),
    ("schema", Schema),
    ("config", ConfigFile),
    ("project_id", ProjectId),
    ("linked", Linked),
    ("templates", Templates),
    ("supabase_shim", SupabaseShim),
)
_RUN_FLAGS: tuple[tuple[str, object], ...] = (
    ("verbose", Verbose),
    ("impact", ImpactOption),
    ("app_dir", AppDirOption),
)


def database_command(func: Callable[..., None]) -> Callable[..., None]:
    """Give a command `(ctx, flags: DatabaseFlags, **own)` the shared flags, declared here once.

    Typer reads a command's options from its signature: the wrapper's lists ctx, the source
    flags, the command's own options, then the run flags, and hands the shared ones over as
    one `DatabaseFlags`.
    """
    own = [
        p
        for name, p in inspect.signature(func, eval_str=True).parameters.items()
        if name not in ("ctx", "flags")
    ]
    defaults = {f.name: f.default for f in fields(DatabaseFlags)}

    def flag(name: str, annotation: object) -> inspect.Parameter:
        kind = inspect.Parameter.KEYWORD_ONLY
        return inspect.Parameter(name, kind, default=defaults[name], annotation=annotation)

    context = inspect.Parameter(
        "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
    )
    parameters = [
        context,
        *(flag(n, a) for n, a in _SOURCE_FLAGS),
        *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own),
        *(flag(n, a) for n, a in _RUN_FLAGS),
    ]
    signature = inspect.Signature(parameters, return_annotation=None)

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        ctx = values.pop("ctx")
        flags = DatabaseFlags(**{name: values.pop(name) for name in defaults})
        func(ctx, flags, **values)

    command.__signature__ = signature  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}
    return command
