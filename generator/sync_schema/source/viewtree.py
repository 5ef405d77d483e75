"""Which view columns can be NULL, read from the stored rule's query tree (pg_rewrite.ev_action).

Postgres marks every view column nullable. The rule's query tree says where each output
column comes from, so a column that is a plain reference to a NOT NULL column, reached only
through inner joins, is NOT NULL too. The tree is read rather than `pg_get_viewdef` parsed:
it is already resolved (names, `*`, aliases), needs no SQL parser dependency, and one catalog
query returns it for every view. Anything not understood stays nullable.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = [
    "NodeTreeError",
    "ViewColumn",
    "parse",
    "scan",
    "view_columns",
    "view_not_null",
    "without_join_alias_vars",
]

# JoinType in nodes.h: INNER 0, LEFT 1, FULL 2, RIGHT 3.
_JOIN_LEFT, _JOIN_FULL, _JOIN_RIGHT = 1, 2, 3
_RTE_RELATION = 0


class NodeTreeError(ValueError):
    """The text is not a node tree this parser understands."""


# The tokenizer follows Postgres's pg_strtok (read.c): a token ends at an unescaped space, tab
# or newline, or at one of ( ) { }, each a token of its own; a backslash escapes the next
# character. Quotes are not special (outToken never escapes a quote inside a token), so a
# column alias such as `amount["usd` is one plain token, and so are `[` and `]`.
_SPECIAL = re.compile(r"[ \t\n(){}\\]")
# Without a backslash a token is a run of one character class: one linear findall.
_PLAIN_TOKENS = re.compile(r"[(){}]|[^ \t\n(){}]+")
_SEPARATORS = frozenset(" \t\n")


def scan(text: str) -> tuple[list[str], int]:
    """The tokens of `text` and the number of steps taken, at most len(text) + 1.

    Each step is one forward search for the next special character, which starts where the
    previous one ended, so the whole scan reads every character once.
    """
    tokens: list[str] = []
    append = tokens.append
    search = _SPECIAL.search
    size = len(text)
    start = -1  # where the current token began, when it began with an escape
    i = steps = 0
    while True:
        steps += 1
        match = search(text, i)
        if match is None:
            begin = i if start < 0 else start
            if begin < size:
                append(text[begin:])
            return tokens, steps
        j = match.start()
        char = text[j]
        if char == "\\":
            if start < 0:
                start = i
            i = j + 2
            continue
        begin = i if start < 0 else start
        if j > begin:
            append(text[begin:j])
        start = -1
        if char not in _SEPARATORS:
            append(char)
        i = j + 1


def _tokens(text: str) -> list[str]:
    # Escapes stay as they are: only numbers, booleans and field names are ever read.
    if "\\" not in text:
        return _PLAIN_TOKENS.findall(text)
    return scan(text)[0]


def parse(text: str, fields: frozenset[str] | None = None) -> Any:
    """The node tree as Python data: nodes are dicts with a "_" type, lists are lists.

    With `fields`, only those fields of each node are built; the others are skipped.
    """
    tokens = _tokens(text)
    value, end = _value(tokens, 0, fields)
    if end != len(tokens):
        raise NodeTreeError("trailing tokens")
    return value


def _value(tokens: list[str], i: int, fields: frozenset[str] | None) -> tuple[Any, int]:
    item = tokens[i]
    if item == "{":
        node: dict[str, Any] = {"_": tokens[i + 1]}
        i += 2
        while tokens[i] != "}":
            field = tokens[i]
            if not field.startswith(":"):
                raise NodeTreeError(f"expected a field name, got {field!r}")
            i += 1
            name = field[1:]
            if fields is not None and name not in fields:
                i = _skip_field(tokens, i)
                continue
            values: list[Any] = []
            # Every field writes at least one value, which may itself start with ":" (an alias
            # such as `:expr`: outToken does not escape a colon). Const's ":constvalue 4
            # [ 1 0 0 0 ]" writes more than one.
            while tokens[i] != "}" and not (values and tokens[i].startswith(":")):
                value, i = _value(tokens, i, fields)
                values.append(value)
            node[name] = values[0] if len(values) == 1 else (values or None)
        return node, i + 1
    if item == "(":
        items: list[Any] = []
        i += 1
        while tokens[i] != ")":
            item, i = _value(tokens, i, fields)
            items.append(item)
        return items, i + 1
    if item == "<>":
        return None, i + 1
    # Anything else is one plain token; `[` and `]` too, which only Const's datum bytes use as
    # brackets (read by no one here) and which an alias may be on its own.
    return item, i + 1


def _skip_field(tokens: list[str], i: int) -> int:
    """The index of the next field name (or closing brace) of the current node."""
    depth = 0
    start = i
    while True:
        token = tokens[i]
        if token in ("{", "("):
            depth += 1
        elif token in ("}", ")"):
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and token.startswith(":") and i > start:
            return i
        i += 1


# The fields view_not_null reads; the rest of a query tree is skipped, not built.
_FIELDS = frozenset(
    (
        *("targetList", "rtable", "jointree", "setOperations", "hasAggs", "groupClause"),
        *("groupingSets", "expr", "resjunk", "varno", "varattno", "varlevelsup", "rtekind"),
        *("relid", "fromlist", "larg", "rarg", "rtindex", "jointype"),
    )
)


# A column's nullability, looked up by (relation OID, attnum); None when unknown.
Lookup = Callable[[int, int], bool | None]


# A join's alias variables (one expression per output column of the join, about half the text
# of a view over joins) are never read. They hold Vars and coercions, never a quoted string, so
# the shortest span up to the next field is exactly the list; a quote in it means no match.
_JOIN_ALIAS_VARS = re.compile(r":joinaliasvars \([^\"]*?\) :joinleftcols ")


def without_join_alias_vars(text: str) -> str:
    """The tree with every join's alias variables left out (`<>`): less to tokenize."""
    return _JOIN_ALIAS_VARS.sub(":joinaliasvars <> :joinleftcols ", text)


