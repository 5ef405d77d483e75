"""The business rules on plain rows, shaped as the database returns them (no database needed)."""

from __future__ import annotations

import pytest

from examples.app import logic
from schemas import OrganizationRow, ProjectRow, ProjectStatus, ProjectStatusValue, RequirementRow


def organization(
    billing_email: str | None = None, max_members: int | None = None
) -> OrganizationRow:
    return {
        "id": "7d1a3c52-51a4-4c4f-9d0e-7a4c3f0e2b11",
        "name": "Acme",
        "slug": "acme",
        "type": "company",
        "billing_email": billing_email,
        "created_at": "2025-02-01T09:00:00+00:00",
        "settings": {},
        "billing_cycle": "monthly",
        "max_members": max_members,
    }


def project(status: ProjectStatusValue = "active", budget: float | None = None) -> ProjectRow:
    return {
        "id": 1,
        "organization_id": "7d1a3c52-51a4-4c4f-9d0e-7a4c3f0e2b11",
        "name": "Apollo",
        "status": status,
        "budget": budget,
        "tags": [],
        "starts_on": None,
        "created_at": "2025-02-01T09:00:00+00:00",
    }


def requirement(priority: int, estimate_hours: float | None) -> RequirementRow:
    return {
        "id": 1,
        "project_id": 1,
        "title": "Log in",
        "body": None,
        "priority": priority,
        "estimate_hours": estimate_hours,
        "score": None,
        "title_length": 6,
        "grid": None,
        "created_at": "2025-02-01T09:00:00+00:00",
    }


def test_invoices_go_to_the_billing_email_when_set_else_to_the_owner() -> None:
    assert logic.invoice_recipient(organization("ap@acme.test"), "ada@acme.test") == "ap@acme.test"
    assert logic.invoice_recipient(organization(None), "ada@acme.test") == "ada@acme.test"
    assert logic.invoice_recipient(organization(None), None) is None


@pytest.mark.parametrize(
    ("limit", "members", "left"), [(None, 40, None), (5, 3, 2), (5, 5, 0), (5, 9, 0)]
)
def test_seats_left_follow_the_plan_limit(
    limit: int | None, members: int, left: int | None
) -> None:
    assert logic.seats_left(organization(max_members=limit), members) == left


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        ("pending", ProjectStatus.ACTIVE, True),
        ("pending", ProjectStatus.ON_HOLD, False),
        ("active", ProjectStatus.ON_HOLD, True),
        ("on_hold", ProjectStatus.ACTIVE, True),
        ("on_hold", ProjectStatus.PENDING, False),
        ("archived", ProjectStatus.ACTIVE, False),
    ],
)
def test_the_lifecycle_allows_only_its_transitions(
    current: ProjectStatusValue, wanted: ProjectStatus, allowed: bool
) -> None:
    if allowed:
        logic.check_transition(project(current), wanted)
    else:
        with pytest.raises(logic.TransitionError, match=f"{current} project cannot become"):
            logic.check_transition(project(current), wanted)


def test_only_active_projects_are_running() -> None:
    assert logic.is_running(project("active"))
    assert not logic.is_running(project("pending"))


def test_the_budget_sums_projects_that_still_spend() -> None:
    projects = [project("active", 1000.25), project("pending", None), project("archived", 99.0)]
    assert logic.budget_summary(projects) == logic.BudgetSummary(total=1000.25, projects=2)


def test_effort_weighs_must_haves_five_times_nice_to_haves() -> None:
    cost = logic.weighted_effort([requirement(1, 2.0), requirement(5, 2.0), requirement(3, None)])
    assert cost == 2.0 * 80 * 5 + 2.0 * 80 * 1
