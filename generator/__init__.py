"""sync-schema: the database is the source of truth for the project's Python types."""

__version__ = "0.1.0"
