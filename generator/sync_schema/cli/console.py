"""What the commands print: plain or coloured text, secrets redacted, errors as exit 2."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer

from sync_schema.cli.secrets import secret_values
from sync_schema.config import Settings
from sync_schema.drift import Change, format_change
from sync_schema.errors import SyncSchemaError, redact
from sync_schema.pipeline import (
    Stats,
)
from sync_schema.tree_store import TreeDiff

EXIT_IN_SYNC, EXIT_DRIFT, EXIT_ERROR = 0, 1, 2

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
            silence_stdout()

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


def fail(console: Console, exc: BaseException) -> NoReturn:
    if isinstance(exc, SyncSchemaError):
        console.err(console.paint("error: ", "1;31") + exc.message)
        if exc.hint:
            console.err(f"hint: {exc.hint}")
    else:
        console.err(f"error: unexpected {type(exc).__name__}: {exc}")
        console.err("hint: run again with --verbose and report the issue")
    raise typer.Exit(EXIT_ERROR)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def run(action: Callable[[Console], int], console: Console | None = None) -> NoReturn:
    """Run one command: errors become exit 2 with a hint, never a traceback or an 'in sync'."""
    console = console or Console.detect()
    # Errors before the settings load (a refused token, say) are redacted too.
    console.secrets = console.secrets or secret_values()
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
        silence_stdout()
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as exc:
        fail(console, exc)
    raise typer.Exit(code)


def print_files(console: Console, settings: Settings, tree: TreeDiff) -> None:
    """The files that differ from what generate writes: changed, missing, extra."""
    console.out("Files:")
    for kind, paths in (
        ("changed", tree.changed),
        ("missing", tree.added),
        ("extra", tree.removed),
    ):
        for path in paths:
            console.out(f"  {kind:<8} {display(settings.out / path)}")


def print_stats(console: Console, stats: Stats) -> None:
    console.err(
        f"catalog queries: {stats.queries} in {stats.query_seconds * 1000:.1f} ms"
        + (f", read by {stats.reader}" if stats.reader else "")
    )
    for stage, seconds in stats.stages.items():
        console.err(f"  {stage:<16} {seconds * 1000:8.1f} ms")


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
