"""`python -m sync_schema`, and the `sync-schema` console script."""

import sys


def entry() -> None:
    """Run the CLI; a Ctrl-C while it is still being imported exits 130 without a traceback."""
    try:
        from sync_schema.cli import main  # noqa: PLC0415  (inside the try: the import takes a while)
    except KeyboardInterrupt:
        sys.exit(130)
    main()


if __name__ == "__main__":
    entry()
