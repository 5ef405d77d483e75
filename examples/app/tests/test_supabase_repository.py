"""SupabaseRepository: the typed client's requests, answered from the real server.

PostgREST itself is not run (not installable here): an httpx MockTransport stands in for its
HTTP layer. For each request the test names the SQL PostgREST would run, and the real
PostgreSQL built from supabase/migrations builds the JSON; the request itself is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import get_type_hints
from urllib.parse import unquote

import httpx
import pytest
from postgrest import SyncPostgrestClient

from examples.app.repository import Repository
from examples.app.supabase_repository import SupabaseRepository
from examples.app.tests.conftest import add_organization
from schemas import ProjectRow, ProjectStatus

pytestmark = pytest.mark.postgres


@dataclass
class StandIn:
    """Records each request and answers with the JSON `sql` builds on the real server."""

    repository: Repository
    sql: str = "select '[]'::json"
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        record = self.repository.conn.execute(self.sql.encode()).fetchone()
        assert record is not None
        data = record[0]
        if request.headers.get("accept") == "application/vnd.pgrst.object+json":
            data = data[0] if data else None
        if data is None:
            return httpx.Response(406, json={"code": "PGRST116", "message": "no rows"})
        return httpx.Response(200, json=data, headers={"content-range": "0-0/*"})


@pytest.fixture
def stand_in(repository: Repository) -> Iterator[StandIn]:
    yield StandIn(repository)


def _repo(stand_in: StandIn) -> SupabaseRepository:
    transport = httpx.MockTransport(stand_in.handle)
    client = SyncPostgrestClient(
        "http://stand-in/rest/v1", http_client=httpx.Client(transport=transport)
    )
    return SupabaseRepository(client)


def test_list_projects_sends_the_filter_and_returns_project_rows(
    repository: Repository, stand_in: StandIn
) -> None:
    org_id = add_organization(repository)
    repository.insert_project({"organization_id": org_id, "name": "Apollo", "status": "active"})
    stand_in.sql = (
        "select coalesce(json_agg(p order by id), '[]') from public.projects p"
        f" where organization_id = '{org_id}' and status = 'active'"
    )
    projects = _repo(stand_in).active_projects(org_id)
    url = unquote(str(stand_in.requests[0].url))
    assert url.endswith(
        f"/projects?select=*&organization_id=eq.{org_id}&status=eq.active&order=id.asc"
    )
    assert [p["name"] for p in projects] == ["Apollo"]
    assert set(projects[0]) == set(get_type_hints(ProjectRow))


def test_a_bulk_insert_asks_postgrest_for_the_defaults_of_omitted_keys(
    repository: Repository, stand_in: StandIn
) -> None:
    org_id = add_organization(repository)
    stand_in.sql = "select '[]'::json"
    _repo(stand_in).insert_projects(
        [
            {"organization_id": org_id, "name": "Apollo"},
            {"organization_id": org_id, "name": "Gemini", "status": "active"},
        ]
    )
    request = stand_in.requests[0]
    assert request.method == "POST"
    assert "missing=default" in request.headers["prefer"]
    columns = {c.strip('"') for c in request.url.params["columns"].split(",")}
    assert columns == {"organization_id", "name", "status"}


def test_set_status_of_a_missing_project_is_none(repository: Repository, stand_in: StandIn) -> None:
    stand_in.sql = "select coalesce(json_agg(p), '[]') from public.projects p where id = 404"
    assert _repo(stand_in).set_status(404, ProjectStatus.ARCHIVED) is None
    assert stand_in.requests[0].method == "PATCH"
