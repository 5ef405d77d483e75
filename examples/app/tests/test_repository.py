"""The real repository against the real server: rows have exactly the generated TypedDict shape."""

from __future__ import annotations

from typing import get_type_hints

import pytest

from examples.app.repository import Repository
from examples.app.tests.conftest import OWNER_EMAIL, add_organization
from schemas import OrganizationRow, ProjectRow, ProjectStatus, RequirementRow

pytestmark = pytest.mark.postgres


def _keys(typeddict: type) -> set[str]:
    return set(get_type_hints(typeddict))


def test_rows_have_exactly_the_keys_of_their_typeddicts(repository: Repository) -> None:
    org_id = add_organization(repository, billing_email="ap@acme.test")
    project = repository.insert_project({"organization_id": org_id, "name": "Apollo"})
    repository.conn.execute(
        "insert into public.requirements (project_id, title) values (%s, 'Log in')",
        (project["id"],),
    )
    org = repository.get_organization(org_id)
    assert org is not None
    assert set(org) == _keys(OrganizationRow)
    assert set(project) == _keys(ProjectRow)
    assert [set(r) for r in repository.list_requirements(project["id"])] == [_keys(RequirementRow)]
    # The JSON shape supabase-py returns: uuids and timestamps as strings.
    assert org["id"] == org_id
    assert org["billing_email"] == "ap@acme.test"
    assert isinstance(org["created_at"], str)


def test_an_insert_leaves_unsent_columns_to_their_defaults(repository: Repository) -> None:
    org_id = add_organization(repository)
    project = repository.insert_project(
        {"organization_id": org_id, "name": "Apollo", "budget": 1200.5, "tags": ["moon"]}
    )
    assert project["status"] == ProjectStatus.PENDING
    assert project["budget"] == 1200.5
    assert project["tags"] == ["moon"]
    assert project["starts_on"] is None
    assert repository.list_projects(org_id) == [project]


def test_set_status_stores_the_label_and_misses_unknown_projects(repository: Repository) -> None:
    org_id = add_organization(repository)
    project = repository.insert_project({"organization_id": org_id, "name": "Apollo"})
    moved = repository.set_status(project["id"], ProjectStatus.ACTIVE)
    assert moved is not None
    assert moved["status"] == "active"
    assert repository.get_project(project["id"]) == moved
    assert repository.set_status(project["id"] + 1, ProjectStatus.ACTIVE) is None
    assert repository.get_project(project["id"] + 1) is None


def test_owner_and_members_come_from_the_membership_table(repository: Repository) -> None:
    org_id = add_organization(repository)
    assert repository.owner_email(org_id) == OWNER_EMAIL
    assert repository.member_count(org_id) == 1
    other = add_organization(repository, slug="globex")
    repository.conn.execute(
        "delete from public.organization_members where organization_id = %s", (other,)
    )
    assert repository.owner_email(other) is None
    assert repository.member_count(other) == 0
