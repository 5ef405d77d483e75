"""Where sync-schema keeps what only saves time between runs (standard library only)."""

from __future__ import annotations

import os
from pathlib import Path

#: Set to a folder to move the cache, or to an empty string to turn it off.
CACHE_ENV = "SYNC_SCHEMA_CACHE_DIR"


def cache_root() -> Path | None:
    """$SYNC_SCHEMA_CACHE_DIR, else $XDG_CACHE_HOME/sync-schema, else ~/.cache/sync-schema."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit is not None:
        return Path(explicit) if explicit else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "sync-schema"
    try:
        return Path.home() / ".cache" / "sync-schema"
    except (RuntimeError, KeyError):
        return None
