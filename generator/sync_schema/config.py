"""Settings: CLI flags over the selected project over `[tool.sync-schema]` over defaults."""

from __future__ import annotations

import keyword
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync_schema.errors import ConfigError
from sync_schema.options import Options
from sync_schema.source import connect
from sync_schema.source.management_api import QueryEndpoint
from sync_schema.tree_store import resolve_out

DEFAULT_MIGRATIONS = Path("supabase/migrations")
DEFAULT_OUT = Path("schemas")
#: What messages tell the user to run to regenerate (update-command in [tool.sync-schema]).
DEFAULT_UPDATE_COMMAND = "sync-schema generate"

_TOP_KEYS: dict[str, type] = {
    "migrations": str,
    "out": str,
    "schemas": list,
    "templates": str,
    "typeddict-types": str,
    "relationship-tables": list,
    "entity-tables": list,
    "frozen-models": bool,
    "statement-timeout": int,
    "report-dir": str,
    "naming": dict,
    "projects": dict,
    "app-dirs": list,
    "nullability": dict,
    "jsonb": dict,
    "supabase-shim": bool,
    "client": bool,
    "update-command": str,
}
_PROJECT_KEYS: dict[str, type] = {
    "db-url-env": str,
    "schemas": list,
    "out": str,
    "migrations": str,
    "description": str,
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one run needs to know, resolved."""

    root: Path
    out: Path
    migrations: Path
    schemas: tuple[str, ...]
    db_url: str | None
    db_url_origin: str
    templates: Path | None = None
    options: Options = field(default_factory=Options)
    project_id: str | None = None
    statement_timeout_ms: int = 30_000
    report_dir: Path = Path()
    #: application code that `--impact` scans, from app-dirs (relative to pyproject.toml)
    app_dirs: tuple[Path, ...] = ()
    #: the Supabase shim on the embedded server; None: on when migrations is supabase/migrations
    supabase_shim: bool | None = None
    #: settings that were present but not used (another one won), to print
    notes: tuple[str, ...] = ()
    #: the command messages tell the user to run to regenerate
    update_command: str = DEFAULT_UPDATE_COMMAND
    #: a Supabase project read through the Management API's query endpoint (db_url is None)
    query_endpoint: QueryEndpoint | None = None

    @property
    def source_label(self) -> str:
        """Where the schema comes from, safe to print (never the URL itself)."""
        if self.query_endpoint is not None:
            return self.db_url_origin
        if self.db_url is None:
            try:
                migrations = self.migrations.resolve().relative_to(Path.cwd().resolve())
            except ValueError:
                migrations = self.migrations
            return f"embedded PostgreSQL with the migrations in {migrations}"
        return f"database from {self.db_url_origin}"

    @property
    def source_line(self) -> str:
        """Which source a run reads, its password masked: `source: ... = postgresql://u:***@h`."""
        if self.db_url is None:
            return f"source: {self.source_label}"
        return f"source: {self.db_url_origin} = {connect.masked(self.db_url)}"


@dataclass(frozen=True, slots=True)
class Overrides:
    """Values given on the command line (None: not given)."""

    db_url: str | None = None
    migrations: Path | None = None
    out: Path | None = None
    schemas: tuple[str, ...] = ()
    config: Path | None = None
    project_id: str | None = None
    templates: Path | None = None
    report_dir: Path | None = None
    supabase_shim: bool | None = None
    #: --linked: the Supabase project `supabase link` recorded in supabase/.temp/
    linked: bool = False


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above `start`."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _is_plain_name(name: str) -> bool:
    """Whether a [naming] value can be a class or member name as written (ASCII, no keyword)."""
    return (
        name.isascii()
        and name.isidentifier()
        and not name.startswith("_")
        and not keyword.iskeyword(name)
    )


def read_section(path: Path) -> dict[str, Any]:
    """The `[tool.sync-schema]` table of a pyproject.toml, validated."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"cannot read {path}: byte {exc.start} is not UTF-8", hint=f"save {path} as UTF-8"
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}", hint=f"fix the TOML syntax of {path}"
        ) from None
    section = data.get("tool", {}).get("sync-schema", {})
    if not isinstance(section, dict):
        raise ConfigError(
            f"[tool.sync-schema] in {path} is not a table", hint="see the README's Configuration"
        )
    _validate(section, _TOP_KEYS, f"[tool.sync-schema] in {path}")
    for project_id, project in section.get("projects", {}).items():
        if not isinstance(project, dict):
            raise ConfigError(
                f"[tool.sync-schema.projects.{project_id}] is not a table",
                hint="give each project a table with db-url-env, schemas and out",
            )
        _validate(project, _PROJECT_KEYS, f"[tool.sync-schema.projects.{project_id}]")
    return section


