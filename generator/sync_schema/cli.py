"""The `sync-schema` command: generate, check, diff, report, init, version (and --check style flags)."""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, cast

import click
import typer
from typer.core import TyperCommand

from sync_schema import __version__, forked, ir
from sync_schema.config import Overrides, Settings, load_settings
from sync_schema.drift import Change, format_change
from sync_schema.errors import ConfigError, SyncSchemaError, redact
from sync_schema.fastdb import secrets
from sync_schema.output import TreeDiff, compare_tree, read_tree, write_tree
from sync_schema.pipeline import (
    Stats,
    build_files,
    committed_names,
    load_database,
    read_snapshot_file,
    semantic_changes,
    source_proves_current,
    tree_is_current,
    with_fresh_source,
)
from sync_schema.snapshot import Snapshot

if TYPE_CHECKING:
    # report (and what it imports) is loaded only by the commands that print one.
    from sync_schema import report

EXIT_IN_SYNC, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

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


class DiffFormat(StrEnum):
    """What diff prints."""

    text = "text"
    json = "json"


class ReportFormat(StrEnum):
    """What report writes: a Markdown or JSON file, or the PR comment body on stdout."""

    markdown = "markdown"
    json = "json"
    github = "github"


# --- terminal output ---------------------------------------------------------------------------


