"""What a drift breaks in application code: the generated names each change removes or renames."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from sync_schema.drift import GUESS, Change, DetailKind, Entry
from sync_schema.model.plan import TreePlan

TargetKind = Literal["class", "member", "key"]


#: Which generated classes a target's owner is among.
Layer = Literal["enums", "typeddicts", "models"]


@dataclass(frozen=True, slots=True)
class EnumNames:
    """The generated names of one Postgres enum."""

    cls: str
    alias: str
    members: tuple[tuple[str, str], ...]  # (label, member name), in label order


@dataclass(frozen=True, slots=True)
class RelationNames:
    """The generated names of one table or view; TypedDict keys are the real column names."""

    typeddicts: tuple[str, ...]  # Row, then Insert and Update for tables
    models: tuple[str, ...]  # the Pydantic models, in the same order
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GeneratedNames:
    """Every generated Python name application code can use, by qualified database object name."""

    enums: Mapping[str, EnumNames] = field(default_factory=dict)
    relations: Mapping[str, RelationNames] = field(default_factory=dict)


def generated_names(plan: TreePlan) -> GeneratedNames:
    """The names a planned tree gives its database's enums, tables and views."""
    db, names = plan.database, plan.names
    enums = {
        e.qualified_name: EnumNames(
            cls=names.enums[e.qualified_name][0],
            alias=names.enums[e.qualified_name][1],
            members=tuple(zip(e.labels, names.members[e.qualified_name], strict=True)),
        )
        for e in db.enums
    }
    relations: dict[str, RelationNames] = {}
    for t in db.tables:
        tn = names.tables[t.qualified_name]
        relations[t.qualified_name] = RelationNames(
            typeddicts=tuple(n for n in (tn.row, tn.insert, tn.update) if n),
            models=tuple(n for n in (tn.model, tn.model_insert, tn.model_update) if n),
            columns=tuple(c.name for c in t.columns),
        )
    return GeneratedNames(enums=enums, relations=relations)


@dataclass(frozen=True, slots=True)
class Target:
    """One generated name a change breaks: a class, an enum member or a TypedDict key."""

    kind: TargetKind
    layer: Layer
    owner: str  # the class name application code spells
    member: str  # the enum member or TypedDict key; "" for a class
    reason: str
    change: Change

    @property
    def display(self) -> str:
        """How code spells it: `ProjectStatus`, `ProjectStatus.DRAFT`, `OrganizationRow['x']`."""
        if self.kind == "class":
            return self.owner
        if self.kind == "member":
            return f"{self.owner}.{self.member}"
        return f"{self.owner}[{self.member!r}]"

    @property
    def sort_key(self) -> tuple[str, ...]:
        """A total, deterministic order."""
        c = self.change
        return (self.display, self.layer, self.reason, c.kind, c.schema, c.name, c.change)


def targets_for(
    changes: Iterable[Change], old: GeneratedNames, new: GeneratedNames
) -> tuple[Target, ...]:
    """The generated names each change removes, renames or retypes (old names: what code spells)."""
    changes = tuple(changes)
    out: set[Target] = set()
    for change in changes:
        key = f"{change.schema}.{change.name}"
        if change.kind == "SCHEMA" and change.change == "removed":
            prefix = f"{change.name}."
            for qn, e in old.enums.items():
                if qn.startswith(prefix):
                    out.update(_enum_targets(change, e, None))
            for qn, r in old.relations.items():
                if qn.startswith(prefix):
                    out.update(_relation_targets(change, r, None))
        elif change.kind == "ENUM" and key in old.enums:
            gone = change.change == "removed" or key not in new.enums
            out.update(_enum_targets(change, old.enums[key], None if gone else new.enums[key]))
        elif change.kind in ("TABLE", "VIEW") and change.renamed_from is not None:
            # Code spells the old names: they are what the rename breaks.
            before = f"{change.schema}.{change.renamed_from}"
            if before in old.relations:
                r_new = new.relations.get(key)
                out.update(_relation_targets(change, old.relations[before], r_new))
        elif change.kind in ("TABLE", "VIEW") and key in old.relations:
            gone = change.change == "removed" or key not in new.relations
            r_new = None if gone else new.relations[key]
            out.update(_relation_targets(change, old.relations[key], r_new))
    out.update(_displaced(changes, old, new))
    return tuple(sorted(out, key=lambda t: t.sort_key))


