"""The repository's reads and writes through supabase-py, typed by the generated client.

`repository.py` runs SQL over psycopg; this is the same service talking to Supabase's REST
API instead: `TypedClient` wraps a supabase-py client (or postgrest's, as here in the tests),
and every row, filter and insert below is checked by mypy and pyright against the schema.
"""

from __future__ import annotations

from schemas import (
    OrganizationRow,
    ProjectInsert,
    ProjectRow,
    ProjectStatus,
    RequirementRow,
)
from schemas.client import RawClient, TypedClient


class SupabaseRepository:
    """The repository's queries as supabase-py calls; rows are the generated TypedDicts."""

    def __init__(self, client: RawClient) -> None:
        self.db = TypedClient(client)

    def get_organization(self, org_id: str) -> OrganizationRow | None:
        """One organization, or None."""
        return (
            self.db.table("organizations")
            .select("*")
            .eq("id", org_id)
            .maybe_single()
            .execute()
            .data
        )

    def list_projects(self, org_id: str) -> list[ProjectRow]:
        """The organization's projects, oldest first."""
        query = self.db.table("projects").select("*").eq("organization_id", org_id).order("id")
        return query.execute().data

    def active_projects(self, org_id: str) -> list[ProjectRow]:
        """The organization's active projects: an enum column takes its members or labels."""
        projects = self.db.table("projects").select("*").eq("organization_id", org_id)
        return projects.eq("status", ProjectStatus.ACTIVE).order("id").execute().data

    def insert_project(self, values: ProjectInsert) -> ProjectRow:
        """Insert the given columns (the others take their defaults)."""
        return self.db.table("projects").insert(values).single().execute().data

    def insert_projects(self, values: list[ProjectInsert]) -> list[ProjectRow]:
        """Insert several; a key one of them omits takes its column's default, not NULL."""
        return self.db.table("projects").insert(values).execute().data

    def set_status(self, project_id: int, status: ProjectStatus) -> ProjectRow | None:
        """Change a project's status; None when there is no such project."""
        query = self.db.table("projects").update({"status": status.value}).eq("id", project_id)
        return query.maybe_single().execute().data

    def list_requirements(self, project_id: int) -> list[RequirementRow]:
        """The project's requirements, by id."""
        query = self.db.table("requirements").select("*").eq("project_id", project_id)
        return query.order("id").execute().data