@dataclass(slots=True)
class Console:
    """Plain text when piped or NO_COLOR is set; ANSI colour on a terminal."""

    color: bool
    secrets: tuple[str, ...] = ()

    @classmethod
    def detect(cls, stream: Any = None) -> Console:
        """Colour only for a terminal without NO_COLOR."""
        stream = stream or sys.stdout
        tty = hasattr(stream, "isatty") and stream.isatty()
        return cls(color=tty and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb")

    def paint(self, text: str, code: str) -> str:
        """Wrap `text` in an ANSI colour code when colour is on."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def out(self, text: str = "") -> None:
        """Print to stdout, secrets redacted; once the reader is gone, print nothing more."""
        try:
            typer.echo(redact(text, self.secrets))
        except BrokenPipeError:
            # `check | head -1`: the command still runs to its end and exits with its own code.
            _silence_stdout()

    def err(self, text: str) -> None:
        """Print to stderr, secrets redacted."""
        typer.echo(redact(text, self.secrets), err=True)

    def change(self, change: Change) -> None:
        """One change block, severity coloured."""
        lines = format_change(change)
        colour = {"CRITICAL": "1;31", "HIGH": "31", "MEDIUM": "33", "LOW": "36"}
        lines[0] = self.paint(lines[0], colour[change.severity.name])
        for line in lines:
            self.out(line)


_secrets = secrets  # one list of what output must never show, shared with the entry


def _fail(console: Console, exc: BaseException) -> NoReturn:
    if isinstance(exc, SyncSchemaError):
        console.err(console.paint("error: ", "1;31") + exc.message)
        if exc.hint:
            console.err(f"hint: {exc.hint}")
    else:
        console.err(f"error: unexpected {type(exc).__name__}: {exc}")
        console.err("hint: run again with --verbose and report the issue")
    raise typer.Exit(EXIT_ERROR)


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
        "the Management API with $SUPABASE_ACCESS_TOKEN and $SUPABASE_DB_PASSWORD "
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


def _overrides(ctx: typer.Context, **given: Any) -> Overrides:
    """Subcommand options over the root's (for `sync-schema --project-id X check`)."""
    base: Overrides = ctx.obj if isinstance(ctx.obj, Overrides) else Overrides()
    # --linked is read from the parsed parameters, so that no command body has to pass it on.
    values = {k: v for k, v in given.items() if v not in (None, [], ())}
    if ctx.params.get("linked"):
        values["linked"] = True
    if "schemas" in values:
        values["schemas"] = tuple(values["schemas"])
    return replace(base, **values)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _run(action: Callable[[Console], int], console: Console | None = None) -> NoReturn:
    """Run one command: errors become exit 2 with a hint, never a traceback or an 'in sync'."""
    console = console or Console.detect()
    # Errors before the settings load (a refused token, say) are redacted too.
    console.secrets = console.secrets or _secrets()
    try:
        code = action(console)
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        # The swap is atomic, so this holds wherever the signal lands (even right after it).
        console.err(
            "interrupted: the output folder holds the previous tree or the new one, never a mix"
        )
        raise typer.Exit(EXIT_ERROR) from None
    except BrokenPipeError:
        # A pipe closed outside Console.out (a subprocess's output, say): stop quietly.
        _silence_stdout()
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:
        _fail(console, exc)
    raise typer.Exit(code)


def _introspect(
    settings: Settings, console: Console, stats: Stats
) -> tuple[ir.Database, Snapshot | None]:
    console.secrets = _secrets(settings)
    for note in settings.notes:
        console.err(f"note: {note}")
    if settings.db_url is not None and settings.db_url_origin != "--db-url":
        # Which database a setting chose (a flag's URL the user just typed is not repeated), on
        # stderr so that stdout (json, reports, a closed pipe's silence) is unchanged.
        console.err(settings.source_line)
    db = load_database(settings, stats)
    if db.is_empty:
        raise SyncSchemaError(
            f"no tables, views or types found in schema(s) {', '.join(settings.schemas)} "
            f"of the {settings.source_label}",
            hint="check --schema and the migrations (or the database URL)",
        )
    return db, read_snapshot_file(settings.out)


def _load(
    settings: Settings, console: Console, stats: Stats, verbose: bool
) -> tuple[ir.Database, Snapshot | None, dict[str, str]]:
    db, previous = _introspect(settings, console, stats)
    files = build_files(settings, db, previous, stats, warn=lambda m: console.err(f"warning: {m}"))
    if verbose:
        _print_stats(console, stats)
    return db, previous, files


def _check_hash(
    settings: Settings,
    console: Console,
    db: ir.Database,
    previous: Snapshot | None,
    request: _ImpactRequest | None = None,
) -> int:
    """check --hash-only: the database against schema.json's DB_HASH, as the startup guard does."""
    if previous is None:
        raise SyncSchemaError(
            f"no {_display(settings.out)}/schema.json to compare with",
            hint=f"run `{settings.update_command}` first, and commit the package",
        )
    live = ir.db_hash(db)
    if live == previous.version.db_hash:
        console.out(f"DB_HASH of {_display(settings.out)}/ matches the {settings.source_label}.")
        return EXIT_IN_SYNC
    console.out(
        console.paint(
            f"Schema drift: DB_HASH of {_display(settings.out)}/ is {previous.version.db_hash[:12]}, "
            f"the {settings.source_label} hashes to {live[:12]}.",
            "1",
        )
    )
    changes = _changes(settings, previous, db)
    found = _app_impact(
        request, settings, changes, previous, db, lambda: build_files(settings, db, previous)
    )
    for change in changes:
        _print_change(console, change, found)
    _print_impact_summary(console, found)
    return EXIT_DRIFT


def _changes(settings: Settings, previous: Snapshot | None, db: ir.Database) -> list[Change]:
    """The semantic diff from the committed snapshot (everything is new without one)."""
    return semantic_changes(settings, db, previous)


def _print_files(console: Console, settings: Settings, tree: TreeDiff) -> None:
    """The files that differ from what generate writes: changed, missing, extra."""
    console.out("Files:")
    for kind, paths in (
        ("changed", tree.changed),
        ("missing", tree.added),
        ("extra", tree.removed),
    ):
        for path in paths:
            console.out(f"  {kind:<8} {_display(settings.out / path)}")


def _print_stats(console: Console, stats: Stats) -> None:
    console.err(f"catalog queries: {stats.queries} in {stats.query_seconds * 1000:.1f} ms")
    for stage, seconds in stats.stages.items():
        console.err(f"  {stage:<16} {seconds * 1000:8.1f} ms")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --- impact on application code ---------------------------------------------------------------


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


class _ImpactCommand(TyperCommand):
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
class _ImpactRequest:
    """What the application scan of one run does; `show` is False for a commit message only."""

    mode: ImpactMode
    app_dirs: tuple[Path, ...]
    show: bool = True


def _impact_request(
    settings: Settings,
    mode: ImpactMode | None,
    app_dirs: list[Path] | None,
    *,
    commit: bool = False,
) -> _ImpactRequest | None:
    """The scan a command's flags ask for (None: none), its folders checked before any work."""
    show = mode is not None or bool(app_dirs)
    if not show and not (commit and settings.app_dirs):
        return None
    dirs = tuple(app_dirs) if app_dirs else settings.app_dirs
    if not dirs:
        raise ConfigError(
            "--impact needs the application code to read",
            hint='pass --app-dir DIR (repeatable), or set app-dirs = ["src"] in [tool.sync-schema]',
        )
    for folder in dirs:
        if not folder.is_dir() and not (folder.is_file() and folder.suffix == ".py"):
            raise ConfigError(
                f"application folder not found: {_display(folder)}",
                hint="pass --app-dir with the folder of your application's Python code, or fix "
                "app-dirs in [tool.sync-schema] (relative to pyproject.toml)",
            )
    if mode == ImpactMode.mypy and importlib.util.find_spec("mypy") is None:
        raise SyncSchemaError(
            "--impact=mypy runs mypy, which is not installed in this environment",
            hint="pip install mypy (or pip install 'sync-schema[dev]'), or use --impact alone",
        )
    return _ImpactRequest(mode or ImpactMode.usages, dirs, show)


def _app_impact(
    request: _ImpactRequest | None,
    settings: Settings,
    changes: list[Change],
    previous: Snapshot | None,
    db: ir.Database,
    files: Callable[[], dict[str, str]],
) -> report.AppImpact | None:
    """The scan (and type check) of the application for these changes; None without a change."""
    if request is None or not changes or previous is None:
        return None
    from sync_schema import impact, report  # noqa: PLC0415 - only runs asking for --impact

    old = impact.generated_names(
        previous.database, settings.options, committed_names(settings, previous)
    )
    new = impact.generated_names(db, settings.options, previous.names)
    targets = impact.targets_for(changes, old, new)
    found = impact.scan(
        request.app_dirs, targets, package=settings.out.name, exclude=(settings.out,)
    )
    if request.mode != ImpactMode.mypy:
        return report.AppImpact(request.app_dirs, found)
    from sync_schema import typecheck  # noqa: PLC0415

    errors = typecheck.new_errors(request.app_dirs, settings.out, files())
    return report.AppImpact(request.app_dirs, found, typecheck.trace(errors, found.hits, targets))


def _print_change(console: Console, change: Change, found: report.AppImpact | None) -> None:
    """One change block, then the application lines it breaks (and mypy's errors)."""
    console.change(change)
    if found is None:
        return
    for hit in found.hits_of(change):
        console.out(f"  used at {_display(hit.path)}:{hit.line}  {hit.code}")
    for error in found.errors_of(change):
        console.out(f"  mypy at {_display(error.path)}:{error.line}  {_mypy_text(error)}")


def _mypy_text(error: report.NewTypeError) -> str:
    return f"{error.message}  [{error.code}]" if error.code else error.message


def _print_impact_summary(console: Console, found: report.AppImpact | None) -> None:
    """The scan's totals, its warnings, and mypy's errors traced to no change."""
    if found is None:
        return
    from sync_schema import report  # noqa: PLC0415 - loaded already by _app_impact

    for warning in found.scan.warnings:
        console.err(f"warning: {warning}")
    dirs = ", ".join(_display(d) for d in found.app_dirs)
    console.out(
        f"Impact: {report.plural(found.call_sites, 'line')} in {report.plural(found.files, 'file')}"
        " use generated names these "
        f"changes break (scanned {found.scan.files} Python files in {dirs})."
    )
    if found.mypy is not None:
        other = found.errors_of(None)
        console.out(
            f"mypy: {report.plural(len(found.mypy), 'new error')} against the regenerated package"
            + (f", {len(other)} not traced to a change:" if other else ".")
        )
        for error in other:
            console.out(f"  mypy at {_display(error.path)}:{error.line}  {_mypy_text(error)}")


# --- commands ----------------------------------------------------------------------------------


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
    cast("Callable[..., None]", command)(ctx=ctx)


@app.command("generate", cls=_ImpactCommand)
def generate_cmd(
    ctx: typer.Context,
    db_url: DbUrl = None,
    migrations: Migrations = None,
    out: Out = None,
    schema: Schema = None,
    config: ConfigFile = None,
    project_id: ProjectId = None,
    linked: Linked = False,
    templates: Templates = None,
    supabase_shim: SupabaseShim = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete files in --out that sync-schema did not generate."),
    ] = False,
    commit: Annotated[
        bool,
        typer.Option(
            "--commit",
            help="git commit the regenerated package with a message listing the changes.",
        ),
    ] = False,
    verbose: Verbose = False,
    impact: ImpactOption = None,
    app_dir: AppDirOption = None,
) -> None:
    """Regenerate the package atomically and print what changed (alias: update)."""
    overrides = _overrides(
        ctx,
        db_url=db_url,
        migrations=migrations,
        out=out,
        schemas=schema,
        config=config,
        project_id=project_id,
        templates=templates,
        supabase_shim=supabase_shim,
    )

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = _impact_request(settings, impact, app_dir, commit=commit)
        stats = Stats()
        db, previous, files = _load(settings, console, stats, verbose)
        files = with_fresh_source(files, stats)
        # Without a previous snapshot every object is new: a count says more than a list.
        changes = _changes(settings, previous, db) if previous is not None else []
        # Before the write: the type check compares the committed package with the new one.
        found = _app_impact(request, settings, changes, previous, db, lambda: files)
        shown = found if request is not None and request.show else None
        with stats.stage("write"):
            tree = write_tree(settings.out, files, force=force)
        if tree.in_sync:
            console.out(f"{_display(settings.out)}/ is up to date ({settings.source_label}).")
        else:
            console.out(f"Regenerated {_display(settings.out)}/ from the {settings.source_label}.")
            if previous is None:
                views = sum(t.is_view for t in db.tables)
                console.out(
                    f"First generation: {len(db.tables) - views} tables, {views} views, "
                    f"{len(db.enums)} enums."
                )
            for change in changes:
                _print_change(console, change, shown)
            _print_impact_summary(console, shown)
            for path in tree.paths():
                verb = "deleted" if path in tree.removed and path not in tree.added else "updated"
                console.out(f"  {verb} {_display(settings.out / path)}")
        if commit:
            _commit(
                settings,
                commit_message(changes, found.call_sites if found else 0, first=previous is None),
                console,
            )
        return EXIT_IN_SYNC

    _run(action)


