"""Business rules on rows as the database hands them over (TypedDicts) and on enum values."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import OrganizationRow, ProjectRow, ProjectStatus, RequirementRow

#: What an hour of work costs when a requirement is estimated, in the billing currency.
HOURLY_RATE = 80.0

#: The moves a project may make, from its status to the next one.
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.PENDING: frozenset({ProjectStatus.ACTIVE, ProjectStatus.ARCHIVED}),
    ProjectStatus.ACTIVE: frozenset({ProjectStatus.ON_HOLD, ProjectStatus.ARCHIVED}),
    ProjectStatus.ON_HOLD: frozenset({ProjectStatus.ACTIVE, ProjectStatus.ARCHIVED}),
    ProjectStatus.ARCHIVED: frozenset(),
}


class TransitionError(ValueError):
    """A status change the lifecycle does not allow."""


def invoice_recipient(org: OrganizationRow, owner_email: str | None) -> str | None:
    """Where invoices go: the billing email when set, else the owner's."""
    billing_email = org["billing_email"]
    return billing_email if billing_email is not None else owner_email


def seats_left(org: OrganizationRow, members: int) -> int | None:
    """How many more members the plan allows; None when it has no limit."""
    limit = org.get("max_members")
    return None if limit is None else max(limit - members, 0)


def is_running(project: ProjectRow) -> bool:
    """Whether work on the project is under way."""
    return project["status"] == ProjectStatus.ACTIVE


def check_transition(project: ProjectRow, wanted: ProjectStatus) -> None:
    """Raise TransitionError unless the project may move to `wanted`."""
    current = ProjectStatus(project["status"])
    if wanted not in TRANSITIONS[current]:
        raise TransitionError(f"a {current.value} project cannot become {wanted.value}")


@dataclass(frozen=True, slots=True)
class BudgetSummary:
    """The approved budget of an organization's projects that still spend."""

    total: float
    projects: int


def budget_summary(projects: list[ProjectRow]) -> BudgetSummary:
    """Sum the budgets of every project that is not archived (a missing budget counts 0)."""
    spending: list[ProjectRow] = [p for p in projects if p["status"] != ProjectStatus.ARCHIVED]
    total = sum(p["budget"] or 0.0 for p in spending)
    return BudgetSummary(total=round(total, 2), projects=len(spending))


def weighted_effort(requirements: list[RequirementRow]) -> float:
    """Estimated cost, must-haves (priority 1) weighing five times the nice-to-haves (5)."""
    cost = 0.0
    for requirement in requirements:
        hours = requirement["estimate_hours"] or 0.0
        cost += hours * HOURLY_RATE * (6 - requirement["priority"])
    return round(cost, 2)
