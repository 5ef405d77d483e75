"""The HTTP API through FastAPI's TestClient, over the real repository and server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from examples.app.repository import Repository
from examples.app.tests.conftest import OWNER_EMAIL, add_organization

pytestmark = pytest.mark.postgres


def _create(client: TestClient, org_id: str, **fields: object) -> dict[str, object]:
    response = client.post(
        "/projects", json={"organization_id": org_id, "name": "Apollo", **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_created_project_starts_pending_and_reads_back(
    client: TestClient, repository: Repository
) -> None:
    org_id = add_organization(repository)
    created = _create(client, org_id, budget=1200.5, tags=["moon"])
    assert created["status"] == "pending"
    assert Decimal(str(created["budget"])) == Decimal("1200.5")
    assert client.get(f"/projects/{created['id']}").json() == created


def test_a_removed_or_unknown_status_is_rejected_before_the_database(
    client: TestClient, repository: Repository
) -> None:
    org_id = add_organization(repository)
    response = client.post(
        "/projects", json={"organization_id": org_id, "name": "Apollo", "status": "draft"}
    )
    assert response.status_code == 422
    assert repository.list_projects(org_id) == []


def test_projects_move_through_the_lifecycle_and_refuse_other_moves(
    client: TestClient, repository: Repository
) -> None:
    project_id = _create(client, add_organization(repository))["id"]
    assert client.post(f"/projects/{project_id}/status/active").json()["status"] == "active"
    assert client.post(f"/projects/{project_id}/status/on_hold").json()["status"] == "on_hold"
    refused = client.post(f"/projects/{project_id}/status/pending")
    assert refused.status_code == 409
    assert "on_hold project cannot become pending" in refused.json()["detail"]
    assert client.post("/projects/999/status/active").status_code == 404


def test_the_budget_counts_projects_that_are_not_archived(
    client: TestClient, repository: Repository
) -> None:
    org_id = add_organization(repository)
    _create(client, org_id, budget=1000.25)
    _create(client, org_id, budget=None)
    archived = _create(client, org_id, budget=50, status="archived")
    assert archived["status"] == "archived"
    assert client.get(f"/organizations/{org_id}/budget").json() == {"total": 1000.25, "projects": 2}


def test_invoices_go_to_the_billing_email_or_the_owner(
    client: TestClient, repository: Repository
) -> None:
    plain = add_organization(repository, slug="acme")
    billed = add_organization(repository, slug="globex", billing_email="ap@globex.test")
    assert client.get(f"/organizations/{plain}/invoice-recipient").json() == {"email": OWNER_EMAIL}
    assert client.get(f"/organizations/{billed}/invoice-recipient").json() == {
        "email": "ap@globex.test"
    }
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/organizations/{missing}/invoice-recipient").status_code == 404


def test_seats_follow_the_plan_limit(client: TestClient, repository: Repository) -> None:
    limited = add_organization(repository, slug="acme", max_members=3)
    unlimited = add_organization(repository, slug="globex")
    assert client.get(f"/organizations/{limited}/seats").json() == {"members": 1, "left": 2}
    assert client.get(f"/organizations/{unlimited}/seats").json() == {"members": 1, "left": None}


def test_effort_is_computed_from_the_stored_requirements(
    client: TestClient, repository: Repository
) -> None:
    project_id = _create(client, add_organization(repository))["id"]
    repository.conn.execute(
        "insert into public.requirements (project_id, title, priority, estimate_hours)"
        " values (%s, 'Log in', 1, 2.5), (%s, 'Dark mode', 5, 4)",
        (project_id, project_id),
    )
    assert client.get(f"/projects/{project_id}/effort").json() == {
        "cost": 2.5 * 80 * 5 + 4 * 80 * 1
    }
    assert client.get("/projects/999/effort").status_code == 404