app.command("update", help="Alias of generate.", cls=_ImpactCommand)(generate_cmd)


@app.command("check", cls=_ImpactCommand)
def check_cmd(
    ctx: typer.Context,
    db_url: DbUrl = None,
    migrations: Migrations = None,
    out: Out = None,
    schema: Schema = None,
    config: ConfigFile = None,
    project_id: ProjectId = None,
    linked: Linked = False,
    templates: Templates = None,
    supabase_shim: SupabaseShim = None,
    verbose: Verbose = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Regenerate and compare every file even when schema.json's hashes match.",
        ),
    ] = False,
    hash_only: Annotated[
        bool,
        typer.Option(
            "--hash-only",
            help="Only compare the database's hash with schema.json's DB_HASH (no files).",
        ),
    ] = False,
    impact: ImpactOption = None,
    app_dir: AppDirOption = None,
) -> None:
    """Compare --out with what generate would write: exit 0 in sync, 1 drift, 2 error.

    When the database hash, generator, options and templates are those schema.json recorded
    and every file matches its recorded sha256, nothing needs rendering; otherwise the tree is
    regenerated in memory and compared file by file.
    """
    overrides = _overrides(
        ctx,
        db_url=db_url,
        migrations=migrations,
        out=out,
        schemas=schema,
        config=config,
        project_id=project_id,
        templates=templates,
        supabase_shim=supabase_shim,
    )

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = _impact_request(settings, impact, app_dir)
        if not (full or hash_only) and request is None and source_proves_current(settings):
            console.secrets = _secrets(settings)
            if verbose:
                console.err("source fingerprint matches schema.json: no server started")
            console.out(f"{_display(settings.out)}/ is in sync with the {settings.source_label}.")
            return EXIT_IN_SYNC
        stats = Stats()
        db, previous = _introspect(settings, console, stats)
        if hash_only:
            return _check_hash(settings, console, db, previous, request)
        tree = None  # None: schema.json's recorded hashes prove the tree current
        files: dict[str, str] = {}
        if full or not tree_is_current(settings, db, previous, stats):
            files = build_files(
                settings, db, previous, stats, warn=lambda m: console.err(f"warning: {m}")
            )
            tree = compare_tree(settings.out, files)
        if verbose:
            _print_stats(console, stats)
        if tree is None or tree.in_sync:
            console.out(f"{_display(settings.out)}/ is in sync with the {settings.source_label}.")
            return EXIT_IN_SYNC
        changes = _changes(settings, previous, db)
        console.out(
            console.paint(
                f"Schema drift: {_display(settings.out)}/ does not match the {settings.source_label}.",
                "1",
            )
        )
        found = _app_impact(request, settings, changes, previous, db, lambda: files)
        if changes:
            console.out()
            for change in changes:
                _print_change(console, change, found)
            _print_impact_summary(console, found)
        else:
            console.out(
                "No schema change: the generated files differ (hand edits, or another generator version)."
            )
        console.out()
        _print_files(console, settings, tree)
        console.out()
        console.out(
            f"Run `{settings.update_command}` to update, or `sync-schema diff` for details."
        )
        return EXIT_DRIFT

    _run(action)


