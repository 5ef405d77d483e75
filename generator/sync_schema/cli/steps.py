"""The steps the commands share: read the source, build the tree, compare hashes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sync_schema import ir
from sync_schema.cli.console import (
    EXIT_DRIFT,
    EXIT_IN_SYNC,
    Console,
    display,
    print_stats,
)
from sync_schema.cli.impact import ImpactRequest, app_impact, print_change, print_impact_summary
from sync_schema.cli.secrets import secret_values
from sync_schema.config import Settings
from sync_schema.errors import SyncSchemaError
from sync_schema.pipeline import Run, Stats, build_files, load_database, semantic_changes
from sync_schema.tree_store import TreeDiff, compare_tree, read_snapshot_file

if TYPE_CHECKING:
    from sync_schema import report
    from sync_schema.drift import Change


def read_source(settings: Settings, console: Console, stats: Stats) -> Run:
    """Load the database and the committed snapshot, and plan the tree once for the run."""
    console.secrets = secret_values(settings)
    for note in settings.notes:
        console.err(f"note: {note}")
    live = settings.db_url is not None or settings.query_endpoint is not None
    if live and settings.db_url_origin != "--db-url":
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
    with stats.stage("plan"):
        return Run.of(settings, db, read_snapshot_file(settings.out))


def load_tree(
    settings: Settings, console: Console, stats: Stats, verbose: bool
) -> tuple[Run, dict[str, str]]:
    """The run and the whole tree it renders."""
    run = read_source(settings, console, stats)
    files = build_files(run, stats, warn=lambda m: console.err(f"warning: {m}"))
    if verbose:
        print_stats(console, stats)
    return run, files


@dataclass(frozen=True, slots=True)
class Comparison:
    """The database against the committed package, as diff and report show it."""

    run: Run
    #: the tree generate would write
    files: dict[str, str]
    changes: list[Change]
    tree: TreeDiff
    found: report.AppImpact | None

    @property
    def drift(self) -> bool:
        """Whether a schema change or a differing file makes this drift (exit 1)."""
        return bool(self.changes) or not self.tree.in_sync


def compare_package(
    settings: Settings, console: Console, request: ImpactRequest | None, verbose: bool
) -> Comparison:
    """Render the tree for the database and compare it, change by change and file by file."""
    run, files = load_tree(settings, console, Stats(), verbose)
    changes = semantic_changes(run)
    found = app_impact(request, run, changes, lambda: files)
    return Comparison(run, files, changes, compare_tree(settings.out, files), found)


def check_hash(console: Console, run: Run, request: ImpactRequest | None = None) -> int:
    """check --hash-only: the database against schema.json's DB_HASH, as the startup guard does."""
    settings, previous = run.settings, run.previous
    if previous is None:
        raise SyncSchemaError(
            f"no {display(settings.out)}/schema.json to compare with",
            hint=f"run `{settings.update_command}` first, and commit the package",
        )
    live = ir.db_hash(run.db)
    if live == previous.version.db_hash:
        console.out(f"DB_HASH of {display(settings.out)}/ matches the {settings.source_label}.")
        return EXIT_IN_SYNC
    console.out(
        console.paint(
            f"Schema drift: DB_HASH of {display(settings.out)}/ is {previous.version.db_hash[:12]}, "
            f"the {settings.source_label} hashes to {live[:12]}.",
            "1",
        )
    )
    changes = semantic_changes(run)
    found = app_impact(request, run, changes, lambda: build_files(run))
    for change in changes:
        print_change(console, change, found)
    print_impact_summary(console, found)
    return EXIT_DRIFT
