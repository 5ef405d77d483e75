"""Errors are values until the CLI edge, where each maps to exit code 2 and a hint."""

from __future__ import annotations

import re

_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<rest>\S*)", re.I)
# A URL's query parameter ends at `&` or `#`.
_PASSWORD_PARAM = re.compile(r"(?P<head>[?&]password=)[^&#]*", re.I)
# libpq's quoted values escape `'` and `\` with a backslash; an unquoted value ends at a space.
# An unterminated quote runs to the end: better to hide too much than a password's tail.
_PASSWORD_KV = re.compile(r"(?P<head>(?<![?&])\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.?)*'?|\S+)", re.I)
#: Shorter secrets are hidden only where they stand (in a URL or a key=value pair): replaced
#: anywhere, the password "pg" turns "postgresql://" into "***ql://".
MIN_LITERAL_SECRET = 6


class SyncSchemaError(Exception):
    """A failure the user can act on: a one-line message plus a hint saying what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(SyncSchemaError):
    """The configuration (pyproject section, CLI flags, project id) is invalid."""


class JsonSchemaError(ConfigError):
    """A column's JSON Schema is refused: malformed, too big, or reaching outside its own text."""


class DatabaseError(SyncSchemaError):
    """The database could not be reached or introspected."""


class MigrationError(SyncSchemaError):
    """A migration file failed to apply to the throwaway server."""

    def __init__(self, file: str, line: int | None, pg_message: str) -> None:
        where = f"{file}:{line}" if line is not None else file
        super().__init__(
            f"migration failed at {where}: {pg_message}",
            hint=f"fix {file} (or the migrations before it) and run again",
        )
        self.file = file
        self.line = line
        self.pg_message = pg_message


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove passwords from URLs and key=value strings, and any long literal secret given."""
    text = _URL.sub(_redact_url, text)
    text = _PASSWORD_KV.sub(r"\g<head>***", text)
    for secret in secrets:
        if len(secret) >= MIN_LITERAL_SECRET:
            text = text.replace(secret, "***")
    return text


def _redact_url(match: re.Match[str]) -> str:
    """`scheme://user:***@host...`; all of the credentials when they hold an `@` themselves."""
    rest = _PASSWORD_PARAM.sub(r"\g<head>***", match["rest"])
    # The credentials end at the last `@` before the query (a password may hold `?` too).
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    if at < 0:
        at = rest.rfind("@")
    credentials = rest[:at]
    if at < 0 or (":" not in credentials and "@" not in credentials):
        return match["scheme"] + rest  # no credentials, or a user name alone
    user, _, _password = credentials.partition(":")
    shown = "***" if "@" in credentials or "/" in user else f"{user}:***"
    return f"{match['scheme']}{shown}{rest[at:]}"
