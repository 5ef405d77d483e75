"""sync-schema: the database is the source of truth for the project's Python types."""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads it as True)
if TYPE_CHECKING:
    from sync_schema.drift import Change, SchemaSync, Severity

__all__ = ["Change", "SchemaSync", "Severity", "__version__"]


def __getattr__(name: str) -> object:
    # Imported on first use: the console script's Ctrl-C guard (sync_schema.__main__) must be
    # reached before anything slow is imported.
    if name in ("Change", "SchemaSync", "Severity"):
        from sync_schema import drift  # noqa: PLC0415

        return getattr(drift, name)
    raise AttributeError(f"module 'sync_schema' has no attribute {name!r}")
