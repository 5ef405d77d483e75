"""The HTTP API: Pydantic models from schemas.generated.fastapi in and out, rows in between."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI, HTTPException, status
from pydantic import BaseModel

from schemas import ProjectInsert as ProjectInsertRow
from schemas import ProjectStatus
from schemas.generated.fastapi import Project, ProjectInsert

from . import logic
from .repository import Repository


class InvoiceRecipient(BaseModel):
    """Where an organization's invoices go."""

    email: str | None


class Seats(BaseModel):
    """How many members an organization has, and how many more its plan allows."""

    members: int
    left: int | None


class Effort(BaseModel):
    """The weighted estimated cost of a project's requirements."""

    cost: float


def create_app(repository: Repository) -> FastAPI:
    """The service, bound to one repository."""
    app = FastAPI(title="Projects API")

    def project_or_404(project_id: int) -> Project:
        row = repository.get_project(project_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no project {project_id}")
        return Project.model_validate(row)

    @app.get("/organizations/{org_id}/invoice-recipient")
    def invoice_recipient(org_id: str) -> InvoiceRecipient:
        org = repository.get_organization(org_id)
        if org is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no organization {org_id}")
        owner = repository.owner_email(org_id)
        return InvoiceRecipient(email=logic.invoice_recipient(org, owner))

    @app.get("/organizations/{org_id}/seats")
    def seats(org_id: str) -> Seats:
        org = repository.get_organization(org_id)
        if org is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no organization {org_id}")
        members = repository.member_count(org_id)
        return Seats(members=members, left=logic.seats_left(org, members))

    @app.get("/organizations/{org_id}/budget")
    def budget(org_id: str) -> logic.BudgetSummary:
        return logic.budget_summary(repository.list_projects(org_id))

    @app.post("/projects", status_code=status.HTTP_201_CREATED)
    def create_project(payload: ProjectInsert) -> Project:
        # The model validated the body; its JSON dump is the row supabase-py would send.
        values = cast(ProjectInsertRow, payload.model_dump(mode="json", exclude_unset=True))
        return Project.model_validate(repository.insert_project(values))

    @app.get("/projects/{project_id}")
    def get_project(project_id: int) -> Project:
        return project_or_404(project_id)

    @app.post("/projects/{project_id}/status/{wanted}")
    def move_project(project_id: int, wanted: ProjectStatus) -> Project:
        row = repository.get_project(project_id)
        if row is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no project {project_id}")
        try:
            logic.check_transition(row, wanted)
        except logic.TransitionError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
        moved = repository.set_status(project_id, wanted)
        assert moved is not None  # the project was read just above
        return Project.model_validate(moved)

    @app.get("/projects/{project_id}/effort")
    def effort(project_id: int) -> Effort:
        project_or_404(project_id)
        return Effort(cost=logic.weighted_effort(repository.list_requirements(project_id)))

    return app