def _validate(table: dict[str, Any], known: dict[str, type], where: str) -> None:
    for key, value in table.items():
        if key not in known:
            raise ConfigError(
                f"unknown key {key!r} in {where}",
                hint=f"known keys: {', '.join(sorted(known))}",
            )
        if key == "statement-timeout":
            _validate_statement_timeout(value, where)
        expected = known[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                f"{where}: {key} must be a {expected.__name__}, not {type(value).__name__}",
                hint=f"fix {key} in {where}",
            )
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings", hint=f"fix {key}")


def _validate_statement_timeout(value: object, where: str) -> None:
    # 0 would mean "no limit" to the server: refused, so that no value can disable the limit.
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"{where}: statement-timeout must be a positive integer, not {value!r}",
            hint="use a positive number of milliseconds, e.g. statement-timeout = 30000",
        )


def load_settings(overrides: Overrides, cwd: Path | None = None) -> Settings:
    """Resolve the settings of one run."""
    cwd = cwd or Path.cwd()
    pyproject = overrides.config or find_pyproject(cwd)
    if overrides.config is not None and not overrides.config.is_file():
        raise ConfigError(
            f"config file not found: {overrides.config}",
            hint="pass --config path/to/pyproject.toml",
        )
    section = read_section(pyproject) if pyproject else {}
    root = pyproject.parent if pyproject else cwd

    env_project = os.environ.get("SUPABASE_PROJECT_ID") or None
    project_id = overrides.project_id or env_project
    projects: dict[str, Any] = section.get("projects", {})
    project: dict[str, Any] = {}
    if project_id is not None and project_id in projects:
        project = projects[project_id]
    elif overrides.project_id is not None and not connect.is_project_ref(overrides.project_id):
        known = ", ".join(sorted(projects)) or "none configured"
        raise ConfigError(
            f"unknown project id {project_id!r}: not in [tool.sync-schema.projects], and not "
            "a Supabase project ref",
            hint=f"known ids: {known} (add [tool.sync-schema.projects.{project_id}]); a "
            "Supabase project ref is 20 lowercase letters",
        )

    notes: tuple[str, ...] = ()
    db_url: str | None
    endpoint: QueryEndpoint | None = None
    if project.get("db-url-env") and not overrides.db_url:
        db_url, origin = _project_url(project, project_id)
    else:
        source = connect.resolve(
            db_url=overrides.db_url,
            project_ref=None if project else overrides.project_id,
            linked=overrides.linked,
            root=root,
            # A configured project's id is not a Supabase ref to look up again.
            env_project=None if project else env_project,
        )
        db_url, origin, notes, endpoint = source.url, source.origin, source.notes, source.endpoint
        project_id = project_id if project else source.ref
    typeddict_types = section.get("typeddict-types", "json")
    if typeddict_types not in ("json", "python"):
        raise ConfigError(
            f"typeddict-types must be 'json' or 'python', not {typeddict_types!r}",
            hint="set typeddict-types in [tool.sync-schema]",
        )
    naming = section.get("naming", {})
    if not all(isinstance(v, str) for v in naming.values()):
        raise ConfigError(
            "[tool.sync-schema.naming] values must be strings",
            hint='write overrides like "public.people" = "Person"',
        )
    for key, value in naming.items():
        if not _is_plain_name(value):
            raise ConfigError(
                f"[tool.sync-schema.naming] {key!r} = {value!r} is not a usable Python name",
                hint="use ASCII letters, digits and underscores, not starting with a digit or "
                "an underscore, and not a Python keyword",
            )
    nullability = section.get("nullability", {})
    if not all(isinstance(v, bool) for v in nullability.values()):
        raise ConfigError(
            "[tool.sync-schema.nullability] values must be true or false",
            hint='write overrides like "public.my_view.col" = false',
        )
    jsonb_schemas = _jsonb_schemas(root, section.get("jsonb", {}))
    timeout = section.get("statement-timeout", 30_000)
    schemas = overrides.schemas or tuple(project.get("schemas") or section.get("schemas") or ())
    out = _path(root, overrides.out, project.get("out") or section.get("out"), DEFAULT_OUT)
    migrations = _path(
        root,
        overrides.migrations,
        project.get("migrations") or section.get("migrations"),
        DEFAULT_MIGRATIONS,
    )
    templates = (
        overrides.templates
        if overrides.templates
        else (root / section["templates"] if "templates" in section else None)
    )
    app_dirs = tuple(root / d for d in section.get("app-dirs", []))
    # Before anything reads or writes it: `--force` must never be able to delete the project.
    guarded = [root, cwd, Path.cwd(), migrations, *app_dirs]
    guarded += [path for path in (pyproject, templates) if path is not None]
    resolve_out(out, protected=guarded)
    return Settings(
        root=root,
        out=out,
        migrations=migrations,
        schemas=schemas or ("public",),
        db_url=db_url,
        db_url_origin=origin,
        query_endpoint=endpoint,
        templates=templates,
        options=Options(
            typeddict_types=typeddict_types,
            relationship_tables=frozenset(section.get("relationship-tables", [])),
            entity_tables=frozenset(section.get("entity-tables", [])),
            names=dict(naming),
            frozen_models=bool(section.get("frozen-models", False)),
            jsonb_schemas=jsonb_schemas,
            client=bool(section.get("client", False)),
            nullability=dict(nullability),
        ),
        project_id=project_id,
        statement_timeout_ms=int(timeout),
        report_dir=_path(root, overrides.report_dir, section.get("report-dir"), Path()),
        app_dirs=app_dirs,
        supabase_shim=(
            overrides.supabase_shim
            if overrides.supabase_shim is not None
            else section.get("supabase-shim")
        ),
        notes=notes,
        update_command=section.get("update-command") or DEFAULT_UPDATE_COMMAND,
    )


