"""psql's command line, and its error output read back into a statement's line and context."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sync_schema.embedded.processes import client_env, log_tail, run_tool

_PSQL_PREFIX = re.compile(r"^psql:(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$")


# Postgres' cursor context after an error: "LINE 3: <text>", then a line with the caret.
_PSQL_CONTEXT_LINE = re.compile(r"^LINE (?P<line>\d+): ")


#: psql --echo-errors: the failing statement, as sent, after its error.
_PSQL_STATEMENT = "STATEMENT:  "


def psql_args(pg_bin: Path, dsn: str) -> list[str]:
    # -X: a user's ~/.psqlrc must not change how migrations run; -w: never prompt for a password.
    # -b: echo the failing statement, so that its error can name the line the statement starts.
    return [str(pg_bin / "psql"), "-X", "-w", "-q", "-b", "-v", "ON_ERROR_STOP=1", "-d", dsn]


def psql_error(stderr: str) -> tuple[int | None, str]:
    """Return (line, message) for the failing statement in psql's stderr.

    psql names the line where the statement ends; with the statement it echoes (-b), the line
    is the one where the statement starts, and Postgres' "LINE n:" context, kept with its
    caret, is renumbered from a line of the statement to a line of the file.
    """
    lines = stderr.splitlines()
    end = len(lines)
    start_line: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        match = _PSQL_PREFIX.match(lines[index])
        if match is not None and match.group("message").startswith(_PSQL_STATEMENT):
            # psql sends a statement from its first token (leading comments and blank lines
            # dropped) and numbers it by the line it ends on.
            newlines = len(lines) - 1 - index
            start_line = int(match.group("line")) - newlines
            end = index
            break
    # With ON_ERROR_STOP the error is the last prefixed line; earlier ones are warnings.
    for index in range(end - 1, -1, -1):
        match = _PSQL_PREFIX.match(lines[index])
        if match is None:
            continue
        line = int(match.group("line")) if start_line is None else start_line
        context = lines[index + 1 : end]
        if start_line is not None:
            _renumber_context(context, start_line)
        return line, "\n".join([match.group("message"), *context])
    return None, log_tail(stderr, 5) or "psql failed without a message"


def _renumber_context(context: list[str], start_line: int) -> None:
    """Turn each "LINE n: ..." of a statement into the file's line, shifting its caret line."""
    for offset, text in enumerate(context):
        cursor = _PSQL_CONTEXT_LINE.match(text)
        if cursor is None:
            continue
        label = f"LINE {start_line + int(cursor.group('line')) - 1}: "
        context[offset] = label + text[cursor.end() :]
        caret = offset + 1
        if caret < len(context) and context[caret].strip() == "^":
            padding = len(context[caret]) - 1 + len(label) - len(cursor.group())
            context[caret] = " " * max(padding, 0) + "^"


def psql_script(
    dsn: str, pg_bin: Path, sql: str, *, user: str | None, cwd: Path | None
) -> subprocess.CompletedProcess[str]:
    """Run sql through psql in one transaction, from stdin, as user (no timeout)."""
    # From stdin, so psql, which may run as the server user, needs no access to the caller's
    # files; COPY ... FROM stdin still reads its data lines from the script.
    args = [*psql_args(pg_bin, dsn), "--single-transaction", "-f", "-"]
    # No timeout: a migration may legitimately load a lot of data.
    return run_tool(args, env=client_env(), input_text=sql, timeout=None, user=user, cwd=cwd)
