"""Database text placed in generated Python stays data: literals, docstrings, comments."""

from __future__ import annotations

import ast
import subprocess
import sys
import tokenize
from io import StringIO
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync_schema.model.literals import comment, docstring, docstring_text, one_line, string_literal

RUFF = str(Path(sys.executable).parent / "ruff")

HOSTILE = [
    '"""; import os; os.system("x")',
    "'''; import os; os.system('x')",
    "\n__import__('os').system('x')",
    "\\n__import__('os')",
    "\\",
    "\\\\",
    "trailing backslash\\",
    "'''",
    '"',
    '""',
    '"""',
    '""""',
    "'",
    '"\'"\'"',
    'x"',
    '"x',
    'a"b"c\'d',
    '"; SENTINEL = 1; "',
    "'; SENTINEL = 1; '",
    '\\"; SENTINEL = 1 #',
    '"""\nSENTINEL = 1\n"""',
    "\r\nSENTINEL = 1\r\n",
    "\rSENTINEL = 1",
    "\u2028SENTINEL = 1",
    "\u2029SENTINEL = 1",
    "\x85SENTINEL = 1",
    "\x0bSENTINEL = 1\x0c\x1c\x1d\x1e",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "\x7f\x80\x9f",
    "\u202eevil\u202c",
    "\ufeffbom",
    "\ud800 lone surrogate \udfff",
    "\ue000 private use",
    "\U000e0001 tag",
    "\xa0\u3000\u2009 odd spaces",
    "café 🚀 漢字 ﷽",
    "\\N{BULLET} \\x41 \\u0041",
    "{{ jinja }} {% raw %}",
    "# coding: utf-7\n+AAo-SENTINEL = 1",
    "  leading and trailing  ",
    "tab\tseparated\t",
    "\t\n \t",
    "",
    "a" * 300,
    "first\n    indented\n\n  less\n",
]

ALL_BMP_START = [chr(code) for code in range(0x3000)]


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("abc", '"abc"'),
        ("", '""'),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ("a\"b'c", '"a\\"b\'c"'),
        ('a"b"c\'d', "'a\"b\"c\\'d'"),
        ("a\\b", '"a\\\\b"'),
        ("\n\r\t", '"\\n\\r\\t"'),
        ("\x00\x1f\x7f", '"\\x00\\x1f\\x7f"'),
        ("\x85\xa0\xad", '"\\x85\\xa0\\xad"'),
        ("\u2028\u2029\u202e\ufeff", '"\\u2028\\u2029\\u202e\\ufeff"'),
        ("\ud800", '"\\ud800"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("é 🚀 漢", '"é 🚀 漢"'),
    ],
)
def test_string_literal_escapes_only_what_is_unsafe(value: str, literal: str) -> None:
    assert string_literal(value) == literal


@pytest.mark.parametrize("value", HOSTILE)
def test_string_literal_round_trips_hostile_text(value: str) -> None:
    literal = string_literal(value)
    assert ast.literal_eval(literal) == value
    assert len(literal.splitlines()) == 1
    assert literal.isprintable()


def test_string_literal_round_trips_every_character_up_to_u3000() -> None:
    for char in ALL_BMP_START:
        literal = string_literal(f"<{char}>")
        assert ast.literal_eval(literal) == f"<{char}>"
        assert literal.isprintable()


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_string_literal_round_trips_arbitrary_text(value: str) -> None:
    assert ast.literal_eval(string_literal(value)) == value


def _ruff_format(source: str) -> str:
    result = subprocess.run(
        [RUFF, "format", "--isolated", "--stdin-filename", "x.py", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_ruff_format_leaves_string_literals_unchanged() -> None:
    values = [*HOSTILE, *ALL_BMP_START, *(f"{c}'\"{c}" for c in "abc")]
    source = "".join(f"X{i} = {string_literal(value)}\n" for i, value in enumerate(values))
    assert _ruff_format(source) == source


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("simple", "simple"),
        ("  padded  \n", "padded"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("\n\n  first\n    second  \n      third\n\n", "first\nsecond\n  third"),
        ("first\n\n\nlast", "first\n\n\nlast"),
        ("keep\ttabs\x00", "keep\ttabs\x00"),
        ("", ""),
        (" \t\n ", ""),
    ],
)
def test_docstring_text_normalizes_line_ends_and_indentation(text: str, value: str) -> None:
    assert docstring_text(text) == value


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("simple", '"""simple"""'),
        ("  padded  ", '"""padded"""'),
        ("", '""""""'),
        ('say "hi" there', '"""say "hi" there"""'),
        ('say "hi"', '"""say "hi\\""""'),
        ('"quoted" start', '"""\\"quoted" start"""'),
        ('two "" quotes', '"""two "" quotes"""'),
        ('a """ b', '"""a \\"\\"\\" b"""'),
        ("back\\slash\\", '"""back\\\\slash\\\\"""'),
        ("tab\there", '"""tab\\there"""'),
        ("nul\x00 sep\u2028 bom\ufeff", '"""nul\\x00 sep\\u2028 bom\\ufeff"""'),
        ("café 🚀", '"""café 🚀"""'),
        ("a\r\nb", '"""a\nb\n"""'),
        ("a\n\nb", '"""a\n\nb\n"""'),
        ("first\n    second\n      third", '"""first\nsecond\n  third\n"""'),
    ],
)
def test_docstring_escapes_only_what_could_end_or_hide_it(text: str, literal: str) -> None:
    assert docstring(text) == literal


