"""Where the database comes from: flags, Supabase's variables, `supabase link`, the Management API.

First match wins:
  1. --db-url
  2. --project-id / $SUPABASE_PROJECT_ID naming a project in [tool.sync-schema.projects]
  3. --linked (supabase/.temp/ as `supabase link` leaves it)
  4. --project-id <ref> (the Management API's database query endpoint)
  5. $SUPABASE_DB_URL
  6. $DATABASE_URL
  7. $SUPABASE_PROJECT_ID <ref> (the Management API's database query endpoint)
  8. the migrations, on an embedded server
A Supabase setting that is present but unusable is an error, never a step down this list;
settings that lose to a higher one are named in notes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from sync_schema.errors import ConfigError, DatabaseError, redact
from sync_schema.source import management_api
from sync_schema.source.management_api import QueryEndpoint

#: Supabase project refs: 20 lowercase ASCII letters.
_REF = re.compile(r"[a-z]{20}")
#: The placeholder the Supabase CLI and dashboard put in connection strings.
_PASSWORD_PLACEHOLDER = "[YOUR-PASSWORD]"  # noqa: S105 - a placeholder, not a password
_TOKEN_HINT = (
    "export SUPABASE_ACCESS_TOKEN=sbp_... (a personal access token: "  # noqa: S105 - advice
    "https://supabase.com/dashboard/account/tokens), or set SUPABASE_DB_URL to the "
    "project's connection string"
)


@dataclass(frozen=True, slots=True)
class Source:
    """The database one run reads: its URL (None: the migrations) and where it came from."""

    url: str | None
    origin: str
    #: the Supabase project ref, when the source is a Supabase project
    ref: str | None = None
    #: settings that were present but lost to a higher one, to print
    notes: tuple[str, ...] = ()
    #: how to read a Supabase project without a connection (url is then None)
    endpoint: QueryEndpoint | None = None


def is_project_ref(value: str) -> bool:
    """Whether `value` has the shape of a Supabase project ref."""
    return _REF.fullmatch(value) is not None


def database_url(user: str, password: str, host: str, port: int, dbname: str) -> str:
    """A postgresql:// URL with every part percent-encoded (a socket folder goes in the query)."""
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    if host.startswith("/"):
        return f"postgresql://{auth}@:{port}/{quote(dbname, safe='')}?host={quote(host, safe='')}"
    return f"postgresql://{auth}@{host}:{port}/{quote(dbname, safe='')}"


def masked(url: str) -> str:
    """The URL with its password replaced by ***, safe to print."""
    return redact(url)


