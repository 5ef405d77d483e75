"""Find the lines of an application that a schema change breaks, by reading its source statically.

No application module is ever imported or executed: each `*.py` file is read, pre-filtered on
its text (it must mention the package and a broken class name), parsed once with `ast`, walked
once.

Public API:

    generated_names(db: ir.Database, options: Options | None = None, lock: NameLock | None = None)
        -> GeneratedNames
        The generated Python names of one database, as `generate` decides them: class, alias and
        member names of each enum; TypedDict and Pydantic class names and keys of each table and
        view. Build one for the committed snapshot (old) and one for the live database (new).

    targets_for(changes: Iterable[Change], old: GeneratedNames, new: GeneratedNames)
        -> tuple[Target, ...]
        What each change breaks, as generated names: a removed or renamed class (`ProjectStatus`,
        `ProjectStatusValue`, `OrganizationRow`, `Organization`), a removed or renamed enum
        member (`ProjectStatus.DRAFT`), a removed, retyped or newly nullable TypedDict key
        (`OrganizationRow["billing_email"]`). Changes that break no name give no target. A class
        of an unchanged object renamed because an added object took its name first
        (`Organization2Row`) is attributed to that addition.

    scan(paths: Iterable[Path], targets: Iterable[Target], *, package: str = "schemas",
         exclude: Iterable[Path] = ()) -> Impact
        Every use of those names in the `*.py` files under `paths` (directories or files;
        `.venv`, `__pycache__`, hidden directories and the folders in `exclude`, such as the
        generated package itself, are skipped).

    find_impact(paths, changes, old, new, *, package="schemas", exclude=()) -> Impact
        `scan(paths, targets_for(changes, old, new), package=package, exclude=exclude)`.

`Impact.hits` holds `Hit(path, line, column, code, target)` sorted by path, line, column and
target, where `code` is the stripped source line and `target.change` the `Change` it comes from;
`Impact.warnings` names files that could not be read or parsed (skipped, never fatal).

What counts as a use of a name imported from `package` (`from schemas import X as Y`,
`from schemas.enums import X`, `import schemas` then `schemas.X`, submodule aliases, `*`):
- the import of a removed or renamed class, and any load of it (annotations included);
- `Enum.MEMBER` through any of those spellings, when the member is removed or renamed;
- for a removed, retyped or newly nullable key: `value["key"]`, `value.get("key")` (`pop`,
  `setdefault`), the key of a typed dict display (`row: OrganizationInsert = {...}`, `return
  {...}` under a TypedDict return annotation, a display passed to a parameter annotated with one)
  and `OrganizationInsert(key=...)`, when `value` is typed by annotations: parameters, annotated
  locals, loop and comprehension variables over `xs: list[Row]` (or Sequence, Iterable, tuple,
  set, `enumerate(xs)`), and `x = f(...)` / `f(...)["key"]` / `for x in f(...)` where a function
  or method named `f`, defined in any scanned file, is annotated to return a row or a sequence of
  rows. Types are flow-insensitive within a function; functions are matched by name. An import
  binds its names from where it stands in its scope, and in every scope nested in it.
Not matched: Pydantic model attributes (`project.budget`), string literals compared with enum
columns, column names inside SQL strings, and values that cross HTTP or other untyped boundaries.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.util import decode_source
from pathlib import Path
from typing import Literal

from sync_schema import ir
from sync_schema.drift import GUESS, Change, DetailKind, Entry
from sync_schema.model.names import NameLock, decide_names
from sync_schema.options import Options

TargetKind = Literal["class", "member", "key"]
#: Which generated classes a target's owner is among.
Layer = Literal["enums", "typeddicts", "models"]
#: Where an imported name comes from: "models" is `generated.fastapi` (Pydantic), "types" the rest.
ModuleLayer = Literal["types", "models"]

_SKIPPED_DIRS = frozenset({".venv", "__pycache__"})
_SUBMODULES = frozenset(
    {
        "enums",
        "json_types",
        "schema_version",
        "database",
        "database.entities",
        "database.relationships",
        "database.views",
        "generated",
        "generated.fastapi",
        "generated.fastapi.models",
    }
)
_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly"})  # fmt: skip
_CONTAINERS = frozenset(
    {
        "list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection",
        "Generator", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "tuple", "Tuple",
        "set", "Set", "frozenset", "FrozenSet", "AbstractSet", "deque", "Deque", "Reversible",
    }
)  # fmt: skip
_DICT_METHODS = frozenset({"get", "pop", "setdefault"})
# Enum classes are also reachable through the models module, which imports them.
_MODULE_LAYERS: dict[str, tuple[str, ...]] = {
    "enums": ("types", "models"),
    "typeddicts": ("types",),
    "models": ("models",),
}
_STAR_IMPORT = re.compile(r"\bimport\s+\*")


# --- generated names -------------------------------------------------------------------------


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


def generated_names(
    db: ir.Database, options: Options | None = None, lock: NameLock | None = None
) -> GeneratedNames:
    """The names `generate` gives db's enums, tables and views (decided by model.names).

    `lock` is the committed schema.json's lock of names, which generate keeps.
    """
    names = decide_names(db, options or Options(), lock)
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


# --- targets ---------------------------------------------------------------------------------


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


# --- scan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """One source line that uses a broken generated name."""

    path: Path
    line: int
    column: int
    code: str
    target: Target


@dataclass(frozen=True, slots=True)
class Impact:
    """The result of a scan: hits in deterministic order, and files that were skipped."""

    hits: tuple[Hit, ...]
    warnings: tuple[str, ...]
    files: int  # Python files found
    parsed: int  # files whose text mentioned a target and that were parsed


def find_impact(
    paths: Iterable[Path],
    changes: Iterable[Change],
    old: GeneratedNames,
    new: GeneratedNames,
    *,
    package: str = "schemas",
    exclude: Iterable[Path] = (),
) -> Impact:
    """The lines under paths that the changes break."""
    return scan(paths, targets_for(changes, old, new), package=package, exclude=exclude)


def scan(
    paths: Iterable[Path],
    targets: Iterable[Target],
    *,
    package: str = "schemas",
    exclude: Iterable[Path] = (),
) -> Impact:
    """Every use of the targets' names in the Python files under paths; nothing is imported."""
    index = _Index(targets)
    warnings: list[str] = []
    sources: list[tuple[Path, str]] = []
    for path in _python_files(paths, warnings, exclude):
        try:
            sources.append((path, decode_source(path.read_bytes())))
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            warnings.append(f"{path}: skipped, cannot read it: {exc}")
    files: dict[Path, _File] = {}
    parsed = 0
    for path, text in sources:
        if index.mentioned_in(text, package):
            parsed += 1
            if (tree := _parse(path, text, warnings)) is not None:
                files[path] = _walk(tree, text, package)
    # Functions that take or return generated rows type their callers' values, in any scanned
    # file: those files are parsed too, even when they never mention the package.
    calls = _functions(files.values(), index)
    if names := calls.names():
        for path, text in sources:
            if path not in files and any(name in text for name in names):
                parsed += 1
                if (tree := _parse(path, text, warnings)) is not None:
                    files[path] = _walk(tree, text, package)
    hits: list[Hit] = []
    for path, file in files.items():
        if not file.resolver.names and not file.resolver.star and not names:
            continue
        found = _Checker(file, index, calls).run()
        if found:
            lines = file.text.split("\n")
            hits += [
                Hit(path, line, col, lines[line - 1].strip() if line <= len(lines) else "", t)
                for (line, t), col in found.items()
            ]
    hits.sort(key=lambda h: (str(h.path), h.line, h.column, h.target.sort_key))
    warnings.sort()
    return Impact(hits=tuple(hits), warnings=tuple(warnings), files=len(sources), parsed=parsed)