def test_docstring_indents_continuation_lines_but_not_blank_ones() -> None:
    assert docstring("a\n\nb", indent="    ") == '"""a\n\n    b\n    """'


def _docstring_value(text: str) -> str:
    """The value docstring(text) holds: a multi-line one ends with the closing quotes' line."""
    value = docstring_text(text)
    return value + "\n" if "\n" in value else value


@pytest.mark.parametrize("text", HOSTILE)
def test_docstring_round_trips_to_its_normalized_text(text: str) -> None:
    assert ast.literal_eval(docstring(text)) == _docstring_value(text)


def test_docstring_round_trips_every_character_up_to_u3000() -> None:
    for char in ALL_BMP_START:
        for text in (f"<{char}>", f"<\n{char}\n>"):
            assert ast.literal_eval(docstring(text)) == _docstring_value(text)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_docstring_round_trips_arbitrary_text(text: str) -> None:
    value = ast.literal_eval(docstring(text, indent="    "))
    assert value.replace("\n    ", "\n") == _docstring_value(text)


def _hostile_module() -> tuple[str, list[str]]:
    """One module holding every hostile sample as a class docstring and as an assignment."""
    samples = [*HOSTILE, *(f"x{c}y" for c in ALL_BMP_START[::7])]
    blocks = []
    for i, sample in enumerate(samples):
        blocks.append(f"class C{i}:\n    {docstring(sample, indent='    ')}\n")
        blocks.append(f"X{i} = {string_literal(sample)}\n")
    return "\n\n".join(blocks), samples


def test_generated_module_defines_only_the_expected_names() -> None:
    source, samples = _hostile_module()
    namespace: dict[str, object] = {}
    # Running the generated code is the point: a failed escape would define SENTINEL or import.
    exec(compile(source, "generated.py", "exec"), namespace)  # noqa: S102
    expected = {f"{prefix}{i}" for i in range(len(samples)) for prefix in "CX"}
    assert set(namespace) - {"__builtins__"} == expected
    assert "SENTINEL" not in namespace
    for i, sample in enumerate(samples):
        assert namespace[f"X{i}"] == sample
        doc = getattr(namespace[f"C{i}"], "__doc__", None)
        assert doc is not None
        assert doc.replace("\n    ", "\n") == _docstring_value(sample)


def test_ruff_format_leaves_the_generated_module_unchanged() -> None:
    source, _ = _hostile_module()
    formatted = _ruff_format(source)
    assert formatted == source
    assert _ruff_format(formatted) == formatted
    ast.parse(formatted)


