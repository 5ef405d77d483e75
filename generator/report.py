"""Markdown and JSON drift reports (files, GitHub step summary, PR comment body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from generator import __version__, ir
from generator.config import Settings
from generator.drift import Change, count_by_severity
from generator.errors import redact
from generator.output import TreeDiff
from generator.pipeline import Snapshot

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
    "LOW": "Additive changes. Regenerate (`make schemas`) and commit.",
}


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
) -> dict[str, Any]:
    """The machine-readable drift document (stable keys; `format` bumps on breaking change)."""
    return {
        "format": REPORT_FORMAT,
        "in_sync": not changes and tree.in_sync,
        "summary": count_by_severity(changes),
        "changes": [c.to_json() for c in changes],
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


def markdown(
    changes: list[Change],
    tree: TreeDiff,
    settings: Settings,
    previous: Snapshot | None,
    db: ir.Database,
    stamp: datetime,
    *,
    github: bool = False,
) -> str:
    """The Markdown report; `github` adds the comment marker used to update one PR comment."""
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
                f" ({change.change})"
            )
            lines += [
                f"  - {d.label}: {', '.join(f'`{i}`' for i in d.items)}" for d in change.details
            ]
        lines.append("")
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
    lines += ["", "To update: `make schemas` (or `sync-schema generate`), review, commit.", ""]
    return "\n".join(lines)