class ViewColumn(NamedTuple):
    """What the query tree says about one output column of a view."""

    #: certainly NOT NULL
    not_null: bool
    #: (relation OID, attnum) of the column it copies unchanged, outer joins included
    source: tuple[int, int] | None


def view_not_null(ev_action: str, nullable_of: Lookup) -> list[bool]:
    """For each output column of a view (in order), whether it is certainly NOT NULL."""
    return [c.not_null for c in view_columns(ev_action, nullable_of)]


def view_columns(ev_action: str, nullable_of: Lookup) -> list[ViewColumn]:
    """For each output column of a view (in order), its nullability and the column it copies."""
    ev_action = without_join_alias_vars(ev_action)
    try:
        queries = parse(ev_action, _FIELDS)
        query = queries[0]
        return _query_columns(query, nullable_of)
    except (NodeTreeError, IndexError, KeyError, TypeError, ValueError):
        return []  # not understood: the caller keeps every column nullable


def _query_columns(query: dict[str, Any], nullable_of: Lookup) -> list[ViewColumn]:
    targets = [t for t in query["targetList"] or [] if t.get("resjunk") != "true"]
    grouped = (
        query.get("hasAggs") == "true" or query.get("groupClause") or query.get("groupingSets")
    )
    if query.get("setOperations") is not None or grouped:
        # UNION and friends, aggregates and GROUP BY: not traced (and Postgres 18 routes
        # grouped columns through a GROUP entry that 15 lacks; both must give the same tree).
        return [ViewColumn(False, None)] * len(targets)
    rtable = query["rtable"] or []
    outer = _nullable_rtindexes(query["jointree"])
    result = []
    for target in targets:
        expr = target["expr"]
        ok = False
        source = None
        if isinstance(expr, dict) and expr["_"] == "VAR" and expr["varlevelsup"] == "0":
            rtindex = int(expr["varno"])
            entry = rtable[rtindex - 1]
            if int(entry["rtekind"]) == _RTE_RELATION:
                source = (int(entry["relid"]), int(expr["varattno"]))
                ok = rtindex not in outer and nullable_of(*source) is False
        result.append(ViewColumn(ok, source))
    return result


def _nullable_rtindexes(jointree: dict[str, Any]) -> set[int]:
    """Range-table indexes on the nullable side of an outer join anywhere in FROM."""
    nullable: set[int] = set()

    def walk(node: Any, forced: bool) -> set[int]:
        # Returns every rtindex below node; marks them nullable when an outer join may null them.
        if node is None:
            return set()
        kind = node["_"]
        if kind == "RANGETBLREF":
            found = {int(node["rtindex"])}
        elif kind == "FROMEXPR":
            found = set()
            for item in node["fromlist"] or []:
                found |= walk(item, forced)
        elif kind == "JOINEXPR":
            jointype = int(node["jointype"])
            left = walk(node["larg"], forced or jointype in (_JOIN_RIGHT, _JOIN_FULL))
            right = walk(node["rarg"], forced or jointype in (_JOIN_LEFT, _JOIN_FULL))
            found = left | right
        else:
            raise NodeTreeError(f"unexpected node {kind} in FROM")
        if forced:
            nullable.update(found)
        return found

    walk(jointree, False)
    return nullable
