"""Errors are values until the CLI edge, where each maps to exit code 2 and a hint."""

from __future__ import annotations

import re

_PASSWORD_IN_URL = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*(?P<tail>@)", re.I)
_PASSWORD_KV = re.compile(r"(?P<head>\bpassword\s*=\s*)(?:'[^']*'|\S+)", re.I)


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
    """Remove passwords from DSNs and key=value strings, and any literal secret given."""
    text = _PASSWORD_IN_URL.sub(r"\g<head>***\g<tail>", text)
    text = _PASSWORD_KV.sub(r"\g<head>***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
