"""Apply a migrations folder with psql, naming a failing statement's real line and context."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

from sync_schema.embedded.binaries import PG_BIN_ENV, find_pg_bin
from sync_schema.embedded.processes import log_tail
from sync_schema.embedded.psql import psql_error, psql_script
from sync_schema.embedded.psqlscan import meta_commands
from sync_schema.embedded.server import TempServer
from sync_schema.errors import DatabaseError, MigrationError, SyncSchemaError, redact

#: What the Supabase platform provides before a project's first migration (see the README).
SUPABASE_SHIM_SQL = Path(__file__).with_name("supabase_shim.sql")


#: How the server says an extension is not installed (PostgreSQL 15 and older, and newer).
_UNAVAILABLE_EXTENSION = re.compile(
    r'extension "(?P<name>[^"]+)" is not available'
    r'|could not open extension control file "(?:[^"]*/)?(?P<file>[^"/]+)\.control"'
)
#: Debian's package for an extension a Supabase dump creates, where it is not named after it.
_DEBIAN_PACKAGES = {"postgis": "postgis-3"}


#: pg_dump's own; in psql they only forbid (further) meta-commands, so a dump may keep them.
_ALLOWED_META_COMMANDS = frozenset({"\\restrict", "\\unrestrict"})


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


def _apply(
    dsn: str, files: list[Path], pg_bin: Path, *, user: str | None = None, cwd: Path | None = None
) -> list[Path]:
    for file in files:
        result = psql_script(dsn, pg_bin, _read_migration(file), user=user, cwd=cwd)
        if result.returncode == 0:
            continue
        if result.returncode == 2:
            # psql's exit status 2 means the connection failed, not the migration.
            raise DatabaseError(
                f"cannot connect to apply {_display_path(file)}: "
                + redact(log_tail(result.stderr, 3)),
                hint="check that the database is running and reachable",
            )
        line, message = psql_error(result.stderr)
        error = MigrationError(file=_display_path(file), line=line, pg_message=message)
        unavailable = _UNAVAILABLE_EXTENSION.search(message)
        if unavailable is not None:
            # Supabase's own dump is not the file to fix: the server lacks the extension.
            name = unavailable.group("name") or unavailable.group("file")
            error.hint = _missing_extension_hint(name, pg_bin)
        raise error
    return files


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
    result = psql_script(dsn, find_pg_bin(pg_bin), sql, user=user, cwd=cwd)
    if result.returncode == 0:
        return
    line, message = psql_error(result.stderr)
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
