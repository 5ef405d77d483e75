"""A copy of a fresh initdb'd data directory, kept per server build and initdb options.

initdb is most of a throwaway server's start; copying its result (`cp -a`, which keeps the
owner when root runs the server as another user) is a fraction of it. The key names the
binaries by real path, size, mtime and inode, so a reinstalled or upgraded server never gets
another build's catalog. A copy is made in a temporary folder and renamed into place whole;
anything that fails only means a real initdb.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from sync_schema.cachedir import cache_root

_FORMAT = "sync-schema initdb template 1"
_PREFIX = "pgdata-"


def key(pg_bin: Path, initdb_options: list[str], user: str | None) -> str | None:
    """What decides initdb's output here; None when the binaries cannot be identified."""
    digest = hashlib.sha256(_FORMAT.encode())
    digest.update(repr((initdb_options, user, os.path.realpath(pg_bin))).encode())
    try:
        for tool in ("initdb", "postgres"):
            st = (pg_bin / tool).stat()
            digest.update(f"\0{tool} {st.st_size} {st.st_mtime_ns} {st.st_ino}".encode())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def _cached(name: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / f"{_PREFIX}{name}"


def _copy(source: Path, target: Path) -> bool:
    """`cp -a source target` (target must not exist); False, and no target, on any failure."""
    try:
        done = (
            subprocess.run(
                ["cp", "-a", str(source), str(target)],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
                timeout=120,
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        done = False
    if not done:
        shutil.rmtree(target, ignore_errors=True)
    return done


def restore(name: str | None, data_dir: Path) -> bool:
    """Put the cached data directory at `data_dir` (which must not exist); False: run initdb."""
    cached = _cached(name) if name is not None else None
    if cached is None or not (cached / "PG_VERSION").is_file():
        return False
    return _copy(cached, data_dir)


def save(name: str | None, data_dir: Path) -> None:
    """Keep a copy of a fresh, never started `data_dir` for the next server with this key."""
    cached = _cached(name) if name is not None else None
    if cached is None or cached.exists():
        return
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    staging = cached.parent / f".{cached.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    if not _copy(data_dir, staging):
        return
    try:
        staging.rename(cached)  # whole or not at all; another process may have won the race
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
