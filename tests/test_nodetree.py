"""The node-tree reader on hand-written trees: tokens, skipped fields, anything unknown."""

from __future__ import annotations

from generator import nodetree


def test_parse_reads_nodes_lists_nulls_escapes_and_two_valued_fields() -> None:
    text = '({A :x 1 :name a\\ b\\(c :q it"s :l ("c d" "e\\"f") :b (b 1 2) :v <> :c 4 [ 1 0 ]})'

    (node,) = nodetree.parse(text)

    assert node["_"] == "A"
    assert node["x"] == "1"
    assert node["name"] == "a\\ b\\(c"  # escapes kept: only numbers and names are read
    assert node["q"] == 'it"s'
    assert node["l"] == ['"c d"', '"e\\"f"']
    assert node["b"] == ["b", "1", "2"]
    assert node["v"] is None
    assert node["c"] == ["4", ["1", "0"]]


def test_parse_skips_fields_it_is_not_asked_for() -> None:
    text = "({A :keep 1 :drop {B :deep ({C :x 1})} :also (1 2)})"

    assert nodetree.parse(text, frozenset({"keep"})) == [{"_": "A", "keep": "1"}]


def test_a_tree_it_does_not_understand_proves_nothing() -> None:
    assert nodetree.view_not_null("({QUERY :targetList", lambda _r, _a: False) == []
    assert nodetree.view_not_null("not a tree", lambda _r, _a: False) == []


def test_join_alias_vars_are_cut_unless_a_quote_makes_the_span_uncertain() -> None:
    join = (
        "{RANGETBLENTRY :rtekind 2 :jointype 1 :joinmergedcols 0 :joinaliasvars "
        "({VAR :varno 1 :varnullingrels (b) :location -1} {COALESCEEXPR :args ({VAR :varno 2})}) "
        ":joinleftcols (i 1) :joinrightcols (i 1)}"
    )
    cut = nodetree.without_join_alias_vars(join + " " + join)
    assert cut.count(":joinaliasvars <> :joinleftcols (i 1)") == 2
    assert "VAR" not in cut
    quoted = join.replace(":location -1", ':name "x) :joinleftcols "')
    assert nodetree.without_join_alias_vars(quoted) == quoted
