"""Read, compare and atomically replace the generated tree on disk."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.codemodel import GENERATED_MARKER
from generator.errors import SyncSchemaError

_IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
_RENAME_EXCHANGE = 2
LOCK_WAIT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class TreeDiff:
    """How the files on disk differ from the freshly generated ones."""

    added: tuple[str, ...] = ()  # generated now, missing on disk
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # on disk, no longer generated
    foreign: tuple[str, ...] = field(default=())  # removed files that lack the generated marker

    @property
    def in_sync(self) -> bool:
        """Whether the trees are byte-identical."""
        return not (self.added or self.changed or self.removed)

    def paths(self) -> list[str]:
        """Every differing path, sorted."""
        return sorted({*self.added, *self.changed, *self.removed})


def read_tree(out: Path) -> dict[str, bytes]:
    """Every file under `out` (caches skipped), relative path -> bytes."""
    if not out.is_dir():
        return {}
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(out):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS)
        for name in names:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root) / name
            files[path.relative_to(out).as_posix()] = path.read_bytes()
    return files


def compare_tree(out: Path, files: Mapping[str, str]) -> TreeDiff:
    """Compare the generated `files` with what is under `out`."""
    current = read_tree(out)
    new = {rel: text.encode("utf-8") for rel, text in files.items()}
    removed = sorted(set(current) - set(new))
    return TreeDiff(
        added=tuple(sorted(set(new) - set(current))),
        changed=tuple(sorted(r for r in set(new) & set(current) if new[r] != current[r])),
        removed=tuple(removed),
        foreign=tuple(r for r in removed if GENERATED_MARKER.encode() not in current[r][:4096]),
    )


@contextlib.contextmanager
def exclusive(out: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold a lock beside `out` so concurrent generators never interleave their writes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    # The lock lives in the temp dir, keyed by the resolved path, so it never litters the repo.
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"sync-schema-{key}.lock"
    with lock_path.open("a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SyncSchemaError(
                        f"another sync-schema run is writing {out} (lock {lock_path})",
                        hint="wait for it to finish and run again",
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_tree(out: Path, files: Mapping[str, str], *, force: bool = False) -> TreeDiff:
    """Replace `out` with exactly `files`, atomically: readers see the old tree or the new one."""
    with exclusive(out):
        recover(out)
        diff = compare_tree(out, files)
        if diff.foreign and not force:
            listed = ", ".join(diff.foreign[:5])
            raise SyncSchemaError(
                f"{out} holds files that sync-schema did not generate: {listed}",
                hint="move them out of the generated package, or pass --force to delete them",
            )
        if diff.in_sync:
            return diff
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        try:
            for rel, text in sorted(files.items()):
                path = staging / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
            _pause_for_tests()
            _swap(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return diff


def recover(out: Path) -> None:
    """Repair what a killed run left: restore `out` if needed, drop stale staging dirs."""
    olds = sorted(out.parent.glob(f".{out.name}.old-*"))
    if not out.exists() and olds:
        olds.pop().rename(out)
    # Only called under the lock, so no other run owns these.
    for leftover in [*olds, *out.parent.glob(f".{out.name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    if _rename_exchange(staging, out):
        return  # staging now holds the old tree; the caller deletes it
    # Fallback without renameat2: a window where `out` is missing, repaired by recover().
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths with Linux renameat2(RENAME_EXCHANGE)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), f"cannot swap {a} and {b}")


def _pause_for_tests() -> None:
    # Lets the crash-safety tests kill a run while the new tree is staged but not swapped.
    delay = os.environ.get("SYNC_SCHEMA_TEST_WRITE_DELAY")
    if delay:
        time.sleep(float(delay))