def _parse(path: Path, text: str, warnings: list[str]) -> ast.Module | None:
    try:
        return ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        warnings.append(f"{path}: skipped, does not parse: {message}{where}")
        return None


@dataclass(slots=True)
class _Functions:
    """What the functions defined in the scanned files take and return, by function name."""

    returns: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # rows, items
    params: dict[str, dict[int | str, set[str]]] = field(default_factory=dict)  # by position, name

    def names(self) -> set[str]:
        """Every function name that takes or returns a TypedDict with a target."""
        return self.returns.keys() | self.params.keys()


def _functions(files: Iterable[_File], index: _Index) -> _Functions:
    """The typed signatures of every function in files, keeping only TypedDicts with targets."""
    out = _Functions()
    for file in files:
        checker = _Checker(file, index, _Functions())
        for node, is_method in file.functions:
            if node.name.startswith("__"):
                continue
            rows, items = checker.annotation_types(node.returns)
            rows &= index.keyed
            items &= index.keyed
            if rows or items:
                known = out.returns.setdefault(node.name, (set(), set()))
                known[0].update(rows)
                known[1].update(items)
            positional = [*node.args.posonlyargs, *node.args.args]
            # Called as obj.method(...): self or cls is not among the call's arguments.
            positional = positional[1:] if is_method else positional
            named = [(i, a) for i, a in enumerate(positional)] + [
                (None, a) for a in node.args.kwonlyargs
            ]
            for position, arg in named:
                typed = checker.annotation_types(arg.annotation)[0] & index.keyed
                if typed:
                    params = out.params.setdefault(node.name, {})
                    params.setdefault(arg.arg, set()).update(typed)
                    if position is not None:
                        params.setdefault(position, set()).update(typed)
    return out


