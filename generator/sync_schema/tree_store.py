"""Read, compare and atomically replace the generated tree on disk."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import json
import os
import secrets
import shutil
import stat
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sync_schema.errors import ConfigError, SyncSchemaError
from sync_schema.layout import SCHEMA_JSON
from sync_schema.snapshot import Snapshot, parse_snapshot

_IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
_RENAME_EXCHANGE = 2
LOCK_WAIT_SECONDS = 60.0
_READ_ATTEMPTS = 5
_OPEN_TOP = os.O_RDONLY | os.O_DIRECTORY | os.O_NONBLOCK | os.O_CLOEXEC  # follows a symlinked out
_OPEN_DIR = _OPEN_TOP | os.O_NOFOLLOW
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class TreeDiff:
    """How the files on disk differ from the freshly generated ones."""

    added: tuple[str, ...] = ()  # generated now, missing on disk
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # on disk, no longer generated
    #: removed entries that the committed schema.json's manifest does not list
    foreign: tuple[str, ...] = field(default=())

    @property
    def in_sync(self) -> bool:
        """Whether the trees are byte-identical."""
        return not (self.added or self.changed or self.removed)

    def paths(self) -> list[str]:
        """Every differing path, sorted."""
        return sorted({*self.added, *self.changed, *self.removed})


def resolve_out(out: Path, protected: Iterable[Path]) -> Path:
    """The real directory `out` names (symlinks followed); ConfigError where a write could harm."""
    target = Path(os.path.realpath(out))
    reason = _refusal(target, [Path(os.path.realpath(p)) for p in protected])
    if reason is not None:
        raise ConfigError(
            f"refusing --out {out}: {reason}",
            hint="point --out (or out in [tool.sync-schema]) at a folder that only sync-schema "
            "writes, such as schemas",
        )
    return target


def _refusal(target: Path, protected: list[Path]) -> str | None:
    """Why `target` (a resolved path) must not be the generated package, or None."""
    if target == target.parent:
        return "it is the filesystem root"
    try:
        home: Path | None = Path("~").expanduser().resolve()
    except RuntimeError:  # no HOME and no passwd entry
        home = None
    if home is not None and (target == home or target in home.parents):
        return "it is your home directory or one of its parents"
    for path in protected:
        if target == path or target in path.parents:
            return f"it is or holds {path}, which sync-schema reads"
    if ".git" in target.parts:
        return "it is inside a .git directory"
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        return None  # created on the first generate
    if stat.S_ISLNK(mode):
        return "it is a symlink that does not resolve (a loop)"
    if not stat.S_ISDIR(mode):
        return "it exists and is not a directory"
    if os.path.lexists(target / ".git"):
        return "it holds a git repository (.git)"
    return None


@dataclass(frozen=True, slots=True)
class Tree:
    """What lies under an out dir: each regular file's bytes, and the entries never read."""

    files: dict[str, bytes]
    #: symlinks, FIFOs, sockets and devices: never followed, opened or read
    others: tuple[str, ...] = ()


def scan_tree(out: Path) -> Tree:
    """Every entry under `out` (caches skipped), as one tree: the old one or the new one.

    The walk goes through directory fds opened from one fd of `out`, so a concurrent swap
    cannot mix two trees; if `out` was swapped meanwhile (the old tree may be half deleted),
    the walk starts again.
    """
    for _attempt in range(_READ_ATTEMPTS):
        try:
            top = os.open(out, _OPEN_TOP)
        except FileNotFoundError:
            return Tree({})
        except NotADirectoryError:
            raise SyncSchemaError(
                f"{out} is not a directory", hint="point --out at the generated package's folder"
            ) from None
        try:
            tree = _walk(top)
            if _same_directory(top, out):
                return tree
        except FileNotFoundError:
            pass  # an entry went away: a swap deleted the old tree under us
        finally:
            os.close(top)
    raise SyncSchemaError(
        f"{out} kept changing while it was read",
        hint="another sync-schema generate is writing it: run again once it is done",
    )


def read_tree(out: Path) -> dict[str, bytes]:
    """Every regular file under `out` (caches skipped), relative path -> bytes."""
    return scan_tree(out).files


