"""Drift: the semantic diff between the committed snapshot and the live database, with severities."""

from sync_schema.drift.changes import (
    GUESS,
    LABELS,
    Change,
    Detail,
    DetailKind,
    Entry,
    Severity,
    count_by_severity,
    format_change,
    sort_changes,
)
from sync_schema.drift.compare import SchemaSync

__all__ = [
    "GUESS",
    "LABELS",
    "Change",
    "Detail",
    "DetailKind",
    "Entry",
    "SchemaSync",
    "Severity",
    "count_by_severity",
    "format_change",
    "sort_changes",
]
