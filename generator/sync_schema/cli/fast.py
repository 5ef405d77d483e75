"""`check --db-url URL [--out DIR]` answered "in sync" without loading the typer app.

The entry parses only this one common form itself; any other argv, a note to print, or a tree
that is not provably current (drift) goes to the full CLI, which then decides and says
everything. Errors are printed by the CLI's own code, so every message stays the CLI's.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from pathlib import Path

from sync_schema.cli.secrets import secret_values
from sync_schema.errors import redact
from sync_schema.fingerprint import display

_OPTIONS = ("--db-url", "--out")


def parse(argv: list[str]) -> dict[str, str] | None:
    """`check` with --db-url and optionally --out, each once (`--opt V` or `--opt=V`); else None."""
    if not argv or argv[0] != "check":
        return None
    given: dict[str, str] = {}
    rest = argv[1:]
    while rest:
        option, sep, value = rest[0].partition("=")
        if option not in _OPTIONS or option in given:
            return None
        if not sep:
            if len(rest) < 2:
                return None
            value = rest[1]
            rest = rest[1:]
        rest = rest[1:]
        # What click would read as another option, or an empty value: let click decide.
        if not value or value.startswith("-"):
            return None
        given[option] = value
    return given if "--db-url" in given else None


def fast_db_check(argv: list[str]) -> int | None:
    """Exit code 0 when the tree is proven current; None: run the full CLI."""
    given = parse(argv)
    if given is None:
        return None
    # As cli.main: fewer cycle collections, and SIGTERM unwinds like Ctrl-C.
    gc.set_threshold(100_000, 50, 1000)
    from sync_schema import forked  # noqa: PLC0415

    forked.interrupt_once_on(signal.SIGINT, signal.SIGTERM)
    from sync_schema.config import Overrides, load_settings  # noqa: PLC0415
    from sync_schema.pipeline import Run, load_database, tree_is_current  # noqa: PLC0415
    from sync_schema.tree_store import read_snapshot_file  # noqa: PLC0415

    out = given.get("--out")
    shown = secret_values()
    try:
        settings = load_settings(
            Overrides(db_url=given["--db-url"], out=Path(out) if out is not None else None)
        )
        if settings.notes:
            return None  # the CLI prints them once, whatever it finds
        shown = secret_values(settings)
        db = load_database(settings)
        if db.is_empty or not tree_is_current(
            Run.of(settings, db, read_snapshot_file(settings.out))
        ):
            return None  # the CLI raises the same error, or finds and prints the drift
        text = f"{display(settings.out)}/ is in sync with the {settings.source_label}."
    except KeyboardInterrupt:
        return _cli_failure(shown, None)
    except Exception as exc:
        return _cli_failure(shown, exc)
    try:
        sys.stdout.write(redact(text, shown) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0


def _cli_failure(shown: tuple[str, ...], exc: BaseException | None) -> int:
    """The exit code and messages the CLI gives for `exc` (None: an interrupt)."""
    import click  # noqa: PLC0415 - only on a failure

    from sync_schema.cli.console import Console, run  # noqa: PLC0415

    console = Console.detect()
    console.secrets = shown

    def fail() -> int:
        if exc is None:
            raise KeyboardInterrupt
        raise exc

    try:
        run(lambda _console: fail(), console)  # the CLI's own messages and exit code
    except click.exceptions.Exit as done:
        return done.exit_code
