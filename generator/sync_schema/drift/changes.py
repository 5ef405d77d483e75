"""What drift reports: severities, detail kinds with structured entries, changes, their text."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Severity(enum.IntEnum):
    """How likely a change is to break code that uses the generated types."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


class DetailKind(enum.StrEnum):
    """What a detail says, as a stable name: code reads this, people read the label."""

    ADDED_VALUES = "added_values"
    REMOVED_VALUES = "removed_values"
    REORDERED_VALUES = "reordered_values"
    COMMENT_CHANGED = "comment_changed"
    KIND_CHANGED = "kind_changed"
    ADDED_REQUIRED_COLUMNS = "added_required_columns"
    ADDED_COLUMNS = "added_columns"
    REMOVED_COLUMNS = "removed_columns"
    NOW_NULLABLE = "now_nullable"
    NOW_NOT_NULL_AND_REQUIRED_ON_INSERT = "now_not_null_and_required_on_insert"
    NOW_NOT_NULL = "now_not_null"
    DEFAULT_REMOVED_FROM_NOT_NULL_COLUMNS = "default_removed_from_not_null_columns"
    IDENTITY_OR_GENERATION_CHANGED = "identity_or_generation_changed"
    DEFAULTS_CHANGED = "defaults_changed"
    PRIMARY_KEY_CHANGED = "primary_key_changed"
    PRIMARY_KEY_RENAMED = "primary_key_renamed"
    JSON_SCHEMA_CHANGED = "json_schema_changed"
    COLUMN_COMMENTS_CHANGED = "column_comments_changed"
    FOREIGN_KEYS_ADDED = "foreign_keys_added"
    FOREIGN_KEYS_REMOVED = "foreign_keys_removed"
    FOREIGN_KEYS_RETARGETED = "foreign_keys_retargeted"
    SIGNATURE_CHANGED = "signature_changed"
    OVERLOADS_REMOVED = "overloads_removed"
    OVERLOADS_ADDED = "overloads_added"
    OVERLOADS_CHANGED = "overloads_changed"
    ADDED_ATTRIBUTES = "added_attributes"
    REMOVED_ATTRIBUTES = "removed_attributes"
    BASE_TYPE_CHANGED = "base_type_changed"
    DEFAULT_CHANGED = "default_changed"
    CHECK_CONSTRAINTS_ADDED = "check_constraints_added"
    CHECK_CONSTRAINTS_REMOVED = "check_constraints_removed"
    CHECK_CONSTRAINTS_CHANGED = "check_constraints_changed"
    UNIQUE_CONSTRAINTS_ADDED = "unique_constraints_added"
    UNIQUE_CONSTRAINTS_REMOVED = "unique_constraints_removed"
    UNIQUE_CONSTRAINTS_CHANGED = "unique_constraints_changed"
    CHANGED_TYPES = "changed_types"
    CHANGED_TYPES_SAME_PYTHON_TYPES = "changed_types_same_python_types"
    CLASS_NAMES_CHANGED = "class_names_changed"
    RENAMED_COLUMNS = "renamed_columns"
    RENAMED_VALUES = "renamed_values"
    MEMBER_NAMES_CHANGED = "member_names_changed"


#: How each kind of detail is shown.
LABELS: dict[DetailKind, str] = {
    DetailKind.ADDED_VALUES: "Added values",
    DetailKind.REMOVED_VALUES: "Removed values",
    DetailKind.REORDERED_VALUES: "Reordered values",
    DetailKind.COMMENT_CHANGED: "Comment changed",
    DetailKind.KIND_CHANGED: "Kind changed",
    DetailKind.ADDED_REQUIRED_COLUMNS: "Added required columns",
    DetailKind.ADDED_COLUMNS: "Added columns",
    DetailKind.REMOVED_COLUMNS: "Removed columns",
    DetailKind.NOW_NULLABLE: "Now nullable",
    DetailKind.NOW_NOT_NULL_AND_REQUIRED_ON_INSERT: "Now NOT NULL and required on insert",
    DetailKind.NOW_NOT_NULL: "Now NOT NULL",
    DetailKind.DEFAULT_REMOVED_FROM_NOT_NULL_COLUMNS: "Default removed from NOT NULL columns",
    DetailKind.IDENTITY_OR_GENERATION_CHANGED: "Identity or generation changed",
    DetailKind.DEFAULTS_CHANGED: "Defaults changed",
    DetailKind.PRIMARY_KEY_CHANGED: "Primary key changed",
    DetailKind.PRIMARY_KEY_RENAMED: "Primary key renamed",
    DetailKind.JSON_SCHEMA_CHANGED: "JSON Schema changed",
    DetailKind.COLUMN_COMMENTS_CHANGED: "Column comments changed",
    DetailKind.FOREIGN_KEYS_ADDED: "Foreign keys added",
    DetailKind.FOREIGN_KEYS_REMOVED: "Foreign keys removed",
    DetailKind.FOREIGN_KEYS_RETARGETED: "Foreign keys retargeted",
    DetailKind.SIGNATURE_CHANGED: "Signature changed",
    DetailKind.OVERLOADS_REMOVED: "Overloads removed",
    DetailKind.OVERLOADS_ADDED: "Overloads added",
    DetailKind.OVERLOADS_CHANGED: "Overloads changed",
    DetailKind.ADDED_ATTRIBUTES: "Added attributes",
    DetailKind.REMOVED_ATTRIBUTES: "Removed attributes",
    DetailKind.BASE_TYPE_CHANGED: "Base type changed",
    DetailKind.DEFAULT_CHANGED: "Default changed",
    DetailKind.CHECK_CONSTRAINTS_ADDED: "Check constraints added",
    DetailKind.CHECK_CONSTRAINTS_REMOVED: "Check constraints removed",
    DetailKind.CHECK_CONSTRAINTS_CHANGED: "Check constraints changed",
    DetailKind.UNIQUE_CONSTRAINTS_ADDED: "Unique constraints added",
    DetailKind.UNIQUE_CONSTRAINTS_REMOVED: "Unique constraints removed",
    DetailKind.UNIQUE_CONSTRAINTS_CHANGED: "Unique constraints changed",
    DetailKind.CHANGED_TYPES: "Changed types",
    DetailKind.CHANGED_TYPES_SAME_PYTHON_TYPES: "Changed types (same Python types)",
    DetailKind.CLASS_NAMES_CHANGED: "Class names changed",
    DetailKind.RENAMED_COLUMNS: "Renamed columns",
    DetailKind.RENAMED_VALUES: "Renamed values",
    DetailKind.MEMBER_NAMES_CHANGED: "Member names changed",
}

