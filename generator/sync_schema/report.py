"""Markdown and JSON drift reports (files, GitHub step summary, PR comment body)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sync_schema import __version__, ir
from sync_schema.config import Settings
from sync_schema.drift import Change, count_by_severity
from sync_schema.errors import redact
from sync_schema.snapshot import Snapshot
from sync_schema.tree_store import TreeDiff

if TYPE_CHECKING:  # the scan is imported only by runs that ask for --impact
    from sync_schema.impact import Hit, Impact
    from sync_schema.typecheck import NewTypeError

#: Marks the PR comment so the workflow updates it instead of posting another.
COMMENT_MARKER = "<!-- sync-schema-drift-report -->"
REPORT_FORMAT = 1

_GROUPS = [
    ("Enums", ("ENUM",)),
    ("Tables", ("TABLE",)),
    ("Views", ("VIEW",)),
    ("Functions", ("FUNCTION",)),
    ("Types and schemas", ("COMPOSITE TYPE", "DOMAIN", "SCHEMA")),
]

ACTIONS = {
    "CRITICAL": "An object the code may import was removed. Find its uses "
    "(`grep -rn ClassName --include='*.py'`), migrate them, then regenerate.",
    "HIGH": "Values, columns or types changed. Regenerate and run `mypy` on the application: "
    "removed enum values and columns and changed types surface as type errors.",
    "MEDIUM": "Columns or constraints were added or tightened. Regenerate; check inserts "
    "that now need a value and foreign keys the code relies on.",
    "LOW": "Additive changes. Regenerate and commit.",
}


#: A PR comment holds at most 65536 characters: list this many lines per layer, count the rest.
GITHUB_MAX_LINES = 150


@dataclass(frozen=True, slots=True)
class AppImpact:
    """What --impact found in the application: the static scan, and mypy's new errors if asked."""

    app_dirs: tuple[Path, ...]
    scan: Impact
    mypy: tuple[NewTypeError, ...] | None = None  # None: the type check was not asked for

    def hits_of(self, change: Change) -> list[Hit]:
        """The scan's hits for one change, one per line (the first target of each line)."""
        seen: set[tuple[Path, int]] = set()
        out: list[Hit] = []
        for hit in self.scan.hits:
            if hit.target.change == change and (hit.path, hit.line) not in seen:
                seen.add((hit.path, hit.line))
                out.append(hit)
        return out

    def errors_of(self, change: Change | None) -> list[NewTypeError]:
        """mypy's new errors traced to one change (None: those traced to none)."""
        return [e for e in self.mypy or () if e.change == change]

    @property
    def call_sites(self) -> int:
        """Distinct lines the scan found."""
        return len({(h.path, h.line) for h in self.scan.hits})

    @property
    def files(self) -> int:
        """Distinct files the scan found lines in."""
        return len({h.path for h in self.scan.hits})


