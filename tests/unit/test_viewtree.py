"""The node-tree reader: the tokenizer's grammar and linear work, skipped fields, views on a server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_schema.source import viewtree


def test_parse_reads_nodes_lists_nulls_escapes_and_two_valued_fields() -> None:
    text = '({A :x 1 :name a\\ b\\(c :q it"s :l ("c\\ d" "e"f") :b (b 1 2) :v <> :c 4 [ 1 0 ]})'

    (node,) = viewtree.parse(text)

    assert node["_"] == "A"
    assert node["x"] == "1"
    assert node["name"] == "a\\ b\\(c"  # escapes kept: only numbers and names are read
    assert node["q"] == 'it"s'
    assert node["l"] == ['"c\\ d"', '"e"f"']
    assert node["b"] == ["b", "1", "2"]
    assert node["v"] is None
    assert node["c"] == ["4", "[", "1", "0", "]"]  # Const's datum bytes: never read


@pytest.mark.parametrize("alias", ["[", "]", "a[", "]]", ":expr", ":resno", ":x"])
def test_a_string_field_holding_a_bracket_or_a_colon_word_is_one_value(alias: str) -> None:
    # outToken escapes neither brackets nor a leading colon: Postgres's reader knows the field
    # holds one token, and so must this one, whether it builds the field or skips it.
    text = f"({{TARGETENTRY :expr {{VAR :varno 1}} :resno 1 :resname {alias} :resjunk false}})"

    for fields in (None, frozenset({"expr", "varno", "resno", "resjunk"})):
        (node,) = viewtree.parse(text, fields)
        assert node["expr"] == {"_": "VAR", "varno": "1"}
        assert (node["resno"], node["resjunk"]) == ("1", "false")
    assert viewtree.parse(text)[0]["resname"] == alias


def test_parse_skips_fields_it_is_not_asked_for() -> None:
    text = "({A :keep 1 :drop {B :deep ({C :x 1})} :also (1 2)})"

    assert viewtree.parse(text, frozenset({"keep"})) == [{"_": "A", "keep": "1"}]


def test_a_tree_it_does_not_understand_proves_nothing() -> None:
    assert viewtree.view_not_null("({QUERY :targetList", lambda _r, _a: False) == []
    assert viewtree.view_not_null("not a tree", lambda _r, _a: False) == []


def test_join_alias_vars_are_cut_unless_a_quote_makes_the_span_uncertain() -> None:
    join = (
        "{RANGETBLENTRY :rtekind 2 :jointype 1 :joinmergedcols 0 :joinaliasvars "
        "({VAR :varno 1 :varnullingrels (b) :location -1} {COALESCEEXPR :args ({VAR :varno 2})}) "
        ":joinleftcols (i 1) :joinrightcols (i 1)}"
    )
    cut = viewtree.without_join_alias_vars(join + " " + join)
    assert cut.count(":joinaliasvars <> :joinleftcols (i 1)") == 2
    assert "VAR" not in cut
    quoted = join.replace(":location -1", ':name "x) :joinleftcols "')
    assert viewtree.without_join_alias_vars(quoted) == quoted


def _out_token(value: str) -> str:
    """Postgres's outToken (outfuncs.c): how a string is written into a node tree."""
    if not value:
        return "<>"
    head, second = value[0], value[1:2]
    numeric = head in "+-" and second != "" and (second.isdigit() or second == ".")
    lead = "\\" if head in '<"' or head.isdigit() or numeric else ""
    return lead + "".join("\\" + c if c in " \n\t(){}\\" else c for c in value)


def _debackslash(token: str) -> str:
    out, escaped = [], False
    for char in token:
        if char == "\\" and not escaped:
            escaped = True
            continue
        out.append(char)
        escaped = False
    return "".join(out)


# The characters that matter to the grammar and to the old regex's backtracking.
_HOSTILE = st.text(alphabet=' \t\n(){}[]"\\<:a1-.', max_size=60)


@given(st.lists(_HOSTILE.filter(bool), max_size=12))
def test_the_scanner_reads_back_every_string_postgres_writes(values: list[str]) -> None:
    text = "(" + " ".join(_out_token(v) for v in values) + ")"

    tokens, _steps = viewtree.scan(text)

    assert tokens[0] == "(" and tokens[-1] == ")"
    assert [_debackslash(t) for t in tokens[1:-1]] == values


@given(_HOSTILE)
def test_the_scanner_takes_at_most_one_step_per_character(text: str) -> None:
    _tokens, steps = viewtree.scan(text)

    assert steps <= len(text) + 1


@given(st.text(alphabet=' \t\n(){}[]"<:a1', max_size=80))
def test_text_without_backslashes_tokenizes_as_the_scanner_does(text: str) -> None:
    assert viewtree._tokens(text) == viewtree.scan(text)[0]


@pytest.mark.parametrize("size", [100, 200_000])
def test_an_unbalanced_quote_in_an_alias_costs_one_step_per_character_at_most(size: int) -> None:
    # An alias with an unmatched quote, then escapes: the old regex backtracked exponentially
    # (125 characters took 33 s).
    text = '({TARGETENTRY :resname amount["usd ' + "ab\\ " * (size // 4) + " :x ({VAR :varno 1})})"

    tokens, steps = viewtree.scan(text)

    assert steps <= len(text) + 1
    assert tokens[4] == 'amount["usd'
    assert viewtree.parse(text)[0]["x"] == [{"_": "VAR", "varno": "1"}]