#: How a rename inferred from the shape of two objects is marked, in every format.
GUESS = "guess"


@dataclass(frozen=True, slots=True)
class Entry:
    """One structured item of a detail: the column, value or overload it is about, before and after."""

    name: str
    old: str | None = None
    new: str | None = None
    #: a rename inferred from position and shape, not proven by a catalog identity
    guess: bool = False

    def to_json(self) -> dict[str, Any]:
        """`name`, `old`, `new`, and `guess` on an inferred rename."""
        out: dict[str, Any] = {"name": self.name, "old": self.old, "new": self.new}
        if self.guess:
            out["guess"] = True
        return out


@dataclass(frozen=True, slots=True)
class Detail:
    """One fact about a modified object, e.g. `Added values: pending, on_hold`."""

    severity: Severity
    label: str
    items: tuple[str, ...]
    kind: DetailKind | None = None
    #: the items as data (for impact and JSON): one Entry per item, in the same order
    entries: tuple[Entry, ...] = ()

    @classmethod
    def of(cls, severity: Severity, kind: DetailKind, *entries: Entry | str) -> Detail:
        """A detail from its entries, shown as `name` or `name (old -> new)`."""
        structured = tuple(e if isinstance(e, Entry) else Entry(e) for e in entries)
        items = tuple(
            e.name if e.old is None and e.new is None else f"{e.name} ({e.old} -> {e.new})"
            for e in structured
        )
        return cls(severity, LABELS[kind], items, kind, structured)


@dataclass(frozen=True, slots=True)
class Change:
    """One object that differs, with the most severe of its details."""

    kind: str  # SCHEMA, ENUM, TABLE, VIEW, FUNCTION, COMPOSITE TYPE, DOMAIN
    schema: str
    name: str
    change: str  # added | removed | modified | renamed
    severity: Severity
    details: tuple[Detail, ...] = ()
    #: for a rename, the old name (`name` is the new one)
    renamed_from: str | None = None
    #: the rename is inferred from position and shape (no catalog identity proves it)
    guess: bool = False

    @property
    def summary(self) -> str:
        """What happened: `added`, ..., or `renamed users -> members (guess)`."""
        if self.renamed_from is None:
            return self.change
        mark = f" ({GUESS})" if self.guess else ""
        return f"renamed {self.renamed_from} -> {self.name}{mark}"

    @property
    def display_name(self) -> str:
        """Unqualified for `public` and for schemas themselves, qualified otherwise."""
        if self.kind == "SCHEMA" or self.schema in ("public", ""):
            return self.name
        return f"{self.schema}.{self.name}"

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable form."""
        out: dict[str, Any] = {
            "severity": self.severity.name,
            "object_type": self.kind,
            "schema": self.schema,
            "name": self.name,
            "change": self.change,
        }
        if self.renamed_from is not None:
            out["renamed_from"] = self.renamed_from
            out["guess"] = self.guess
        out["details"] = [
            {
                "severity": d.severity.name,
                "what": d.label,
                "kind": d.kind.value if d.kind else None,
                "items": list(d.items),
                "entries": [e.to_json() for e in d.entries],
            }
            for d in self.details
        ]
        return out


_KIND_ORDER = ["SCHEMA", "ENUM", "TABLE", "VIEW", "FUNCTION", "COMPOSITE TYPE", "DOMAIN"]


def sort_changes(changes: Iterable[Change]) -> list[Change]:
    """Most severe first, then by object kind and name."""
    return sorted(
        changes,
        key=lambda c: (-c.severity, _kind_rank(c.kind), c.kind, c.schema, c.name),
    )


def _kind_rank(kind: str) -> int:
    # Kinds added by a SchemaSync subclass sort after the built-in ones.
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)


# --- text output ---------------------------------------------------------------------------


def format_change(change: Change) -> list[str]:
    """The seed's block: `[HIGH] ENUM: project_status`, `  Change: modified`, then details."""
    lines = [
        f"[{change.severity.name}] {change.kind}: {change.display_name}",
        f"  Change: {change.summary}",
    ]
    lines += [f"  {d.label}: {', '.join(d.items)}" for d in change.details]
    return lines


def count_by_severity(changes: Iterable[Change]) -> dict[str, int]:
    """{"CRITICAL": n, "HIGH": n, "MEDIUM": n, "LOW": n}."""
    counts = {s.name: 0 for s in sorted(Severity, reverse=True)}
    for change in changes:
        counts[change.severity.name] += 1
    return counts