def resolve(
    *,
    db_url: str | None,
    project_ref: str | None,
    linked: bool,
    root: Path,
    env_project: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Source:
    """The source of one run, from the flags and the environment (see the module docstring).

    `env_project` is $SUPABASE_PROJECT_ID when it is not a configured project's id.
    """
    env = os.environ if env is None else env
    if db_url:
        return Source(_database_url(db_url, "--db-url"), "--db-url")
    if linked:
        return _linked(root, env)
    if project_ref is not None:
        return _query_endpoint(project_ref, "--project-id", env)
    notes: list[str] = []
    for name in ("SUPABASE_DB_URL", "DATABASE_URL"):
        value = env.get(name)
        if not value:
            continue
        if name == "SUPABASE_DB_URL" and env.get("DATABASE_URL"):
            notes.append("$DATABASE_URL is set too and ignored: $SUPABASE_DB_URL wins")
        if env_project:
            notes.append(f"$SUPABASE_PROJECT_ID ({env_project}) is ignored: ${name} wins over it")
        return Source(_database_url(value, f"${name}"), f"${name}", notes=tuple(notes))
    if env_project:
        if not is_project_ref(env_project):
            raise ConfigError(
                f"$SUPABASE_PROJECT_ID is {env_project!r}: neither a project in "
                "[tool.sync-schema.projects] nor a Supabase project ref",
                hint="a Supabase project ref is 20 lowercase letters (Project Settings > "
                f"General); or add [tool.sync-schema.projects.{env_project}], or unset it",
            )
        return _query_endpoint(env_project, "$SUPABASE_PROJECT_ID", env)
    if env.get("SUPABASE_URL"):
        notes.append(
            "$SUPABASE_URL is the project's API URL, not a database connection, and is not "
            "read: to check the project's database set $SUPABASE_DB_URL, --project-id <ref> "
            "or --linked"
        )
    return Source(None, "embedded", notes=tuple(notes))


def _database_url(value: str, where: str) -> str:
    """`value` if it can be a database URL; an http(s) URL is refused, naming the right form."""
    scheme = value.strip().partition("://")[0].lower()
    if scheme not in ("http", "https"):
        return value
    host = urlsplit(value.strip()).hostname or ""
    ref = host.removesuffix(".supabase.co") if host.endswith(".supabase.co") else "<ref>"
    raise ConfigError(
        f"{where} is an {scheme}:// URL (a Supabase API URL), not a database URL",
        hint=f"use the database connection string (Dashboard > Connect), e.g. "
        f"postgresql://postgres.{ref}:PASSWORD@aws-0-<region>.pooler.supabase.com:6543/postgres, "
        f"or --project-id {ref} with SUPABASE_ACCESS_TOKEN",
    )


def _password(env: Mapping[str, str], ref: str, origin: str) -> str:
    password = env.get("SUPABASE_DB_PASSWORD")
    if not password:
        raise ConfigError(
            f"{origin} (Supabase project {ref}) needs the database password, and "
            "$SUPABASE_DB_PASSWORD is not set",
            hint="export SUPABASE_DB_PASSWORD=... (Project Settings > Database; the "
            "Management API never returns it)",
        )
    return password


def _linked(root: Path, env: Mapping[str, str]) -> Source:
    """What `supabase link` left in supabase/.temp/: the ref, and the pooler URL if written."""
    temp = root / "supabase" / ".temp"
    try:
        ref = (temp / "project-ref").read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(
            f"--linked reads supabase/.temp/project-ref, which does not exist in {root}",
            hint="run `supabase link --project-ref <ref>` in the project first, or pass "
            "--project-id <ref>",
        ) from None
    if not is_project_ref(ref):
        raise ConfigError(
            f"supabase/.temp/project-ref holds {ref!r}, not a Supabase project ref",
            hint="run `supabase link --project-ref <ref>` again",
        )
    origin = f"Supabase project {ref} (--linked)"
    try:
        pooler = (temp / "pooler-url").read_text(encoding="utf-8").strip()
    except OSError:
        pooler = ""
    if not pooler:
        return _from_api(ref, "--linked", env)
    # psycopg (through introspect) costs import time: only a linked project's URL needs it.
    from sync_schema.source.introspect import conninfo  # noqa: PLC0415

    try:
        params = conninfo(pooler.replace(_PASSWORD_PLACEHOLDER, ""))
    except Exception:
        raise ConfigError(
            "supabase/.temp/pooler-url cannot be parsed",
            hint="run `supabase link --project-ref <ref>` again",
        ) from None
    url = database_url(
        str(params.get("user") or "postgres"),
        _password(env, ref, "--linked"),
        str(params.get("host") or ""),
        int(str(params.get("port") or 5432)),
        str(params.get("dbname") or "postgres"),
    )
    return Source(url, origin, ref=ref)


def _token(ref: str, origin: str, env: Mapping[str, str]) -> str:
    token = env.get("SUPABASE_ACCESS_TOKEN")
    if not token:
        raise ConfigError(
            f"{origin} {ref} is read through the Supabase Management API, which needs "
            "$SUPABASE_ACCESS_TOKEN (not set)",
            hint=_TOKEN_HINT,
        )
    return token


def _query_endpoint(ref: str, origin: str, env: Mapping[str, str]) -> Source:
    """A project read through the Management API's database query endpoint.

    It needs no database password, no pooler and no IPv6 route, so it wins even when
    $SUPABASE_DB_PASSWORD is set too ($SUPABASE_DB_URL is the way to connect directly).
    """
    endpoint = QueryEndpoint(management_api.api_url(env), ref, _token(ref, origin, env))
    notes: tuple[str, ...] = ()
    if env.get("SUPABASE_DB_PASSWORD"):
        notes = (
            f"$SUPABASE_DB_PASSWORD is set and not used: {origin} reads through the "
            "Management API's database query endpoint (set SUPABASE_DB_URL to connect directly)",
        )
    return Source(
        None,
        f"Supabase project {ref} via the Management API database query endpoint ({origin})",
        ref=ref,
        notes=notes,
        endpoint=endpoint,
    )


def _from_api(ref: str, origin: str, env: Mapping[str, str]) -> Source:
    """The project's primary pooler, from GET /v1/projects/{ref}/config/database/pooler."""
    token = _token(ref, origin, env)
    password = _password(env, ref, origin)
    api = management_api.api_url(env)
    entries = management_api.request_json(
        f"{api}/v1/projects/{ref}/config/database/pooler", token, ref
    )
    primary = [
        e
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and e.get("database_type") == "PRIMARY"
    ]
    try:
        entry = primary[0]
        url = database_url(
            str(entry["db_user"]),
            password,
            str(entry["db_host"]),
            int(entry["db_port"]),
            str(entry["db_name"]),
        )
    except (IndexError, KeyError, TypeError, ValueError):
        raise DatabaseError(
            f"the Supabase Management API gave no primary database pooler for project {ref}",
            hint="check the project in the dashboard (paused?), or set SUPABASE_DB_URL",
        ) from None
    return Source(url, f"Supabase project {ref} ({origin}, via the Management API)", ref=ref)
