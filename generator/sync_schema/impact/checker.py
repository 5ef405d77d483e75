"""Walk one file's AST: follow names bound to generated classes and report their broken uses."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sync_schema.impact.resolve import MODULE_LAYERS, Resolver, Symbol
from sync_schema.impact.targets import Target

_WRAPPERS = frozenset({"Optional", "Union", "Annotated", "Final", "ClassVar", "Required", "NotRequired", "ReadOnly"})  # fmt: skip


_STAR_IMPORT = re.compile(r"\bimport\s+\*")


_CONTAINERS = frozenset(
    {
        "list", "List", "Sequence", "MutableSequence", "Iterable", "Iterator", "Collection",
        "Generator", "AsyncIterable", "AsyncIterator", "AsyncGenerator", "tuple", "Tuple",
        "set", "Set", "frozenset", "FrozenSet", "AbstractSet", "deque", "Deque", "Reversible",
    }
)  # fmt: skip


_DICT_METHODS = frozenset({"get", "pop", "setdefault"})


@dataclass(slots=True)
class Functions:
    """What the functions defined in the scanned files take and return, by function name."""

    returns: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)  # rows, items
    params: dict[str, dict[int | str, set[str]]] = field(default_factory=dict)  # by position, name

    def names(self) -> set[str]:
        """Every function name that takes or returns a TypedDict with a target."""
        return self.returns.keys() | self.params.keys()


def functions_of(files: Iterable[ParsedFile], index: Index) -> Functions:
    """The typed signatures of every function in files, keeping only TypedDicts with targets."""
    out = Functions()
    for file in files:
        checker = Checker(file, index, Functions())
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


class Index:
    """The targets, keyed the way the visitor looks them up."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.classes: dict[tuple[str, str], list[Target]] = {}
        self.members: dict[tuple[str, str, str], list[Target]] = {}
        self.keys: dict[tuple[str, str], list[Target]] = {}
        for t in targets:
            for layer in MODULE_LAYERS[t.layer]:
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
class ParsedFile:
    """One parsed file after its single walk: what its names mean, where types and uses are."""

    text: str
    resolver: Resolver
    parents: dict[_Owner, _Owner] = field(default_factory=dict)  # scope -> enclosing scope
    bindings: dict[_Owner, list[ast.AST]] = field(default_factory=dict)  # scope -> typing nodes
    uses: list[tuple[ast.AST, _Owner]] = field(default_factory=list)  # candidate node, its scope
    functions: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]] = field(
        default_factory=list
    )  # with whether it is a method called through an instance or class


def walk_file(tree: ast.Module, text: str, package: str) -> ParsedFile:
    """Walk tree once, scope by scope, recording imports, typing nodes and candidate uses."""
    file = ParsedFile(text=text, resolver=Resolver(package))
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


class Checker:
    """Finds the hits of one walked file."""

    def __init__(self, file: ParsedFile, index: Index, calls: Functions) -> None:
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
        if isinstance(symbol, Symbol) and symbol.layer == "types":
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
                if isinstance(symbol, Symbol):
                    self.hit(node, self.index.classes.get((symbol.layer, symbol.name), ()))
        elif isinstance(node, ast.Attribute):
            # `schemas.Class` for a broken class, `Enum.MEMBER` for a broken member.
            symbol = self.resolver.resolve(node)
            if isinstance(symbol, Symbol):
                self.hit(node, self.index.classes.get((symbol.layer, symbol.name), ()))
            elif isinstance(base := self.resolver.resolve(node.value), Symbol):
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
                if isinstance(bound, Symbol):
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
        if isinstance(symbol, Symbol) and symbol.layer == "types":
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