def plural(count: int, word: str) -> str:
    """`1 line`, `2 lines`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def relative_path(path: Path, base: Path) -> str:
    """path relative to base when it lies under it, else as it is (POSIX separators)."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def repository_root(start: Path) -> Path:
    """$GITHUB_WORKSPACE, else the nearest folder holding .git at or above start, else start."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace:
        return Path(workspace)
    start = start.resolve()
    return next((d for d in (start, *start.parents) if (d / ".git").exists()), start)


def line_link(path: str, line: int) -> str | None:
    """The GitHub URL of a repository file's line, when the Actions variables say where."""
    server, repo, sha = (
        os.environ.get(v) for v in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    if not (server and repo and sha):
        return None
    return f"{server.rstrip('/')}/{repo}/blob/{sha}/{quote(path)}#L{line}"


def impact_json(found: AppImpact, change: Change, base: Path) -> dict[str, Any]:
    """The "impact" (and "mypy") entries of one change in the JSON document."""
    entry: dict[str, Any] = {
        "impact": [
            {
                "path": relative_path(h.path, base),
                "line": h.line,
                "column": h.column,
                "code": h.code,
                "name": h.target.display,
                "reason": h.target.reason,
            }
            for h in found.scan.hits
            if h.target.change == change
        ]
    }
    if found.mypy is not None:
        entry["mypy"] = [_error_json(e, base) for e in found.errors_of(change)]
    return entry


def _error_json(error: NewTypeError, base: Path) -> dict[str, Any]:
    return {
        "path": relative_path(error.path, base),
        "line": error.line,
        "mypy_line": error.mypy_line,
        "column": error.column,
        "message": error.message,
        "code": error.code,
    }


def _impact_summary(found: AppImpact, base: Path) -> dict[str, Any]:
    return {
        "app_dirs": [relative_path(d, base) for d in found.app_dirs],
        "files_scanned": found.scan.files,
        "call_sites": found.call_sites,
        "files": found.files,
        "warnings": list(found.scan.warnings),
        "mypy": None
        if found.mypy is None
        else {
            "new_errors": len(found.mypy),
            "other": [_error_json(e, base) for e in found.errors_of(None)],
        },
    }


def _code(text: str) -> str:
    """text as a Markdown code span, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _where(path: str, line: int) -> str:
    link = line_link(path, line)
    return f"[line {line}]({link})" if link else f"line {line}"


def _by_file(entries: list[tuple[str, str]], *, github: bool, what: str) -> list[str]:
    """Markdown list items under one heading per file; a PR comment lists GITHUB_MAX_LINES."""
    shown = entries[:GITHUB_MAX_LINES] if github else entries
    lines: list[str] = []
    current: str | None = None
    for path, item in shown:
        if path != current:
            lines += [*([""] if current is not None else []), f"#### {_code(path)}", ""]
            current = path
        lines.append(item)
    if len(shown) < len(entries):
        lines += [
            "",
            f"... and {len(entries) - len(shown)} more {what} (`sync-schema diff --impact`).",
        ]
    return [*lines, ""] if lines else []


def impact_markdown(found: AppImpact, base: Path, *, github: bool = False) -> list[str]:
    """The "Impact on application code" section: lines by file, linked on GitHub."""
    dirs = ", ".join(_code(relative_path(d, base)) for d in found.app_dirs)
    lines = ["## Impact on application code", "", "### Uses of the names that break", ""]
    if found.call_sites:
        lines.append(
            f"{plural(found.call_sites, 'line')} in {plural(found.files, 'file')} use generated names these "
            f"changes break (static scan of {dirs}: {found.scan.files} Python files)."
        )
    else:
        lines.append(
            f"No line uses a generated name these changes break (static scan of {dirs}: "
            f"{found.scan.files} Python files)."
        )
    lines.append("")
    by_line: dict[tuple[str, int], list[Hit]] = {}
    for hit in found.scan.hits:
        by_line.setdefault((relative_path(hit.path, base), hit.line), []).append(hit)
    items: list[tuple[str, str]] = []
    for (path, line), hits in by_line.items():
        breaks = "; ".join(
            dict.fromkeys(
                f"{_code(h.target.display)} {h.target.reason} "
                f"({h.target.change.kind} {_code(h.target.change.display_name)})"
                for h in hits
            )
        )
        items.append((path, f"- {_where(path, line)}: {_code(hits[0].code)}: {breaks}"))
    lines += _by_file(items, github=github, what="lines")
    if found.scan.warnings:
        lines += [*(f"- skipped: {_code(w)}" for w in found.scan.warnings), ""]
    if found.mypy is not None:
        other = len(found.errors_of(None))
        lines += [
            "### Type check (mypy)",
            "",
            f"{plural(len(found.mypy), 'new mypy error')} against the regenerated package"
            + (f", {other} not traced to a change." if other else "."),
            "",
        ]
        errors: list[tuple[str, str]] = []
        for e in sorted(found.mypy, key=lambda e: (relative_path(e.path, base), e.line)):
            path = relative_path(e.path, base)
            code = f" [{e.code}]" if e.code else ""
            cause = f"{e.change.kind} {_code(e.change.display_name)}" if e.change else "other"
            errors.append((path, f"- {_where(path, e.line)}: {_code(e.message)}{code} ({cause})"))
        lines += _by_file(errors, github=github, what="errors")
    return lines


def _source(settings: Settings, *, public: bool = False) -> str:
    # A PR comment may be public: it names the variable, never the host.
    if settings.db_url is None or public:
        return settings.source_label
    return f"{settings.source_label}: `{redact(settings.db_url)}`"


def json_document(
    changes: list[Change],
    tree: TreeDiff,
    settings: Settings,
    previous: Snapshot | None,
    db: ir.Database,
    impact: AppImpact | None = None,
) -> dict[str, Any]:
    """The machine-readable drift document (stable keys; `format` bumps on breaking change).

    With `impact`, each change has an "impact" list (and "mypy" when asked) and the document an
    "impact" summary; paths are relative to the current directory when they lie under it.
    """
    base = Path.cwd()
    document: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "in_sync": not changes and tree.in_sync,
        "summary": count_by_severity(changes),
        "changes": [
            {**c.to_json(), **(impact_json(impact, c, base) if impact else {})} for c in changes
        ],
        "files": {
            "changed": list(tree.changed),
            "missing": list(tree.added),
            "extra": list(tree.removed),
        },
        "source": redact(_source(settings)),
        "project_id": settings.project_id,
        "committed": {
            "schema_version": previous.version.schema_version if previous else None,
            "db_hash": previous.version.db_hash if previous else None,
        },
        "live": {"db_hash": ir.db_hash(db)},
        "generator_version": __version__,
    }
    if impact is not None:
        document["impact"] = _impact_summary(impact, base)
    return document


def markdown(
    changes: list[Change],
    tree: TreeDiff,
    settings: Settings,
    previous: Snapshot | None,
    db: ir.Database,
    stamp: datetime,
    *,
    github: bool = False,
    impact: AppImpact | None = None,
) -> str:
    """The Markdown report; `github` adds the comment marker used to update one PR comment.

    With `impact` (and a change), an "Impact on application code" section follows the changes,
    paths relative to the repository root, linked to their lines when GITHUB_* say where.
    """
    lines: list[str] = []
    if github:
        lines.append(COMMENT_MARKER)
    in_sync = not changes and tree.in_sync
    lines += [
        "# Schema drift report" if not in_sync else "# Schema check: in sync",
        "",
        f"- Generated: {stamp:%Y-%m-%d %H:%M:%S} UTC",
        f"- Source: {_source(settings, public=github)}",
    ]
    if settings.project_id:
        lines.append(f"- Project: `{settings.project_id}`")
    committed = previous.version if previous else None
    lines += [
        f"- Committed SCHEMA_VERSION: {committed.schema_version if committed else 'none'}",
        f"- Committed DB_HASH: `{committed.db_hash if committed else 'none'}`",
        f"- Live DB_HASH: `{ir.db_hash(db)}`",
        f"- Generator: sync-schema {__version__}",
        "",
        "## Summary",
        "",
        "| Severity | Changes |",
        "| --- | ---: |",
    ]
    counts = count_by_severity(changes)
    lines += [f"| {severity} | {count} |" for severity, count in counts.items()]
    lines += ["", "## Changes", ""]
    if not changes:
        lines += ["No schema changes.", ""]
    known = {kind for _title, kinds in _GROUPS for kind in kinds}
    others = tuple(sorted({c.kind for c in changes} - known))
    for title, kinds in [*_GROUPS, ("Other", others)]:
        group = [c for c in changes if c.kind in kinds]
        if not group:
            continue
        lines += [f"### {title}", ""]
        for change in group:
            lines.append(
                f"- **[{change.severity.name}] {change.kind}: `{change.display_name}`**"
                f" ({change.summary})"
            )
            lines += [
                f"  - {d.label}: {', '.join(f'`{i}`' for i in d.items)}" for d in change.details
            ]
        lines.append("")
    if impact is not None and changes:
        lines += impact_markdown(impact, repository_root(settings.root), github=github)
    present = [s for s, n in counts.items() if n]
    if present:
        lines += ["## Recommended actions", ""]
        lines += [f"- **{s}**: {ACTIONS[s]}" for s in present]
        lines.append("")
    lines += ["## Changed files", ""]
    if tree.in_sync:
        lines.append("None: the committed package matches.")
    for kind, paths in (
        ("changed", tree.changed),
        ("missing", tree.added),
        ("extra", tree.removed),
    ):
        lines += [f"- {kind}: `{settings.out.name}/{p}`" for p in paths]
    lines += ["", f"To update: `{settings.update_command}`, review, commit.", ""]
    return "\n".join(lines)
