"""Reads and writes rows as supabase-style dicts (PostgREST's JSON shape) over psycopg."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from schemas import (
    OrganizationRow,
    ProjectInsert,
    ProjectRow,
    ProjectStatus,
    RequirementRow,
)


class Repository:
    """The service's only access to the database; every row comes back as `to_jsonb(row)`."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @classmethod
    def connect(cls, dsn: str) -> Repository:
        """A repository on a new autocommit connection."""
        return cls(psycopg.connect(dsn, autocommit=True))

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def get_organization(self, org_id: str) -> OrganizationRow | None:
        """One organization, or None."""
        record = self.conn.execute(
            "select to_jsonb(o) from public.organizations o where o.id = %s", (org_id,)
        ).fetchone()
        if record is None:
            return None
        org: OrganizationRow = record[0]
        return org

    def owner_email(self, org_id: str) -> str | None:
        """The email of the organization's first owner, by join date."""
        record = self.conn.execute(
            "select p.email from public.organization_members m"
            " join public.profiles p on p.id = m.profile_id"
            " where m.organization_id = %s and m.role = 'owner'"
            " order by m.joined_at, p.email limit 1",
            (org_id,),
        ).fetchone()
        if record is None:
            return None
        email: str = record[0]
        return email

    def member_count(self, org_id: str) -> int:
        """How many profiles belong to the organization."""
        record = self.conn.execute(
            "select count(*) from public.organization_members where organization_id = %s",
            (org_id,),
        ).fetchone()
        assert record is not None  # count(*) always returns one row
        count: int = record[0]
        return count

    def list_projects(self, org_id: str) -> list[ProjectRow]:
        """The organization's projects, oldest first."""
        records = self.conn.execute(
            "select to_jsonb(p) from public.projects p where p.organization_id = %s order by p.id",
            (org_id,),
        ).fetchall()
        projects: list[ProjectRow] = [r[0] for r in records]
        return projects

    def get_project(self, project_id: int) -> ProjectRow | None:
        """One project, or None."""
        record = self.conn.execute(
            "select to_jsonb(p) from public.projects p where p.id = %s", (project_id,)
        ).fetchone()
        if record is None:
            return None
        project: ProjectRow = record[0]
        return project

    def insert_project(self, values: ProjectInsert) -> ProjectRow:
        """Insert the given columns (the others take their defaults), as PostgREST does."""
        columns = sql.SQL(", ").join(sql.Identifier(k) for k in values)
        query = sql.SQL(
            "insert into public.projects ({columns})"
            " select {columns} from jsonb_populate_record(null::public.projects, %s)"
            " returning to_jsonb(projects)"
        ).format(columns=columns)
        record = self.conn.execute(query, (Jsonb(values),)).fetchone()
        assert record is not None  # insert ... returning gives the row or raises
        project: ProjectRow = record[0]
        return project

    def set_status(self, project_id: int, status: ProjectStatus) -> ProjectRow | None:
        """Change a project's status; None when there is no such project."""
        record = self.conn.execute(
            "update public.projects p set status = %s where p.id = %s returning to_jsonb(p)",
            (status.value, project_id),
        ).fetchone()
        if record is None:
            return None
        project: ProjectRow = record[0]
        return project

    def list_requirements(self, project_id: int) -> list[RequirementRow]:
        """The project's requirements, by id."""
        records = self.conn.execute(
            "select to_jsonb(r) from public.requirements r where r.project_id = %s order by r.id",
            (project_id,),
        ).fetchall()
        requirements: list[RequirementRow] = [r[0] for r in records]
        return requirements
