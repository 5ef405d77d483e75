"""The command-line options, declared once for every command that takes them."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

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


def overrides_from(ctx: typer.Context, **given: Any) -> Overrides:
    """Subcommand options over the root's (for `sync-schema --project-id X check`)."""
    base: Overrides = ctx.obj if isinstance(ctx.obj, Overrides) else Overrides()
    # --linked is read from the parsed parameters, so that no command body has to pass it on.
    values = {k: v for k, v in given.items() if v not in (None, [], ())}
    if ctx.params.get("linked"):
        values["linked"] = True
    if "schemas" in values:
        values["schemas"] = tuple(values["schemas"])
    return replace(base, **values)
