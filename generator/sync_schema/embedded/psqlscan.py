"""Find the psql meta-commands (backslash commands) in a SQL script, as psql's own lexer would.

A backslash starts a meta-command only outside string literals, quoted identifiers, dollar
quotes and comments, and never inside the data lines of a `COPY ... FROM stdin`. The scan
assumes standard_conforming_strings is on (the default since PostgreSQL 9.1, and what
sync-schema's psql sessions start with), so in '...' a backslash is an ordinary character
and in E'...' it escapes the next one. Every step moves forward: the work is linear.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

_NORMAL = re.compile(
    r"(?P<word>[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*)"
    r"|(?P<dollar>\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$)"
    r"|--|/\*|'|\"|\\|;|\(|\)"
)
_PLAIN_END = re.compile(r"'")
_ESCAPED_END = re.compile(r"\\|'")
_IDENT_END = re.compile(r'"')
_BLOCK = re.compile(r"/\*|\*/")
_COPY_END = re.compile(r"^\\\.\r?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class MetaCommand:
    """A backslash command: its 1-based line and its text up to the end of that line."""

    line: int
    text: str

    @property
    def name(self) -> str:
        """The command itself, such as `\\!` or `\\getenv`."""
        return self.text.split(maxsplit=1)[0] if self.text.strip() else "\\"


class _Scanner:
    """One pass over a script; `hole` is the COPY data block the next newline jumps over."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.pos = 0
        self.hole: tuple[int, int] | None = None
        self.found: list[tuple[int, str]] = []
        self.words: list[str] = []  # the statement's words at parenthesis depth 0
        self.depth = 0

    def limit(self) -> int:
        return self.hole[0] if self.hole is not None else len(self.sql)

    def search(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The next match before the COPY data; at the data, jump over it and go on."""
        while True:
            match = pattern.search(self.sql, self.pos, self.limit())
            if match is not None or self.hole is None:
                return match
            self.pos = self.hole[1]
            self.hole = None

    def find(self, text: str) -> int:
        """Like search, for a literal closing text (a dollar quote's tag)."""
        while True:
            index = self.sql.find(text, self.pos, self.limit())
            if index >= 0 or self.hole is None:
                return index
            # A tag split by the data block cannot close: psql sees the data lines apart too.
            self.pos = self.hole[1]
            self.hole = None

    def run(self) -> list[tuple[int, str]]:
        while (match := self.search(_NORMAL)) is not None:
            self.pos = match.end()
            text = match.group()
            if match.group("word"):
                self.word(text)
            elif match.group("dollar"):
                self.skip_to(text)
            elif text == "'":
                self.quoted(_PLAIN_END, "'")
            elif text == '"':
                self.quoted(_IDENT_END, '"')
            elif text == "--":
                self.line_comment()
            elif text == "/*":
                self.block_comment()
            elif text == "\\":
                self.meta_command(match.start())
            elif text == ";":
                self.statement_end()
            else:
                self.depth += 1 if text == "(" else -1
        return self.found

    def word(self, word: str) -> None:
        if word in ("E", "e") and self.sql.startswith("'", self.pos):
            self.pos += 1
            self.quoted(_ESCAPED_END, "'")
        elif self.depth == 0:
            self.words.append(word.lower())

    def quoted(self, end: re.Pattern[str], quote: str) -> None:
        while (match := self.search(end)) is not None:
            self.pos = match.end()
            if match.group() == "\\":
                self.pos += 1  # E'\'' : the escaped character never ends the string
            elif self.sql.startswith(quote, self.pos):
                self.pos += 1  # a doubled quote
            else:
                return
        self.pos = len(self.sql)

    def skip_to(self, tag: str) -> None:
        index = self.find(tag)
        self.pos = len(self.sql) if index < 0 else index + len(tag)

    def line_comment(self) -> None:
        self.skip_to("\n")

    def block_comment(self) -> None:
        depth = 1  # PostgreSQL's block comments nest
        while depth and (match := self.search(_BLOCK)) is not None:
            self.pos = match.end()
            depth += 1 if match.group() == "/*" else -1
        if depth:
            self.pos = len(self.sql)

    def meta_command(self, start: int) -> None:
        end = self.sql.find("\n", start)
        end = len(self.sql) if end < 0 else end
        self.found.append((start, self.sql[start:end].rstrip("\r")))
        # psql reads the arguments to the end of the line; a COPY hole may start after it.
        self.pos = end

    def statement_end(self) -> None:
        words, self.words, self.depth = self.words, [], 0
        copy_in = words[:1] == ["copy"] and any(
            pair == ("from", "stdin") for pair in itertools.pairwise(words)
        )
        if not copy_in or self.hole is not None:
            return
        # psql sends the COPY, then reads its data from the lines after this one up to "\.".
        newline = self.sql.find("\n", self.pos)
        if newline < 0:
            return
        data_start = newline + 1
        end = _COPY_END.search(self.sql, data_start)
        data_end = len(self.sql) if end is None else end.end()
        self.hole = (data_start, data_end)


def meta_commands(sql: str) -> list[MetaCommand]:
    """Every meta-command psql would run in sql, in order."""
    found = _Scanner(sql).run()
    if not found:
        return []
    newlines = [m.start() for m in re.finditer("\n", sql)]
    return [MetaCommand(bisect.bisect_left(newlines, start) + 1, text) for start, text in found]
