"""A real embedded PostgreSQL with the repo's migrations applied, shared by the app's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from examples.app.main import create_app
from examples.app.repository import Repository
from sync_schema.embedded.migrations import embedded_database

MIGRATIONS = Path(__file__).resolve().parents[3] / "supabase" / "migrations"
OWNER_EMAIL = "ada@example.com"


@pytest.fixture(scope="session")
def app_dsn() -> Iterator[str]:
    """The dsn of a database built from supabase/migrations on a throwaway server."""
    with embedded_database(MIGRATIONS) as dsn:
        yield dsn


@pytest.fixture
def repository(app_dsn: str) -> Iterator[Repository]:
    """A repository on an emptied database."""
    repo = Repository.connect(app_dsn)
    repo.conn.execute(
        "truncate public.organizations, public.profiles, public.projects,"
        " public.requirements, public.documents restart identity cascade"
    )
    try:
        yield repo
    finally:
        repo.close()


@pytest.fixture
def client(repository: Repository) -> Iterator[TestClient]:
    """The API over the real repository."""
    with TestClient(create_app(repository)) as test_client:
        yield test_client


def add_organization(
    repository: Repository,
    *,
    slug: str = "acme",
    billing_email: str | None = None,
    max_members: int | None = None,
) -> str:
    """Insert an organization owned by OWNER_EMAIL; its id."""
    record = repository.conn.execute(
        "insert into public.organizations (name, slug, billing_email, max_members)"
        " values (%s, %s, %s, %s) returning id::text",
        (slug.title(), slug, billing_email, max_members),
    ).fetchone()
    assert record is not None
    org_id: str = record[0]
    repository.conn.execute(
        "insert into public.profiles (id, email) values (gen_random_uuid(), %s)"
        " on conflict (email) do nothing",
        (OWNER_EMAIL,),
    )
    repository.conn.execute(
        "insert into public.organization_members (organization_id, profile_id, role)"
        " select %s, id, 'owner' from public.profiles where email = %s",
        (org_id, OWNER_EMAIL),
    )
    return org_id
