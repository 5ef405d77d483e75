"""The Supabase Management API: HTTP only (no psycopg here), for connect.py and the query read.

The database query endpoint, as the public sources define it (read, not copied):
supabase/cli packages/api/src/generated/openapi.json (operationId `v1-run-a-query`, body schema
V1RunQueryBody), apps/cli-go/internal/db/query/query.go (RunLinked) with its test
query_test.go, and supabase-community/supabase-mcp
packages/mcp-server-supabase/src/platform/api-platform.ts (executeSql) with
src/management-api/index.ts (assertSuccess):
  POST {api}/v1/projects/{ref}/database/query, `Authorization: Bearer <access token>`,
  JSON body {"query": str (required, non-empty), "parameters": [...]?, "read_only": bool?};
  read_only runs the statement as the read-only role (the MCP server's read-only mode).
  201: a JSON array of row objects, keys the column names (a json column arrives decoded);
  errors: 400 for a failed statement, 401, 403, 404, 429, 500 ("Failed to run sql query"),
  with a body {"message": str}.
The spec states no statement timeout of its own: the client bounds its wait.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sync_schema.errors import ConfigError, DatabaseError

DEFAULT_API_URL = "https://api.supabase.com"
API_TIMEOUT_S = 15.0
_FALLBACK = "set SUPABASE_DB_URL to the project's connection string to read it directly"


@dataclass(frozen=True, slots=True)
class QueryEndpoint:
    """A Supabase project's catalog, read through the Management API's database query endpoint."""

    api_url: str
    ref: str
    token: str = field(repr=False)

    @property
    def url(self) -> str:
        """The endpoint's URL (no secret in it)."""
        return f"{self.api_url}/v1/projects/{self.ref}/database/query"


def api_url(env: Mapping[str, str]) -> str:
    """The Management API's base URL: $SUPABASE_API_URL (tests, self-hosting) or Supabase's."""
    return (env.get("SUPABASE_API_URL") or DEFAULT_API_URL).rstrip("/")


def run_query(endpoint: QueryEndpoint, sql: str, *, timeout_s: float) -> list[object]:
    """The rows of one read-only statement sent to the query endpoint."""
    body = {"query": sql, "read_only": True}
    answer = request_json(
        endpoint.url, endpoint.token, endpoint.ref, body=body, timeout_s=timeout_s
    )
    if not isinstance(answer, list):
        raise DatabaseError(
            "the Management API database query endpoint answered JSON that is not a list of rows",
            hint=f"try again later; or {_FALLBACK}",
        )
    return answer


def request_json(
    url: str,
    token: str,
    ref: str,
    *,
    body: object | None = None,
    timeout_s: float = API_TIMEOUT_S,
) -> object:
    """GET `url` (POST `body` as JSON if given) with the token; HTTP failures as our errors."""
    # urllib.request (http.client, email, ssl) only for the Management API: not at start-up.
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": "sync-schema",
    }
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - https by default; the override is for tests
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise _http_error(exc.code, _message(exc.read()), ref) from None
    except TimeoutError:
        raise DatabaseError(
            f"the Supabase Management API did not answer within {timeout_s:g} s (project {ref})",
            hint="try again later; if the catalog is large, raise statement-timeout in "
            f"[tool.sync-schema] (the wait is that plus a margin); or {_FALLBACK}",
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DatabaseError(
            f"cannot reach the Supabase Management API at {urlsplit(url).netloc}: {reason}",
            hint=f"check the network (and SUPABASE_API_URL if set); or {_FALLBACK}",
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise DatabaseError(
            "the Supabase Management API answered something that is not JSON",
            hint=f"try again later; or {_FALLBACK}",
        ) from None


def _message(raw: bytes) -> str:
    """The first line of an error answer's {"message": ...}, or "" (never the raw body)."""
    try:
        message = json.loads(raw.decode("utf-8")).get("message")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return ""
    lines = str(message or "").strip().splitlines()
    return lines[0][:300] if lines else ""


def _http_error(status: int, message: str, ref: str) -> ConfigError | DatabaseError:
    said = f": {message}" if message else ""
    if status in (401, 403):
        return ConfigError(
            f"the Supabase Management API refused $SUPABASE_ACCESS_TOKEN (HTTP {status}{said})",
            hint="create a new personal access token (https://supabase.com/dashboard/"
            "account/tokens) with access to the project and export SUPABASE_ACCESS_TOKEN",
        )
    if status == 404:
        return ConfigError(
            f"Supabase project {ref} not found by the Management API (HTTP 404)",
            hint="check the ref (Project Settings > General) and that the token's account "
            "can see the project",
        )
    if status == 400:
        return DatabaseError(
            f"the catalog query failed in Supabase project {ref}{said}",
            hint="check that the project is running (not paused) and its database accepts "
            f"queries; or {_FALLBACK}",
        )
    if status == 429:
        return DatabaseError(
            "the Supabase Management API's rate limit was reached (HTTP 429)",
            hint=f"wait a minute and run again; or {_FALLBACK}",
        )
    return DatabaseError(
        f"the Supabase Management API answered HTTP {status} for project {ref}{said}",
        hint=f"try again later; or {_FALLBACK}",
    )
