"""`python -m sync_schema`, and the `sync-schema` console script."""

import sys


def entry() -> None:
    """Run the CLI; a Ctrl-C while it is still being imported exits 130 without a traceback."""
    try:
        # A plain `check` that schema.json's fingerprint proves in sync needs no more than this.
        from sync_schema.fingerprint import fast_check  # noqa: PLC0415

        code = fast_check(sys.argv[1:])
        if code is not None:
            sys.exit(code)
        from sync_schema.cli import main  # noqa: PLC0415  (inside the try: the import takes a while)
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    entry()
