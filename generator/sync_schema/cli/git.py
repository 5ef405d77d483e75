"""`update --commit`: the commit message of a regeneration, and the commit itself."""

from __future__ import annotations

import subprocess

from sync_schema.cli.console import Console, display
from sync_schema.config import Settings
from sync_schema.drift import Change
from sync_schema.errors import SyncSchemaError


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


def git_commit(settings: Settings, message: str, console: Console) -> None:
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
    console.out(f"Committed {display(settings.out)}/.")