def _python_files(
    paths: Iterable[Path], warnings: list[str], exclude: Iterable[Path] = ()
) -> Iterator[Path]:
    """Each *.py file once, in sorted order, pruning skipped and excluded directories."""
    excluded = {os.path.realpath(p) for p in exclude}
    found: set[Path] = set()
    for root in map(Path, paths):
        real = os.path.realpath(root) if excluded else ""
        if any(real == e or real.startswith(e + os.sep) for e in excluded):
            continue
        if root.is_file():
            found.add(root)
            continue
        if not root.is_dir():
            warnings.append(f"{root}: skipped, no such file or directory")
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d
                for d in dirnames
                if d not in _SKIPPED_DIRS
                and not d.startswith(".")
                and not (excluded and os.path.realpath(Path(dirpath, d)) in excluded)
            ]
            found.update(Path(dirpath, f) for f in filenames if f.endswith(".py"))
    yield from sorted(found, key=str)


class _Index:
    """The targets, keyed the way the visitor looks them up."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.classes: dict[tuple[str, str], list[Target]] = {}
        self.members: dict[tuple[str, str, str], list[Target]] = {}
        self.keys: dict[tuple[str, str], list[Target]] = {}
        for t in targets:
            for layer in _MODULE_LAYERS[t.layer]:
                if t.kind == "class":
                    self.classes.setdefault((layer, t.owner), []).append(t)
                elif t.kind == "member":
                    self.members.setdefault((layer, t.owner, t.member), []).append(t)
            if t.kind == "key":
                self.keys.setdefault((t.owner, t.member), []).append(t)
        self.keyed = {o for o, _k in self.keys}
        # Every use is spelled through its owner's name, so a file without one cannot use it.
        self.words = sorted(
            {o for _layer, o in self.classes}
            | {o for _layer, o, _m in self.members}
            | {o for o, _k in self.keys}
        )

    def mentioned_in(self, text: str, package: str) -> bool:
        """The cheap text pre-filter that decides whether a file is parsed at all."""
        if not self.words or package.rsplit(".", 1)[-1] not in text:
            return False
        return any(w in text for w in self.words) or _STAR_IMPORT.search(text) is not None


# --- resolving names imported from the generated package -------------------------------------


@dataclass(frozen=True, slots=True)
class _Module:
    name: str  # dotted: the package, one of its submodules, or a package above it


@dataclass(frozen=True, slots=True)
class _Symbol:
    layer: ModuleLayer
    name: str


def _layer(module: str) -> ModuleLayer:
    # A schema's subpackage repeats the layout: `schemas.auth.generated.fastapi` is Pydantic too.
    return "models" if f".{module}.".find(".generated.fastapi.") >= 0 else "types"


def _is_module_name(relative: str) -> bool:
    # Generated classes are PascalCase; modules and schema subpackages are lowercase.
    last = relative.rpartition(".")[2]
    return relative == "" or relative in _SUBMODULES or last[:1].islower()


class _Resolver:
    """What the names of one file mean in terms of the generated package."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.names: dict[str, _Module | _Symbol] = {}
        self.star: list[ModuleLayer] = []

    def _relative(self, module: str) -> str | None:
        if module == self.package:
            return ""
        if module.startswith(self.package + "."):
            return module[len(self.package) + 1 :]
        return None

    def _module(self, name: str) -> _Module | None:
        relative = self._relative(name)
        if relative is not None:
            return _Module(name) if _is_module_name(relative) else None
        return _Module(name) if self.package.startswith(name + ".") else None

    def member(self, module: str, name: str) -> _Module | _Symbol | None:
        """What `module.name` is: a module on the way to or inside the package, or a class."""
        found = self._module(f"{module}.{name}")
        if found is not None:
            return found
        relative = self._relative(module)
        return None if relative is None else _Symbol(_layer(relative), name)

    def imported(self, node: ast.ImportFrom, alias: ast.alias) -> _Module | _Symbol | None:
        """What `from node.module import alias.name` binds, if it comes from the package."""
        if node.level or node.module is None:
            return None  # relative imports are the generated package's own
        return self.member(node.module, alias.name)

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Bind the names an import statement takes from the package."""
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    relative = None if node.level else self._relative(node.module or "")
                    if relative is not None:
                        self.star.append(_layer(relative))
                elif (bound := self.imported(node, alias)) is not None:
                    self.names[alias.asname or alias.name] = bound
            return
        for alias in node.names:
            if alias.asname:
                module = self._module(alias.name)
                if module is not None:
                    self.names[alias.asname] = module
            else:  # `import schemas.enums` binds `schemas`
                top = alias.name.split(".")[0]
                if (module := self._module(top)) is not None:
                    self.names[top] = module

    def resolve(self, expr: ast.expr) -> _Module | _Symbol | None:
        """The package module or generated class an expression names, if any."""
        if isinstance(expr, ast.Name):
            found = self.names.get(expr.id)
            if found is None and self.star:
                return _Symbol(self.star[-1], expr.id)
            return found
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            if isinstance(base, _Module):
                return self.member(base.name, expr.attr)
        return None


# --- one file --------------------------------------------------------------------------------

_Owner = ast.AST  # the module, a function, a lambda or a class: what a name's scope belongs to
_FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef})
_BINDING_TYPES = frozenset({ast.AnnAssign, ast.Assign, ast.For, ast.AsyncFor, ast.comprehension})
_USE_TYPES = frozenset({ast.Attribute, ast.Subscript, ast.Call})  # and names, imports, displays
# Fields that never hold a node worth visiting (identifiers, operators, contexts, aliases).
_LEAF_FIELDS = frozenset(
    {"ctx", "op", "id", "attr", "arg", "name", "asname", "module", "level", "names", "kind",
     "type_comment", "is_async", "conversion", "simple"}
)  # fmt: skip
_child_fields: dict[type, tuple[str, ...]] = {ast.Constant: ()}


@dataclass(slots=True)
class _File:
    """One parsed file after its single walk: what its names mean, where types and uses are."""

    text: str
    resolver: _Resolver
    parents: dict[_Owner, _Owner] = field(default_factory=dict)  # scope -> enclosing scope
    bindings: dict[_Owner, list[ast.AST]] = field(default_factory=dict)  # scope -> typing nodes
    uses: list[tuple[ast.AST, _Owner]] = field(default_factory=list)  # candidate node, its scope
    functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]] = field(
        default_factory=list
    )  # with whether it is a method called through an instance or class


def _walk(tree: ast.Module, text: str, package: str) -> _File:
    """Walk tree once, scope by scope, recording imports, typing nodes and candidate uses."""
    file = _File(text=text, resolver=_Resolver(package))
    resolver = file.resolver
    uses = file.uses
    # A scope's own nodes are walked before its nested scopes, so the module's imports (and a
    # function's) are bound before the names used inside nested scopes are looked at.
    pending: list[tuple[_Owner, list[ast.AST]]] = [(tree, list(tree.body))]
    while pending:
        owner, stack = pending.pop()
        stack.reverse()
        bindings: list[ast.AST] = file.bindings.setdefault(owner, [])
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name):
                if node.id in resolver.names or resolver.star:
                    uses.append((node, owner))
                continue
            kind = type(node)
            if kind in _SCOPE_TYPES:
                file.parents[node] = owner
                if isinstance(node, _FUNCTION_TYPES):
                    is_method = isinstance(owner, ast.ClassDef) and not any(
                        _tail(d) == "staticmethod" for d in node.decorator_list
                    )
                    file.functions.append((node, is_method))
                pending.append((node, _children(node)))
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                resolver.add_import(node)
                if isinstance(node, ast.ImportFrom):
                    uses.append((node, owner))
                continue
            if kind in _BINDING_TYPES:
                bindings.append(node)
            if kind in _USE_TYPES or (
                isinstance(node, ast.AnnAssign | ast.Return) and isinstance(node.value, ast.Dict)
            ):
                uses.append((node, owner))
            children = _children(node)
            children.reverse()
            stack.extend(children)
    return file


def _children(node: ast.AST) -> list[ast.AST]:
    """node's child nodes in source order, leaving out fields that never hold one."""
    kind = type(node)
    names = _child_fields.get(kind)
    if names is None:
        names = _child_fields[kind] = tuple(f for f in kind._fields if f not in _LEAF_FIELDS)
    out: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if type(value) is list:
            out.extend(item for item in value if isinstance(item, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _tail(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _str_key(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@dataclass(slots=True)
class _Scope:
    rows: dict[str, set[str]] = field(default_factory=dict)  # name -> TypedDicts it may be
    items: dict[str, set[str]] = field(default_factory=dict)  # name -> TypedDicts of its elements


class _Checker:
    """Finds the hits of one walked file."""

    def __init__(self, file: _File, index: _Index, calls: _Functions) -> None:
        self.file = file
        self.resolver = file.resolver
        self.index = index
        self.calls = calls
        self.chains: dict[_Owner, list[_Scope]] = {}
        self.found: dict[tuple[int, Target], int] = {}  # (line, target) -> first column

    def run(self) -> dict[tuple[int, Target], int]:
        """Check every candidate use; (line, target) -> leftmost column."""
        for node, owner in self.file.uses:
            self.check(node, owner)
        return self.found

    def hit(self, node: ast.AST, targets: Iterable[Target]) -> None:
        """Record targets at node's line, keeping the leftmost column."""
        line, column = getattr(node, "lineno", 0), getattr(node, "col_offset", 0)
        for t in targets:
            key = (line, t)
            if key not in self.found or column < self.found[key]:
                self.found[key] = column

    # -- types from annotations ---------------------------------------------------------------
    def annotation_types(self, ann: ast.expr | None) -> tuple[set[str], set[str]]:
        """(TypedDicts a value so annotated may be, TypedDicts of its elements)."""
        rows: set[str] = set()
        items: set[str] = set()
        if ann is None:
            return rows, items
        if (text := _str_key(ann)) is not None:
            try:
                parsed = ast.parse(text, mode="eval").body
            except SyntaxError:
                return rows, items
            return self.annotation_types(parsed)
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
            for side in (ann.left, ann.right):
                r, i = self.annotation_types(side)
                rows |= r
                items |= i
            return rows, items
        if isinstance(ann, ast.Subscript):
            tail = _tail(ann.value)
            args = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            if tail in _WRAPPERS:
                for arg in args if tail in ("Optional", "Union") else args[:1]:
                    r, i = self.annotation_types(arg)
                    rows |= r
                    items |= i
            elif tail in _CONTAINERS and args:
                items |= self.annotation_types(args[0])[0]
            return rows, items
        symbol = self.resolver.resolve(ann)
        if isinstance(symbol, _Symbol) and symbol.layer == "types":
            rows.add(symbol.name)
        return rows, items

    # -- scopes -------------------------------------------------------------------------------
    def chain(self, owner: _Owner) -> list[_Scope]:
        """The scopes a name in owner resolves through, outermost first (class bodies skipped)."""
        if owner in self.chains:
            return self.chains[owner]
        parent = self.file.parents.get(owner)
        while isinstance(parent, ast.ClassDef):
            parent = self.file.parents.get(parent)
        outer = self.chain(parent) if parent is not None else []
        scope = _Scope()
        chain = self.chains[owner] = [*outer, scope]
        self.collect(owner, scope, chain)
        return chain

    @staticmethod
    def lookup(chain: list[_Scope], name: str, *, items: bool = False) -> set[str]:
        """The TypedDicts a name (or its elements) may be, innermost scope first."""
        for scope in reversed(chain):
            table = scope.items if items else scope.rows
            if name in table:
                return table[name]
        return set()

    def rows_of(self, expr: ast.expr, chain: list[_Scope]) -> set[str]:
        """The TypedDicts an expression may be: a typed name or call, or a typed element."""
        if isinstance(expr, ast.Name):
            return self.lookup(chain, expr.id)
        if isinstance(expr, ast.Call) and (name := _tail(expr.func)) in self.calls.returns:
            return self.calls.returns[name][0]
        if (
            isinstance(expr, ast.Subscript)
            and isinstance(expr.value, ast.Name)
            and _str_key(expr.slice) is None
        ):
            return self.lookup(chain, expr.value.id, items=True)
        return set()

    def elements_of(self, iterable: ast.expr, chain: list[_Scope]) -> set[str]:
        """The TypedDicts that iterating over an expression yields."""
        if isinstance(iterable, ast.Call):
            name = _tail(iterable.func)
            if name in ("enumerate", "reversed", "sorted", "list", "tuple"):
                return self.elements_of(iterable.args[0], chain) if iterable.args else set()
            if name in self.calls.returns:
                return self.calls.returns[name][1]
        if isinstance(iterable, ast.Name):
            return self.lookup(chain, iterable.id, items=True)
        return set()

    def collect(self, owner: _Owner, scope: _Scope, chain: list[_Scope]) -> None:
        """Fill scope with the typed names of owner, from its own annotations."""

        def bind(name: str, rows: set[str], items: set[str]) -> None:
            if rows:
                scope.rows.setdefault(name, set()).update(rows)
            if items:
                scope.items.setdefault(name, set()).update(items)

        if isinstance(owner, _FUNCTION_TYPES):
            args = owner.args
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                bind(arg.arg, *self.annotation_types(arg.annotation))
            if args.vararg is not None:  # *rows: OrganizationRow is a tuple of them
                bind(args.vararg.arg, set(), self.annotation_types(args.vararg.annotation)[0])
        nodes = self.file.bindings.get(owner, [])
        loops: list[tuple[ast.expr, ast.expr]] = []
        for node in nodes:
            if isinstance(node, ast.AnnAssign):
                if isinstance(node.target, ast.Name):
                    bind(node.target.id, *self.annotation_types(node.annotation))
            elif isinstance(node, ast.Assign):
                if (
                    len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Call)
                    and (called := _tail(node.value.func)) in self.calls.returns
                ):
                    bind(node.targets[0].id, *self.calls.returns[called])
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                loops.append((node.target, node.iter))
        # Twice, so that a loop over an element of an earlier loop's element is typed too.
        for _ in range(2 if loops else 0):
            for target, iterable in loops:
                elements = self.elements_of(iterable, chain)
                if isinstance(target, ast.Name):
                    bind(target.id, elements, set())
                elif (
                    isinstance(target, ast.Tuple)
                    and len(target.elts) == 2
                    and isinstance(target.elts[1], ast.Name)
                    and isinstance(iterable, ast.Call)
                    and _tail(iterable.func) == "enumerate"
                ):
                    bind(target.elts[1].id, elements, set())

    # -- uses ---------------------------------------------------------------------------------
    def check(self, node: ast.AST, owner: _Owner) -> None:
        """The hits of one candidate node."""
        if isinstance(node, ast.Name):
            # A load of a name bound to a broken class.
            if isinstance(node.ctx, ast.Load):
                symbol = self.resolver.resolve(node)
                if isinstance(symbol, _Symbol):
                    self.hit(node, self.index.classes.get((symbol.layer, symbol.name), ()))
        elif isinstance(node, ast.Attribute):
            # `schemas.Class` for a broken class, `Enum.MEMBER` for a broken member.
            symbol = self.resolver.resolve(node)
            if isinstance(symbol, _Symbol):
                self.hit(node, self.index.classes.get((symbol.layer, symbol.name), ()))
            elif isinstance(base := self.resolver.resolve(node.value), _Symbol):
                self.hit(node, self.index.members.get((base.layer, base.name, node.attr), ()))
        elif isinstance(node, ast.Subscript):
            # `row["key"]` on a value typed as a generated TypedDict.
            if (key := _str_key(node.slice)) is not None:
                self.key_hits(node, self.rows_of(node.value, self.chain(owner)), key)
        elif isinstance(node, ast.Call):
            self.check_call(node, owner)
        elif isinstance(node, ast.AnnAssign):
            # The keys of a dict display assigned to a name annotated with a TypedDict.
            if isinstance(node.value, ast.Dict):
                self.display_hits(node.value, self.annotation_types(node.annotation)[0])
        elif isinstance(node, ast.Return):
            # The keys of a dict display returned from a function annotated to return one.
            if isinstance(node.value, ast.Dict) and isinstance(owner, _FUNCTION_TYPES):
                self.display_hits(node.value, self.annotation_types(owner.returns)[0])
        elif isinstance(node, ast.ImportFrom):
            # An imported class that is removed or renamed: the import line itself breaks.
            for alias in node.names:
                bound = self.resolver.imported(node, alias)
                if isinstance(bound, _Symbol):
                    self.hit(alias, self.index.classes.get((bound.layer, bound.name), ()))

    def check_call(self, node: ast.Call, owner: _Owner) -> None:
        """`row.get("key")`, `SomeInsert(key=...)`, and dict displays passed to typed params."""
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _DICT_METHODS
            and node.args
            and (key := _str_key(node.args[0])) is not None
        ):
            self.key_hits(node, self.rows_of(func.value, self.chain(owner)), key)
        symbol = self.resolver.resolve(func)
        if isinstance(symbol, _Symbol) and symbol.layer == "types":
            for kw in node.keywords:
                if kw.arg is not None:
                    self.key_hits(kw, {symbol.name}, kw.arg)
        params = self.calls.params.get(_tail(func) or "")
        if params:
            for position, arg in enumerate(node.args):
                if isinstance(arg, ast.Dict):
                    self.display_hits(arg, params.get(position, set()))
            for kw in node.keywords:
                if kw.arg is not None and isinstance(kw.value, ast.Dict):
                    self.display_hits(kw.value, params.get(kw.arg, set()))

    def display_hits(self, display: ast.Dict, rows: set[str]) -> None:
        """Hits for the string keys of a dict display typed as one of rows."""
        for key_node in display.keys:
            if key_node is not None and (key := _str_key(key_node)) is not None:
                self.key_hits(key_node, rows, key)

    def key_hits(self, node: ast.AST, rows: Iterable[str], key: str) -> None:
        """Hits for key on each TypedDict the value may be."""
        for row in sorted(rows):
            self.hit(node, self.index.keys.get((row, key), ()))
