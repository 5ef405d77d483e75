"""The database commands: generate (alias update), check, diff and report."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from sync_schema.cli.console import (
    EXIT_DRIFT,
    EXIT_IN_SYNC,
    Console,
    display,
    print_files,
    print_stats,
    run,
)
from sync_schema.cli.git import commit_message, git_commit
from sync_schema.cli.impact import (
    app_impact,
    impact_request,
    print_change,
    print_impact_summary,
)
from sync_schema.cli.options import DatabaseFlags, DiffFormat, ReportFormat, database_command
from sync_schema.cli.secrets import secret_values
from sync_schema.cli.steps import check_hash, compare_package, load_tree, read_source
from sync_schema.config import load_settings
from sync_schema.errors import redact
from sync_schema.pipeline import (
    Stats,
    build_files,
    semantic_changes,
    source_proves_current,
    tree_is_current,
    with_fresh_source,
)
from sync_schema.tree_store import compare_tree, read_tree, write_tree


@database_command
def generate_cmd(
    ctx: typer.Context,
    flags: DatabaseFlags,
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
) -> None:
    """Regenerate the package atomically and print what changed (alias: update)."""
    overrides = flags.overrides(ctx)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = impact_request(settings, flags.impact, flags.app_dir, commit=commit)
        stats = Stats()
        loaded, files = load_tree(settings, console, stats, flags.verbose)
        files = with_fresh_source(files, stats)
        db, previous = loaded.db, loaded.previous
        # Without a previous snapshot every object is new: a count says more than a list.
        changes = semantic_changes(loaded) if previous is not None else []
        # Before the write: the type check compares the committed package with the new one.
        found = app_impact(request, loaded, changes, lambda: files)
        shown = found if request is not None and request.show else None
        with stats.stage("write"):
            tree = write_tree(settings.out, files, force=force)
        if tree.in_sync:
            console.out(f"{display(settings.out)}/ is up to date ({settings.source_label}).")
        else:
            console.out(f"Regenerated {display(settings.out)}/ from the {settings.source_label}.")
            if previous is None:
                views = sum(t.is_view for t in db.tables)
                console.out(
                    f"First generation: {len(db.tables) - views} tables, {views} views, "
                    f"{len(db.enums)} enums."
                )
            for change in changes:
                print_change(console, change, shown)
            print_impact_summary(console, shown)
            for path in tree.paths():
                verb = "deleted" if path in tree.removed and path not in tree.added else "updated"
                console.out(f"  {verb} {display(settings.out / path)}")
        if commit:
            git_commit(
                settings,
                commit_message(changes, found.call_sites if found else 0, first=previous is None),
                console,
            )
        return EXIT_IN_SYNC

    run(action)


@database_command
def check_cmd(
    ctx: typer.Context,
    flags: DatabaseFlags,
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
) -> None:
    """Compare --out with what generate would write: exit 0 in sync, 1 drift, 2 error.

    When the database hash, generator, options and templates are those schema.json recorded
    and every file matches its recorded sha256, nothing needs rendering; otherwise the tree is
    regenerated in memory and compared file by file.
    """
    overrides = flags.overrides(ctx)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = impact_request(settings, flags.impact, flags.app_dir)
        if not (full or hash_only) and request is None and source_proves_current(settings):
            console.secrets = secret_values(settings)
            if flags.verbose:
                console.err("source fingerprint matches schema.json: no server started")
            console.out(f"{display(settings.out)}/ is in sync with the {settings.source_label}.")
            return EXIT_IN_SYNC
        stats = Stats()
        loaded = read_source(settings, console, stats)
        if hash_only:
            return check_hash(console, loaded, request)
        tree = None  # None: schema.json's recorded hashes prove the tree current
        files: dict[str, str] = {}
        if full or not tree_is_current(loaded, stats):
            files = build_files(loaded, stats, warn=lambda m: console.err(f"warning: {m}"))
            tree = compare_tree(settings.out, files)
        if flags.verbose:
            print_stats(console, stats)
        if tree is None or tree.in_sync:
            console.out(f"{display(settings.out)}/ is in sync with the {settings.source_label}.")
            return EXIT_IN_SYNC
        changes = semantic_changes(loaded)
        console.out(
            console.paint(
                f"Schema drift: {display(settings.out)}/ does not match the {settings.source_label}.",
                "1",
            )
        )
        found = app_impact(request, loaded, changes, lambda: files)
        if changes:
            console.out()
            for change in changes:
                print_change(console, change, found)
            print_impact_summary(console, found)
        else:
            console.out(
                "No schema change: the generated files differ (hand edits, or another generator version)."
            )
        console.out()
        print_files(console, settings, tree)
        console.out()
        console.out(
            f"Run `{settings.update_command}` to update, or `sync-schema diff` for details."
        )
        return EXIT_DRIFT

    run(action)


@database_command
def diff_cmd(
    ctx: typer.Context,
    flags: DatabaseFlags,
    output_format: Annotated[
        DiffFormat, typer.Option("--format", help="text or json.")
    ] = DiffFormat.text,
    files: Annotated[
        bool, typer.Option("--files", help="Also print a unified diff of the generated files.")
    ] = False,
) -> None:
    """The semantic diff between the committed schema.json and the database, by severity."""
    overrides = flags.overrides(ctx)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = impact_request(settings, flags.impact, flags.app_dir)
        seen = compare_package(settings, console, request, flags.verbose)
        changes, tree, found = seen.changes, seen.tree, seen.found
        db, previous = seen.run.db, seen.run.previous
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
                print_change(console, change, found)
                console.out()
            print_impact_summary(console, found)
            if not tree.in_sync:
                print_files(console, settings, tree)
            if files:
                for line in unified(settings.out, seen.files):
                    console.out(line)
        return EXIT_DRIFT if seen.drift else EXIT_IN_SYNC

    run(action)


@database_command
def report_cmd(
    ctx: typer.Context,
    flags: DatabaseFlags,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Where to write the report (default: .).")
    ] = None,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format", help="markdown (file), json (file) or github (comment body on stdout)."
        ),
    ] = ReportFormat.markdown,
) -> None:
    """Write schema_drift_report_YYYYMMDD_HHMMSS.md: summary, changes, actions, files."""
    overrides = flags.overrides(ctx, report_dir=report_dir)

    def action(console: Console) -> int:
        settings = load_settings(overrides)
        request = impact_request(settings, flags.impact, flags.app_dir)
        seen = compare_package(settings, console, request, flags.verbose)
        changes, tree, found = seen.changes, seen.tree, seen.found
        db, previous, drift = seen.run.db, seen.run.previous, seen.drift
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
        console.out(f"Wrote {display(path)} ({len(changes)} change(s)).")
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        if summary and suffix == "md":
            with Path(summary).open("a", encoding="utf-8") as handle:
                handle.write(text)
        return EXIT_DRIFT if drift else EXIT_IN_SYNC

    run(action)


def unified(out: Path, new_files: dict[str, str]) -> list[str]:
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
