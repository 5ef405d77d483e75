"""sync-schema: the database is the source of truth for the project's Python types."""

__version__ = "0.1.0"

from generator.drift import Change, SchemaSync, Severity

__all__ = ["Change", "SchemaSync", "Severity", "__version__"]