@app.command("diff", cls=_ImpactCommand)
def diff_cmd(
    ctx: typer.Context,
    db_url: DbUrl = None,
    migrations: Migrations = None,
    out: Out = None,
    schema: Schema = None,
    config: ConfigFile = None,
    project_id: ProjectId = None,
    linked: Linked = False,
    templates: Templates = None,
    supabase_shim: SupabaseShim = None,
    output_format: Annotated[
        DiffFormat, typer.Option("--format", help="text or json.")
    ] = DiffFormat.text,
    files: Annotated[
        bool, typer.Option("--files", help="Also print a unified diff of the generated files.")
    ] = False,
    verbose: Verbose = False,
    impact: ImpactOption = None,
    app_dir: AppDirOption = None,
) -> None:
    """The semantic diff between the committed schema.json and the database, by severity."""
    overrides = _overrides(
        ctx,
        db_url=db_url,
        migrations=migrations,
        out=out,
        schemas=schema,
        config=config,
        project_id=project_id,
        templates=templates,
        supabase_shim=supabase_shim,
    )

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = _impact_request(settings, impact, app_dir)
        db, previous, new_files = _load(settings, console, Stats(), verbose)
        changes = _changes(settings, previous, db)
        tree = compare_tree(settings.out, new_files)
        found = _app_impact(request, settings, changes, previous, db, lambda: new_files)
        if output_format == DiffFormat.json:
            from sync_schema import report  # noqa: PLC0415 - only the json diff and `report`

            document = report.json_document(changes, tree, settings, previous, db, found)
            console.out(json.dumps(document, indent=2, sort_keys=True))
        else:
            if not changes:
                console.out(
                    "No schema changes."
                    if tree.in_sync
                    else "No schema change: the generated files differ from what generate "
                    "writes (hand edits, missing files, or another generator version)."
                )
            for change in changes:
                _print_change(console, change, found)
                console.out()
            _print_impact_summary(console, found)
            if not tree.in_sync:
                _print_files(console, settings, tree)
            if files:
                for line in _unified(settings.out, new_files):
                    console.out(line)
        return EXIT_DRIFT if (changes or not tree.in_sync) else EXIT_IN_SYNC

    _run(action)