def _jsonb_schemas(root: Path, table: dict[str, Any]) -> dict[str, str]:
    """[tool.sync-schema.jsonb]: "schema.table.column" -> the text of its JSON Schema file."""
    schemas: dict[str, str] = {}
    for column, file in sorted(table.items()):
        if not isinstance(file, str) or column.count(".") < 2:
            raise ConfigError(
                f"[tool.sync-schema.jsonb] {column!r} = {file!r} is not a column and a file",
                hint='write entries like "public.profiles.settings" = "schemas/settings.json"',
            )
        path = root / file
        try:
            schemas[column] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(
                f"cannot read the JSON Schema of {column}: {file} is not UTF-8",
                hint=f"save {file} as UTF-8",
            ) from None
        except OSError as exc:
            raise ConfigError(
                f"cannot read the JSON Schema of {column}: {exc.strerror or exc} ({file})",
                hint="fix the path in [tool.sync-schema.jsonb] (relative to pyproject.toml)",
            ) from None
    return schemas


def _project_url(project: dict[str, Any], project_id: str | None) -> tuple[str, str]:
    """A configured project's URL, from the variable its db-url-env names."""
    env = str(project["db-url-env"])
    value = os.environ.get(env)
    if not value:
        raise ConfigError(
            f"project {project_id!r} reads its database URL from ${env}, which is not set",
            hint=f"export {env}=postgresql://... (credentials never go in config files)",
        )
    return value, f"${env} (project {project_id})"


def _path(root: Path, flag: Path | None, configured: str | None, default: Path) -> Path:
    if flag is not None:
        return flag
    return root / (configured if configured is not None else default)
