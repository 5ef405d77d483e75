"""Catalog text made safe for generated Python: it stays data, never code or a tool directive."""

# Comments, labels and names in the catalog are attacker-controlled, so this is a security
# boundary: nothing returned here may close a literal, start a line of code, or steer a tool.

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["comment", "docstring", "docstring_text", "one_line", "string_literal"]

_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# Outside a leading or trailing position, one or two quotes cannot close a docstring.
_QUOTE_RUN = re.compile(r'"+')

# Comments that tools obey (noqa, type: ignore, mypy:, fmt: off, ...) and PEP 263 encoding
# declarations, which could re-decode the whole file (utf-7) if they land on line 1 or 2.
_PRAGMA = re.compile(
    r"(?i)(?<=#)(\s*)("
    r"(?:type|mypy|ruff|flake8|fmt|yapf|isort|pyright|basedpyright|pylint|pragma|pytype|pyre"
    r"|ty|pyrefly|codespell)(?=\s*:)"
    r"|noqa|nosec|pyre-[\w-]*"
    r")"
)
_CODING = re.compile(r"(?i)coding(?=[:=])")

_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(char: str) -> str:
    """Backslash escape for one character, in the lower-case hex form ruff keeps."""
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape_unprintable(text: str, also: str = "") -> str:
    """Escape every non-printable character, and each character of also with a backslash."""
    if text.isprintable() and not any(char in text for char in also):
        return text
    # str.isprintable() is False for Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than " ".
    return "".join(
        "\\" + char if char in also else char if char.isprintable() else _escape(char)
        for char in text
    )


@lru_cache(maxsize=65536)
def string_literal(value: str) -> str:
    """Python string literal for value, in the form `ruff format` leaves unchanged."""
    # ruff's choice: double quotes unless the value holds more " than '.
    quote = "'" if value.count('"') > value.count("'") else '"'
    return quote + _escape_unprintable(value, also="\\" + quote) + quote


def docstring_text(text: str) -> str:
    """The value docstring(text) holds: newlines normalized, lines stripped and dedented."""
    # CPython encodes a class docstring to UTF-8 when it creates the class, so a lone surrogate
    # would make the generated module fail to import.
    text = _SURROGATE.sub("\ufffd", text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        del lines[0]
    while lines and not lines[-1]:
        del lines[-1]
    if not lines:
        return ""
    lines[0] = lines[0].lstrip()
    # Only spaces count: any other leading whitespace is escaped, so it is text, not indentation.
    margin = min(
        (len(line) - len(line.lstrip(" ")) for line in lines[1:] if line),
        default=0,
    )
    return "\n".join([lines[0], *(line[margin:] for line in lines[1:])])


def _escape_quote_run(match: re.Match[str]) -> str:
    run = match.group()
    at_edge = match.start() == 0 or match.end() == len(match.string)
    return run.replace('"', '\\"') if at_edge or len(run) >= 3 else run


@lru_cache(maxsize=65536)
def docstring(text: str, indent: str = "") -> str:
    """Triple-quoted docstring for text; continuation lines are prefixed with indent."""
    lines = [_escape_unprintable(line, also="\\") for line in docstring_text(text).split("\n")]
    body = _QUOTE_RUN.sub(_escape_quote_run, "\n".join(lines))
    first, *rest = body.split("\n")
    if not rest:
        return f'"""{first}"""'
    # Blank lines stay empty, as ruff leaves them; the closing quotes get a line of their own.
    continued = [indent + line if line else line for line in rest]
    return '"""' + "\n".join([first, *continued]) + "\n" + indent + '"""'


def comment(text: str) -> list[str]:
    """Lines of a `#` comment for text, none of which holds a line break or a tool directive."""
    lines = [_defuse(_escape_unprintable(line.rstrip())) for line in text.splitlines()]
    while lines and not lines[0]:
        del lines[0]
    while lines and not lines[-1]:
        del lines[-1]
    return [f"# {line}" if line else "#" for line in lines]


def _defuse(line: str) -> str:
    """Bracket directive words and encoding declarations so no tool reads them as such."""
    line = _PRAGMA.sub(r"\1[\2]", "#" + line)[1:]
    return _CODING.sub(r"[\g<0>]", line)


def one_line(text: str, limit: int = 200) -> str:
    """Text on one line for reports and logs: whitespace collapsed, escaped, at most limit chars."""
    if limit < 3:
        raise ValueError(f"limit must be at least 3, got {limit}")
    collapsed = " ".join(text.split())
    if collapsed.isprintable():
        if len(collapsed) <= limit:
            return collapsed
        return collapsed[: limit - 3].rstrip() + "..."
    pieces = [char if char.isprintable() else _escape(char) for char in collapsed]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept: list[str] = []
    size = 0
    # Cut between pieces so that an escape is never split in half.
    for piece in pieces:
        if size + len(piece) > limit - 3:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept).rstrip() + "..."
