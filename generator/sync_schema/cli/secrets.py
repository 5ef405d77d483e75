"""What output must never show, known before typer loads (the fast check needs it too)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync_schema.config import Settings

_SECRET_ENV = (
    "SUPABASE_SERVICE_KEY",
    "PGPASSWORD",
    "SUPABASE_ACCESS_TOKEN",
    "SUPABASE_DB_PASSWORD",
)


def secret_values(settings: Settings | None = None) -> tuple[str, ...]:
    """What output must never show: secrets from the environment and the URL's password."""
    values = [os.environ.get(name, "") for name in _SECRET_ENV]
    if settings is not None and settings.db_url:
        from sync_schema.source import wire  # noqa: PLC0415 - only with a live URL

        try:
            # A plain URL is read without psycopg, exactly as libpq reads it; any other, by libpq.
            values.append(wire.parse_url(settings.db_url).password or "")
        except wire.Unsupported:
            values.append(_libpq_password(settings.db_url))
    return tuple(v for v in values if v)


def _libpq_password(url: str) -> str:
    """The password libpq reads in `url` (the whole text when it cannot be parsed)."""
    from sync_schema.source.introspect import conninfo  # noqa: PLC0415 - psycopg costs import time

    try:
        return str(conninfo(url).get("password") or "")
    except Exception:
        return url
