"""The command line: the typer app (cli.app), its parts, and the entry's typer-free fast check."""
