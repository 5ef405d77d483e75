"""The `sync-schema` command: the typer app, its flag form (--check, --diff, ...), init and version."""

from __future__ import annotations

import gc
import signal
from pathlib import Path
from typing import Annotated

import typer

from sync_schema import __version__, forked
from sync_schema.cli.commands import check_cmd, diff_cmd, generate_cmd, report_cmd
from sync_schema.cli.console import (
    EXIT_ERROR,
    EXIT_IN_SYNC,
    Console,
    display,
    run,
)
from sync_schema.cli.options import (
    ConfigFile,
    DatabaseFlags,
    DbUrl,
    ImpactCommand,
    Linked,
    Migrations,
    Out,
    ProjectId,
    Schema,
    SupabaseShim,
)
from sync_schema.config import Overrides, load_settings
from sync_schema.tree_store import read_snapshot_file

HELP = """\
Regenerate typed Python from a PostgreSQL / Supabase database, and catch drift.

The database: --db-url, --project-id, --linked, or $SUPABASE_DB_URL, $DATABASE_URL,
$SUPABASE_PROJECT_ID (in that order); with none, a throwaway embedded PostgreSQL
built from the migrations folder (default supabase/migrations).

Examples:

\b
  sync-schema generate        # rewrite schemas/ from the migrations
  sync-schema check           # exit 1 if schemas/ is stale (CI)
  sync-schema diff --format json
  sync-schema check --linked  # the project `supabase link` chose
  sync-schema --check --project-id prod

Exit codes: 0 in sync, 1 drift, 2 error.
"""


app = typer.Typer(
    help=HELP,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # Click's own error already suggests the closest command; Typer's would repeat it.
    suggest_commands=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="Same as `check`.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Same as `diff`.")] = False,
    update: Annotated[bool, typer.Option("--update", help="Same as `update`.")] = False,
    report_: Annotated[bool, typer.Option("--report", help="Same as `report`.")] = False,
    project_id: ProjectId = None,
    linked: Linked = False,
    db_url: DbUrl = None,
    migrations: Migrations = None,
    out: Out = None,
    schema: Schema = None,
    config: ConfigFile = None,
    supabase_shim: SupabaseShim = None,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    """Regenerate typed Python from the database, and catch drift."""
    ctx.obj = Overrides(
        db_url=db_url,
        migrations=migrations,
        out=out,
        schemas=tuple(schema or ()),
        config=config,
        project_id=project_id,
        supabase_shim=supabase_shim,
        linked=linked,
    )
    if version:
        typer.echo(f"sync-schema {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is not None:
        return
    chosen = [
        name
        for name, on in (("check", check), ("diff", diff), ("update", update), ("report", report_))
        if on
    ]
    if len(chosen) > 1:
        typer.echo(f"error: choose one of --{', --'.join(chosen)}", err=True)
        raise typer.Exit(EXIT_ERROR)
    if not chosen:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    command = {
        "check": check_cmd,
        "diff": diff_cmd,
        "update": generate_cmd,
        "report": report_cmd,
    }[chosen[0]]
    command(ctx=ctx)


app.command("generate", cls=ImpactCommand)(generate_cmd)
app.command("update", help="Alias of generate.", cls=ImpactCommand)(generate_cmd)
app.command("check", cls=ImpactCommand)(check_cmd)
app.command("diff", cls=ImpactCommand)(diff_cmd)
app.command("report", cls=ImpactCommand)(report_cmd)


@app.command("init")
def init_cmd(
    repository: Annotated[
        str | None,
        typer.Option(
            "--repository",
            help="GitHub OWNER/NAME that publishes sync-schema's action and pre-commit hook.",
            show_default=False,
        ),
    ] = None,
    ref: Annotated[
        str, typer.Option("--ref", help="Its tag, branch or commit to pin.")
    ] = f"v{__version__}",
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the files (and the section) that exist.")
    ] = False,
) -> None:
    """Scaffold this folder: [tool.sync-schema], a pre-commit hook, a CI workflow, .gitattributes.

    Nothing that exists is overwritten without --force; pyproject.toml only gains the section.
    """

    def action(console: Console) -> int:
        from sync_schema import scaffold  # noqa: PLC0415 - only init needs it

        for outcome in scaffold.init(Path.cwd(), repository=repository, ref=ref, force=force):
            line = f"{outcome.verb} {outcome.path}"
            console.out(f"{line}: {outcome.advice}" if outcome.advice else line)
        console.out(
            "Next: sync-schema generate, commit schemas/, and exclude schemas/ from your linters "
            '(ruff: extend-exclude = ["schemas"]).'
        )
        return EXIT_IN_SYNC

    run(action)


@app.command("version")
def version_cmd(ctx: typer.Context, out: Out = None, config: ConfigFile = None) -> None:
    """Print the generator version and the committed package's schema version."""
    overrides = DatabaseFlags(out=out, config=config).overrides(ctx)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        console.out(f"sync-schema {__version__}")
        previous = read_snapshot_file(settings.out)
        if previous is not None:
            v = previous.version
            console.out(
                f"{display(settings.out)}: SCHEMA_VERSION {v.schema_version}, "
                f"DB_HASH {v.db_hash[:12]}, LAST_SYNC {v.last_sync}"
            )
        return EXIT_IN_SYNC

    run(action)


def main() -> None:
    """Console-script entry point."""
    # A run allocates millions of small, acyclic objects (IR, template contexts): at the default
    # gen-0 threshold (700) the cycle collector runs thousands of times for nothing, ~7% of a
    # big generate. Cycles are still collected, just less often.
    gc.set_threshold(100_000, 50, 1000)
    # SIGTERM (timeout, docker stop, CI cancellation) unwinds like Ctrl-C, through every
    # cleanup: the embedded server stopped, its temp dir and the staging dir removed. A second
    # signal during that cleanup is ignored rather than cutting it short.
    forked.interrupt_once_on(signal.SIGINT, signal.SIGTERM)
    app()
