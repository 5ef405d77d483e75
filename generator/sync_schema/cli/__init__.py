"""The command line: the typer app and what its commands share."""

from sync_schema.cli.app import app, main

__all__ = ["app", "main"]