def test_ruff_format_of_unindented_multiline_docstrings_is_stable() -> None:
    # A caller that forgets indent= still gets code that ruff settles in one pass.
    texts = [sample for sample in HOSTILE if "\n" in docstring_text(sample)]
    source = "".join(f"class C{i}:\n    {docstring(t)}\n\n\n" for i, t in enumerate(texts))
    once = _ruff_format(source)
    assert _ruff_format(once) == once
    module = ast.parse(once)
    for node, text in zip(module.body, texts, strict=True):
        assert isinstance(node, ast.ClassDef)
        assert ast.get_docstring(node) == docstring_text(text)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("hello", ["# hello"]),
        ("a\nb", ["# a", "# b"]),
        ("\n\na\n\nb\n\n", ["# a", "#", "# b"]),
        ("a\r\nb\rc", ["# a", "# b", "# c"]),
        ("a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i", [f"# {c}" for c in "abcdefghi"]),
        ("x\x00y\x1b", ["# x\\x00y\\x1b"]),
        ("trailing  \t", ["# trailing"]),
        ("\tindented", ["# \\tindented"]),
        ("  spaced", ["#   spaced"]),
        ("back\\slash", ["# back\\slash"]),
        ("bidi\u202eevil", ["# bidi\\u202eevil"]),
        ("", []),
        (" \n \n", []),
    ],
)
def test_comment_lines_never_contain_a_line_break(text: str, lines: list[str]) -> None:
    assert comment(text) == lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("type: ignore", ["# [type]: ignore"]),
        ("mypy: ignore-errors", ["# [mypy]: ignore-errors"]),
        ("noqa", ["# [noqa]"]),
        ("see # NOQA: E501", ["# see # [NOQA]: E501"]),
        ("x # ruff: noqa", ["# x # [ruff]: noqa"]),
        ("fmt: off", ["# [fmt]: off"]),
        ("isort:skip_file", ["# [isort]:skip_file"]),
        ("pyright: basic", ["# [pyright]: basic"]),
        ("ty: ignore[unresolved-reference]", ["# [ty]: ignore[unresolved-reference]"]),
        ("pyrefly: ignore-errors", ["# [pyrefly]: ignore-errors"]),
        ("basedpyright: strict", ["# [basedpyright]: strict"]),
        ("pylint: disable=all", ["# [pylint]: disable=all"]),
        ("pragma: no cover", ["# [pragma]: no cover"]),
        ("nosec", ["# [nosec]"]),
        ("pyre-ignore-all-errors", ["# [pyre-ignore-all-errors]"]),
        ("-*- coding: latin-1 -*-", ["# -*- [coding]: latin-1 -*-"]),
        ("vim: set encoding=utf-7", ["# vim: set en[coding]=utf-7"]),
        ("the type of a row", ["# the type of a row"]),
        ("words like noqa stay", ["# words like noqa stay"]),
    ],
)
def test_comment_defuses_tool_directives(text: str, lines: list[str]) -> None:
    assert comment(text) == lines


@pytest.mark.parametrize("text", [*HOSTILE, "".join(ALL_BMP_START)])
def test_comment_lines_tokenize_as_comments_only(text: str) -> None:
    lines = comment(text)
    for line in lines:
        assert line.startswith("#")
        assert line.isprintable()
        assert line.splitlines() == [line]
    source = "\n".join([*lines, "X = 1", ""])
    tokens = tokenize.generate_tokens(StringIO(source).readline)
    assert [tok.string for tok in tokens if tok.type == tokenize.COMMENT] == lines
    namespace: dict[str, object] = {}
    exec(compile(source, "generated.py", "exec"), namespace)  # noqa: S102
    assert set(namespace) == {"__builtins__", "X"}


def test_comment_cannot_make_the_type_checker_ignore_the_file() -> None:
    source = "\n".join([*comment("type: ignore"), "X = 1", ""])
    assert ast.parse(source, type_comments=True).type_ignores == []
    assert ast.parse("# type: ignore\nX = 1\n", type_comments=True).type_ignores != []


def test_comment_cannot_change_the_source_encoding() -> None:
    header = "\n".join([*comment("generated"), *comment("-*- coding: latin-1 -*-")])
    source = (header + "\nX = 'é'\n").encode()
    namespace: dict[str, object] = {}
    exec(compile(source, "generated.py", "exec"), namespace)  # noqa: S102
    assert namespace["X"] == "é"


def test_comment_cannot_silence_ruff() -> None:
    lines = [*comment("ruff: noqa"), "import os  " + comment("noqa")[0], *comment("x # noqa: F401")]
    source = "\n".join([*lines, "import sys", ""])
    result = subprocess.run(
        [RUFF, "check", "--isolated", "--select", "F401", "--stdin-filename", "x.py", "-"],
        input=source,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stdout.count("imported but unused") == 2


@pytest.mark.parametrize(
    ("text", "limit", "line"),
    [
        ("a\n  b\tc", 200, "a b c"),
        ("  padded  ", 200, "padded"),
        ("a\u2028b\x85c\x1cd", 200, "a b c d"),
        ("a\x00b", 200, "a\\x00b"),
        ("x" * 10, 10, "x" * 10),
        ("x" * 11, 10, "xxxxxxx..."),
        ("word " * 10, 12, "word word..."),
        ("ab\x00cd", 6, "ab..."),
        ("ab\x00cdefg", 10, "ab\\x00c..."),
        ("", 200, ""),
        ("abcd", 3, "..."),
    ],
)
def test_one_line_collapses_escapes_and_truncates(text: str, limit: int, line: str) -> None:
    assert one_line(text, limit) == line


@pytest.mark.parametrize("text", HOSTILE)
def test_one_line_is_a_single_printable_line_within_the_limit(text: str) -> None:
    line = one_line(text, 40)
    assert len(line) <= 40
    assert line.isprintable()
    assert line.splitlines() in ([line], [])


def test_one_line_rejects_a_limit_too_small_for_the_ellipsis() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        one_line("text", 2)
