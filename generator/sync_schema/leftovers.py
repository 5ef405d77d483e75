"""Owner marks on temp dirs, so a later run can tell the leftovers of a dead run from live ones."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
from pathlib import Path

#: Written into each temp dir sync-schema creates: who made it, to tell when it is dead.
OWNER_FILE = ".sync-schema-owner"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (Linux), which tells a reused pid apart."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat_line.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None  # field 22 overall


def _pid_namespace() -> str:
    with contextlib.suppress(OSError):
        return str(Path("/proc/self/ns/pid").readlink())
    return ""


def _identity(pid: int) -> dict[str, str | int | None]:
    return {
        "pid": pid,
        "start": _start_time(pid),
        "pidns": _pid_namespace(),
        "host": socket.gethostname(),
    }


def mark_owner(directory: Path) -> None:
    """Record the current process as the owner of directory."""
    path = directory / OWNER_FILE
    path.write_text(json.dumps(_identity(os.getpid())), encoding="utf-8")
    # Readable by the server user when root hands the dir over to it.
    path.chmod(0o644)


def _alive(pid: int, start: object) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process holds the pid now; ours ran as us
    # A live pid may have been reused: the start time says whether it is the same process.
    current = _start_time(pid)
    return current is None or start is None or current == start


def owner_is_dead(directory: Path) -> bool:
    """Whether directory carries our owner mark and that owner no longer runs.

    Anything doubtful (no mark, someone else's mark, a mark from another host or pid
    namespace, a symlink) counts as alive: a live run's files must never be touched.
    """
    path = directory / OWNER_FILE
    try:
        if not stat.S_ISDIR(directory.lstat().st_mode):
            return False
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return False
        owner = json.loads(path.read_text(encoding="utf-8"))
        pid = int(owner["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    mine = _identity(os.getpid())
    if owner.get("host") != mine["host"] or owner.get("pidns") != mine["pidns"]:
        return False
    if pid == os.getpid():
        return False
    return not _alive(pid, owner.get("start"))


def dead_dirs(prefix: str, parents: list[Path]) -> list[Path]:
    """The prefix* dirs in parents whose owner mark names a process that is gone."""
    found: list[Path] = []
    for parent in dict.fromkeys(parents):
        with contextlib.suppress(OSError):
            found += [
                entry
                for entry in sorted(parent.iterdir())
                if entry.name.startswith(prefix) and owner_is_dead(entry)
            ]
    return found