@app.command("report", cls=_ImpactCommand)
def report_cmd(
    ctx: typer.Context,
    db_url: DbUrl = None,
    migrations: Migrations = None,
    out: Out = None,
    schema: Schema = None,
    config: ConfigFile = None,
    project_id: ProjectId = None,
    linked: Linked = False,
    templates: Templates = None,
    supabase_shim: SupabaseShim = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Where to write the report (default: .).")
    ] = None,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", help="markdown (file), json (file) or github (comment body on stdout)."
        ),
    ] = ReportFormat.markdown,
    verbose: Verbose = False,
    impact: ImpactOption = None,
    app_dir: AppDirOption = None,
) -> None:
    """Write schema_drift_report_YYYYMMDD_HHMMSS.md: summary, changes, actions, files."""
    overrides = _overrides(
        ctx,
        db_url=db_url,
        migrations=migrations,
        out=out,
        schemas=schema,
        config=config,
        project_id=project_id,
        templates=templates,
        supabase_shim=supabase_shim,
        report_dir=report_dir,
    )

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = _impact_request(settings, impact, app_dir)
        db, previous, new_files = _load(settings, console, Stats(), verbose)
        changes = _changes(settings, previous, db)
        tree = compare_tree(settings.out, new_files)
        found = _app_impact(request, settings, changes, previous, db, lambda: new_files)
        drift = bool(changes) or not tree.in_sync
        stamp = datetime.now(tz=UTC)
        from sync_schema import report  # noqa: PLC0415 - only this command writes a report

        if output_format == ReportFormat.github:
            console.out(
                report.markdown(
                    changes, tree, settings, previous, db, stamp, github=True, impact=found
                )
            )
            return EXIT_DRIFT if drift else EXIT_IN_SYNC
        if output_format == ReportFormat.json:
            text = (
                json.dumps(
                    report.json_document(changes, tree, settings, previous, db, found),
                    indent=2,
                    sort_keys=True,
                )
                + "\n"
            )
            suffix = "json"
        else:
            text = report.markdown(changes, tree, settings, previous, db, stamp, impact=found)
            suffix = "md"
        text = redact(text, console.secrets)
        settings.report_dir.mkdir(parents=True, exist_ok=True)
        path = settings.report_dir / f"schema_drift_report_{stamp:%Y%m%d_%H%M%S}.{suffix}"
        path.write_text(text, encoding="utf-8")
        console.out(f"Wrote {_display(path)} ({len(changes)} change(s)).")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary and suffix == "md":
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(text)
        return EXIT_DRIFT if drift else EXIT_IN_SYNC

    _run(action)


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

    _run(action)