def _displaced(changes: Iterable[Change], old: GeneratedNames, new: GeneratedNames) -> list[Target]:
    """Classes of unchanged objects renamed because an added object took their name first."""
    changed = {f"{c.schema}.{c.name}" for c in changes if c.change != "added"}
    taker: dict[str, Change] = {}
    for c in changes:
        if c.change != "added":
            continue
        key = f"{c.schema}.{c.name}"
        if c.kind == "ENUM" and key in new.enums:
            taker.update(dict.fromkeys((new.enums[key].cls, new.enums[key].alias), c))
        elif c.kind in ("TABLE", "VIEW") and key in new.relations:
            r = new.relations[key]
            taker.update(dict.fromkeys((*r.typeddicts, *r.models), c))
    out: list[Target] = []
    groups: list[list[tuple[Layer, tuple[str, ...], tuple[str, ...]]]] = []
    for key in sorted(old.enums.keys() & new.enums.keys() - changed):
        o, n = old.enums[key], new.enums[key]
        groups.append([("enums", (o.cls, o.alias), (n.cls, n.alias))])
    for key in sorted(old.relations.keys() & new.relations.keys() - changed):
        o_rel, n_rel = old.relations[key], new.relations[key]
        groups.append(
            [
                ("typeddicts", o_rel.typeddicts, n_rel.typeddicts),
                ("models", o_rel.models, n_rel.models),
            ]
        )
    for group in groups:
        # Names move as a group (Organization, OrganizationRow, ...): one taken name moves all.
        culprit = next(
            (taker[name] for _layer, names, _new in group for name in names if name in taker), None
        )
        if culprit is None:
            continue
        for layer, old_names, new_names in group:
            for before, after in zip(old_names, new_names, strict=False):
                out += _class(culprit, layer, before, after)
    return out


def _class(change: Change, layer: Layer, old: str, new: str | None) -> list[Target]:
    if new == old:
        return []
    reason = "removed" if new is None else f"renamed to {new}{_guess(change.guess)}"
    return [Target("class", layer, old, "", reason, change)]


def _guess(guess: bool) -> str:
    """The mark of a reason that follows a rename inferred from shape."""
    return f" ({GUESS})" if guess else ""


def _enum_targets(change: Change, old: EnumNames, new: EnumNames | None) -> list[Target]:
    out = _class(change, "enums", old.cls, new.cls if new else None)
    out += _class(change, "enums", old.alias, new.alias if new else None)
    if new is None:
        return out
    removed = {e.name for e in _entries(change, DetailKind.REMOVED_VALUES)}
    renamed = {e.name: e for e in _entries(change, DetailKind.RENAMED_VALUES)}
    new_members = dict(new.members)
    for label, member in old.members:
        entry = renamed.get(label)
        if entry is not None and entry.new in new_members:
            reason = (
                f"value {label!r} renamed to {entry.new!r}: {new.cls}.{new_members[entry.new]}"
                f"{_guess(entry.guess)}"
            )
        elif label in removed or label not in new_members:
            reason = f"value {label!r} removed"
        elif new_members[label] != member:
            reason = f"renamed to {new.cls}.{new_members[label]}"
        else:
            continue
        out.append(Target("member", "enums", old.cls, member, reason, change))
    return out


def _relation_targets(
    change: Change, old: RelationNames, new: RelationNames | None
) -> list[Target]:
    out: list[Target] = []
    layers: tuple[tuple[Layer, tuple[str, ...], tuple[str, ...]], ...] = (
        ("typeddicts", old.typeddicts, new.typeddicts if new else ()),
        ("models", old.models, new.models if new else ()),
    )
    for layer, old_names, new_names in layers:
        # Row, Insert, Update by position: a table that became a view loses the last two.
        for i, name in enumerate(old_names):
            out += _class(change, layer, name, new_names[i] if i < len(new_names) else None)
    if new is None:
        return out
    reasons: dict[str, str] = {}
    for entry in _entries(change, DetailKind.NOW_NULLABLE):
        reasons[entry.name] = "now nullable"
    for entry in _entries(change, DetailKind.CHANGED_TYPES):
        reasons[entry.name] = f"type changed ({entry.old} -> {entry.new})"
    for entry in _entries(change, DetailKind.REMOVED_COLUMNS):
        reasons[entry.name] = "column removed"
    for entry in _entries(change, DetailKind.RENAMED_COLUMNS):
        reasons[entry.name] = f"column renamed to {entry.new!r}{_guess(entry.guess)}"
    for column, reason in reasons.items():
        out += [Target("key", "typeddicts", td, column, reason, change) for td in old.typeddicts]
    return out


def _entries(change: Change, kind: DetailKind) -> tuple[Entry, ...]:
    return next((d.entries for d in change.details if d.kind == kind), ())