def read_file(out: Path, name: str) -> bytes | None:
    """The bytes of `out/name`, None when absent; OSError when it is not a regular file."""
    try:
        top = os.open(out, _OPEN_TOP)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        data = _read_regular(top, name)
    except FileNotFoundError:
        return None
    finally:
        os.close(top)
    if data is None:
        raise OSError(errno.EINVAL, f"{name} is not a regular file")
    return data


def _walk(top: int) -> Tree:
    files: dict[str, bytes] = {}
    others: list[str] = []
    stack: list[tuple[str, int, Iterator[os.DirEntry[str]]]] = []

    def enter(prefix: str, fd: int) -> None:
        stack.append((prefix, fd, iter(_entries(fd))))

    enter("", os.dup(top))
    try:
        while stack:
            prefix, fd, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                os.close(fd)
                continue
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                if entry.name not in _IGNORED_DIRS:
                    enter(f"{rel}/", os.open(entry.name, _OPEN_DIR, dir_fd=fd))
            elif not entry.is_file(follow_symlinks=False):
                others.append(rel)
            elif not entry.name.endswith((".pyc", ".pyo")):
                data = _read_regular(fd, entry.name)
                if data is None:
                    others.append(rel)  # replaced by a non-file since it was listed
                else:
                    files[rel] = data
    finally:
        for _prefix, fd, _entries_left in stack:
            os.close(fd)
    return Tree(dict(sorted(files.items())), tuple(sorted(others)))


def _entries(fd: int) -> list[os.DirEntry[str]]:
    with os.scandir(fd) as listing:
        return sorted(listing, key=lambda e: e.name)


def _read_regular(dir_fd: int, name: str) -> bytes | None:
    """The bytes of a regular file, None for anything else (never blocks on a FIFO)."""
    try:
        fd = os.open(name, _OPEN_FILE, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):  # a symlink or a socket
            return None
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return handle.read()


def _same_directory(fd: int, path: Path) -> bool:
    """Whether `path` still names the directory open as `fd` (not swapped since)."""
    try:
        now = path.stat()
    except OSError:
        return False
    then = os.fstat(fd)
    return (then.st_dev, then.st_ino) == (now.st_dev, now.st_ino)


def _owned(schema_json: bytes | None) -> frozenset[str]:
    """The files the committed schema.json's manifest lists, itself included."""
    if schema_json is None:
        return frozenset()
    try:
        listed = json.loads(schema_json).get("files")
    except (ValueError, AttributeError):
        return frozenset()
    if not isinstance(listed, dict):
        return frozenset()  # an older schema.json without a manifest: nothing is provably ours
    return frozenset({*listed, SCHEMA_JSON})


def compare_tree(out: Path, files: Mapping[str, str]) -> TreeDiff:
    """Compare the generated `files` with what is under `out`."""
    tree = scan_tree(out)
    current = tree.files
    new = {rel: text.encode("utf-8") for rel, text in files.items()}
    removed = sorted((set(current) - set(new)) | set(tree.others))
    owned = _owned(current.get(SCHEMA_JSON)) - set(tree.others)
    return TreeDiff(
        added=tuple(sorted(set(new) - set(current))),
        changed=tuple(sorted(r for r in set(new) & set(current) if new[r] != current[r])),
        removed=tuple(removed),
        foreign=tuple(r for r in removed if r not in owned),
    )


def lock_path(out: Path) -> Path:
    """The lock file of `out`: `.<name>.lock` beside the real directory."""
    target = Path(os.path.realpath(out))
    return target.parent / f".{target.name}.lock"