@app.command("version")
def version_cmd(ctx: typer.Context, out: Out = None, config: ConfigFile = None) -> None:
    """Print the generator version and the committed package's schema version."""
    overrides = _overrides(ctx, out=out, config=config)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        console.out(f"sync-schema {__version__}")
        previous = read_snapshot_file(settings.out)
        if previous is not None:
            v = previous.version
            console.out(
                f"{_display(settings.out)}: SCHEMA_VERSION {v.schema_version}, "
                f"DB_HASH {v.db_hash[:12]}, LAST_SYNC {v.last_sync}"
            )
        return EXIT_IN_SYNC

    _run(action)


# --- helpers -----------------------------------------------------------------------------------


def _unified(out: Path, new_files: dict[str, str]) -> list[str]:
    import difflib  # noqa: PLC0415 - only check --diff prints one

    current = read_tree(out)
    lines: list[str] = []
    for rel in sorted(set(current) | set(new_files)):
        old_text = current.get(rel, b"").decode("utf-8", errors="replace")
        new_text = new_files.get(rel, "")
        if old_text == new_text:
            continue
        lines += [
            line.rstrip("\n")
            for line in difflib.unified_diff(
                old_text.splitlines(keepends=True),
                new_text.splitlines(keepends=True),
                fromfile=f"a/{rel}",
                tofile=f"b/{rel}",
            )
        ]
    return lines


def commit_message(changes: list[Change], breaks: int = 0, *, first: bool = False) -> str:
    """`chore(schemas): sync with database`, one line per change, `Breaks: N call sites`."""
    lines = ["chore(schemas): sync with database", ""]
    for change in changes:
        details = "; ".join(f"{d.label}: {', '.join(d.items)}" for d in change.details)
        suffix = f" ({details})" if details else ""
        lines.append(
            f"- [{change.severity.name}] {change.kind} {change.display_name}: {change.summary}{suffix}"
        )
    if first:
        lines.append("- first generation: no previous snapshot to compare with")
    elif not changes:
        lines.append("- regenerated files (no schema change)")
    if breaks:
        from sync_schema import report  # noqa: PLC0415 - only with --impact's findings

        lines += ["", f"Breaks: {report.plural(breaks, 'call site')}"]
    return "\n".join(lines) + "\n"


def _commit(settings: Settings, message: str, console: Console) -> None:
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=settings.root, capture_output=True, text=True, check=False
        )

    out = str(settings.out.resolve())
    if git("rev-parse", "--git-dir").returncode != 0:
        raise SyncSchemaError(
            f"{settings.root} is not a git repository",
            hint="run without --commit, or inside the repository",
        )
    git("add", "-A", "--", out)
    if git("diff", "--cached", "--quiet", "--", out).returncode == 0:
        console.out("Nothing to commit: the package is unchanged.")
        return
    result = git("commit", "--quiet", "-m", message, "--", out)
    if result.returncode != 0:
        raise SyncSchemaError(
            f"git commit failed: {result.stderr.strip()}",
            hint="check git's user.name/user.email and hooks",
        )
    console.out(f"Committed {_display(settings.out)}/.")


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