@contextlib.contextmanager
def exclusive(out: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold `.<name>.lock` beside `out` so concurrent generators never interleave their writes.

    The holder deletes the file before it unlocks, so nothing is left behind; a waiter that
    locked a file deleted meanwhile sees that the path names another inode, and starts over.
    """
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        fd = _open_lock(path)
        try:
            if _flock_until(fd, deadline) and _same_file(fd, path):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if time.monotonic() >= deadline:
            raise SyncSchemaError(
                f"another sync-schema run is writing {out} (lock {path})",
                hint="wait for it to finish and run again",
            )
    try:
        yield
    finally:
        # Deleted while still locked: a waiter on this inode then retries on a fresh file.
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


def _open_lock(path: Path) -> int:
    # Read-write: flock over NFS needs it. O_NOFOLLOW, O_NONBLOCK: a planted link or FIFO fails.
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        raise SyncSchemaError(
            f"cannot open the lock {path}: {exc.strerror}", hint=f"delete {path} and run again"
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SyncSchemaError(
            f"the lock {path} is not a regular file", hint=f"delete {path} and run again"
        )
    return fd


def _flock_until(fd: int, deadline: float) -> bool:
    """Take an exclusive flock on `fd`, polling until `deadline`; whether it was taken."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def _same_file(fd: int, path: Path) -> bool:
    """Whether `path` still names the file open as `fd` (not deleted or replaced since)."""
    try:
        now = path.stat(follow_symlinks=False)
    except FileNotFoundError:
        return False
    then = os.fstat(fd)
    return (then.st_dev, then.st_ino) == (now.st_dev, now.st_ino)


def write_tree(out: Path, files: Mapping[str, str], *, force: bool = False) -> TreeDiff:
    """Replace `out` with exactly `files`, atomically: readers see the old tree or the new one.

    A symlinked `out` is written through: its target is replaced and the link kept.
    """
    target = resolve_out(out, protected=())
    with exclusive(target):
        recover(target)
        diff = compare_tree(target, files)
        _refuse_foreign(out, diff.foreign, force=force)
        if diff.in_sync:
            return diff
        staging = _make_staging(target)
        try:
            for rel, text in sorted(files.items()):
                path = staging / rel
                path.parent.mkdir(parents=True, exist_ok=True)  # 0o777 & ~umask
                with path.open("w", encoding="utf-8", newline="") as handle:  # 0o666 & ~umask
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
            _pause_for_tests()
            _swap(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return diff


def _refuse_foreign(out: Path, foreign: tuple[str, ...], *, force: bool) -> None:
    """Stop before deleting what sync-schema did not write; a git repository even with --force."""
    if not foreign:
        return
    listed = ", ".join(foreign[:5]) + (
        f" (and {len(foreign) - 5} more)" if len(foreign) > 5 else ""
    )
    if any(".git" in PurePosixPath(rel).parts for rel in foreign):
        raise SyncSchemaError(
            f"{out} holds a git repository, which sync-schema never deletes: {listed}",
            hint="move the repository out of the generated package, or choose another --out",
        )
    if not force:
        raise SyncSchemaError(
            f"{out} holds files that sync-schema did not generate: {listed}",
            hint="move them out of the generated package, or pass --force to delete them",
        )


def _make_staging(target: Path) -> Path:
    """A fresh sibling of `target`, with the umask's mode (mkdtemp's would be 0700)."""
    while True:
        staging = target.parent / f".{target.name}.new-{secrets.token_hex(6)}"
        try:
            staging.mkdir(mode=0o777)
        except FileExistsError:
            continue
        return staging


def recover(out: Path) -> None:
    """Repair what a killed run left: restore `out` if needed, drop stale staging dirs."""
    name = glob.escape(out.name)  # `sch[ab]` must not match another package's leftovers
    olds = sorted(out.parent.glob(f".{name}.old-*"))
    if not os.path.lexists(out) and olds:
        olds.pop().rename(out)
    # Only called under the lock, so no other run owns these.
    for leftover in [*olds, *out.parent.glob(f".{name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def _swap(staging: Path, out: Path) -> None:
    if not os.path.lexists(out):
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
    import ctypes  # noqa: PLC0415 - only a write swaps trees

    # The process's own symbols (libc among them): find_library("c") would run ldconfig.
    libc = ctypes.CDLL(None, use_errno=True)
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


def read_snapshot_file(out: Path) -> Snapshot | None:
    """The committed schema.json, None when there is none yet."""
    path = out / SCHEMA_JSON
    try:
        raw = read_file(out, SCHEMA_JSON)  # never a FIFO's or a symlink's
        if raw is None:
            return None
        return parse_snapshot(raw.decode("utf-8"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SyncSchemaError(
            f"cannot read {path}: {exc}",
            hint=f"restore it from git (git checkout -- {path}) or delete it to start a new history",
        ) from None
