"""The static impact scan: which application lines a schema change breaks, without importing them."""

from __future__ import annotations

import dataclasses
import sys
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import pytest

from sync_schema import impact, ir, tree_store
from sync_schema.drift import Change, Detail, DetailKind, Entry, SchemaSync, Severity
from sync_schema.impact import Target
from sync_schema.model.plan import plan_tree
from sync_schema.options import Options

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = tree_store.read_snapshot_file(ROOT / "schemas")
assert COMMITTED is not None
OLD_DB = COMMITTED.database


def names_of(db: ir.Database) -> impact.GeneratedNames:
    """The generated names of a tree planned for `db` with the default options."""
    return impact.generated_names(plan_tree(db, Options()))


def _replace_column(table: ir.Table, name: str, type_: ir.TypeRef) -> ir.Table:
    columns = tuple(
        dataclasses.replace(c, type=type_) if c.name == name else c for c in table.columns
    )
    return dataclasses.replace(table, columns=columns)


def _drop_column(table: ir.Table, name: str) -> ir.Table:
    return dataclasses.replace(table, columns=tuple(c for c in table.columns if c.name != name))


def _drop_label(enum: ir.Enum, label: str) -> ir.Enum:
    return dataclasses.replace(enum, labels=tuple(x for x in enum.labels if x != label))


def _drop(_item: object) -> None:
    return None


_T = TypeVar("_T")


def _unchanged(obj: _T) -> _T:
    """The object as it is: the edit of an object no edit names."""
    return obj


def _edit(
    db: ir.Database,
    *,
    enums: Mapping[str, Callable[[ir.Enum], ir.Enum | None]] | None = None,
    tables: Mapping[str, Callable[[ir.Table], ir.Table | None]] | None = None,
    add_enums: tuple[ir.Enum, ...] = (),
) -> ir.Database:
    """db with some enums and tables edited (an edit returning None drops the object)."""
    new_enums = [(enums or {}).get(e.qualified_name, _unchanged)(e) for e in db.enums]
    new_tables = [(tables or {}).get(t.qualified_name, _unchanged)(t) for t in db.tables]
    return dataclasses.replace(
        db,
        enums=(*(e for e in new_enums if e is not None), *add_enums),
        tables=tuple(t for t in new_tables if t is not None),
    ).sorted()


# --- a future of the committed schema, for the unit tests ---------------------------------------
# project_status loses on_hold, org_type is dropped, profiles is dropped, organizations loses
# billing_email and has created_at retyped, projects.budget becomes bigint.
BIGINT = ir.TypeRef(schema="pg_catalog", name="int8", kind="base", sql="bigint")
# A date: the json layer still says str, the Python and Pydantic layers no longer datetime.
DATE = ir.TypeRef(schema="pg_catalog", name="date", kind="base", sql="date")
UNIT_DB = _edit(
    OLD_DB,
    enums={
        "public.project_status": lambda e: _drop_label(e, "on_hold"),
        "public.org_type": _drop,
    },
    tables={
        "public.organizations": lambda t: _replace_column(
            _drop_column(t, "billing_email"), "created_at", DATE
        ),
        "public.projects": lambda t: _replace_column(t, "budget", BIGINT),
        "public.profiles": _drop,
    },
)


def _unit_targets() -> tuple[Target, ...]:
    # organizations.type still points at the dropped org_type: only names matter here.
    changes = SchemaSync(OLD_DB, UNIT_DB).compare_schemas()
    return impact.targets_for(changes, names_of(OLD_DB), names_of(UNIT_DB))


UNIT_TARGETS = _unit_targets()


def _scan(
    tmp_path: Path, files: dict[str, str], targets: tuple[Target, ...] = UNIT_TARGETS
) -> impact.Impact:
    for name, source in files.items():
        path = tmp_path / "app" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return impact.scan([tmp_path / "app"], targets)


def _found(result: impact.Impact) -> list[tuple[int, str, str]]:
    return [(h.line, h.target.display, h.target.layer) for h in result.hits]


def test_targets_name_what_each_change_removes_or_retypes() -> None:
    got = {(t.display, t.layer, t.reason) for t in UNIT_TARGETS}
    assert got == {
        ("OrgType", "enums", "removed"),
        ("OrgTypeValue", "enums", "removed"),
        ("ProjectStatus.ON_HOLD", "enums", "value 'on_hold' removed"),
        *(
            (f"{td}['billing_email']", "typeddicts", "column removed")
            for td in ("OrganizationRow", "OrganizationInsert", "OrganizationUpdate")
        ),
        *(
            (
                f"{td}['created_at']",
                "typeddicts",
                "type changed (timestamp with time zone -> date)",
            )
            for td in ("OrganizationRow", "OrganizationInsert", "OrganizationUpdate")
        ),
        *(
            (f"{td}['budget']", "typeddicts", "type changed (numeric(12,2) -> bigint)")
            for td in ("ProjectRow", "ProjectInsert", "ProjectUpdate")
        ),
        *((n, "typeddicts", "removed") for n in ("ProfileRow", "ProfileInsert", "ProfileUpdate")),
        *((n, "models", "removed") for n in ("Profile", "ProfileInsert", "ProfileUpdate")),
    }
    enum_change = next(t.change for t in UNIT_TARGETS if t.display == "ProjectStatus.ON_HOLD")
    assert (enum_change.kind, enum_change.name) == ("ENUM", "project_status")


def test_an_added_object_that_takes_a_class_name_renames_the_old_class() -> None:
    # Enums get their names first: a new enum `organization` takes `Organization`, so the
    # organizations table's classes move to Organization2Row, Organization2, ...
    new_db = _edit(
        OLD_DB, add_enums=(ir.Enum(schema="public", name="organization", labels=("x",)),)
    )
    changes = SchemaSync(OLD_DB, new_db).compare_schemas()
    targets = impact.targets_for(changes, names_of(OLD_DB), names_of(new_db))
    got = {(t.display, t.layer, t.reason, t.change.name) for t in targets}
    assert ("OrganizationRow", "typeddicts", "renamed to Organization2Row", "organization") in got
    assert ("Organization", "models", "renamed to Organization2", "organization") in got
    assert all(t.kind == "class" for t in targets)


def _renamed_column(table: ir.Table, old: str, new: str) -> ir.Table:
    """The table after ALTER TABLE ... RENAME COLUMN: its constraints follow the column."""

    def names(columns: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if n == old else n for n in columns)

    return dataclasses.replace(
        table,
        columns=tuple(
            dataclasses.replace(c, name=new) if c.name == old else c for c in table.columns
        ),
        unique_constraints=tuple(
            dataclasses.replace(u, columns=names(u.columns)) for u in table.unique_constraints
        ),
    )


def test_renames_point_at_the_old_names_and_say_the_new_ones() -> None:
    # profiles -> people (nothing references it by a key the snapshot follows... except FKs,
    # which Postgres retargets), organizations.slug -> handle, project_status 'on_hold' -> 'paused'.
    renamed_db = _edit(
        OLD_DB,
        enums={
            "public.project_status": lambda e: dataclasses.replace(
                e, labels=tuple("paused" if x == "on_hold" else x for x in e.labels)
            )
        },
        tables={"public.organizations": lambda t: _renamed_column(t, "slug", "handle")},
    )
    profiles = OLD_DB.table("public", "profiles")
    assert profiles is not None
    people = dataclasses.replace(profiles, name="people")
    renamed_db = dataclasses.replace(
        renamed_db,
        tables=tuple(
            people
            if t.name == "profiles"
            else dataclasses.replace(
                t,
                foreign_keys=tuple(
                    dataclasses.replace(fk, target_table="people")
                    if fk.target_table == "profiles"
                    else fk
                    for fk in t.foreign_keys
                ),
            )
            for t in renamed_db.tables
        ),
    ).sorted()
    changes = SchemaSync(OLD_DB, renamed_db).compare_schemas()
    targets = impact.targets_for(changes, names_of(OLD_DB), names_of(renamed_db))

    assert {(t.display, t.reason) for t in targets} == {
        (
            "ProjectStatus.ON_HOLD",
            "value 'on_hold' renamed to 'paused': ProjectStatus.PAUSED (guess)",
        ),
        *(
            (f"{td}['slug']", "column renamed to 'handle' (guess)")
            for td in ("OrganizationRow", "OrganizationInsert", "OrganizationUpdate")
        ),
        *(
            (f"Profile{s}", f"renamed to Person{s} (guess)")
            for s in ("Row", "Insert", "Update", "", "Insert", "Update")
        ),
    }


def test_a_change_that_breaks_no_name_gives_no_target() -> None:
    comment_only = Change(
        "TABLE", "public", "projects", "modified", Severity.LOW,
        (Detail.of(Severity.LOW, DetailKind.COMMENT_CHANGED, "new words"),),
    )  # fmt: skip
    added_column = Change(
        "TABLE", "public", "projects", "modified", Severity.MEDIUM,
        (Detail.of(Severity.MEDIUM, DetailKind.ADDED_COLUMNS, "priority"),),
    )  # fmt: skip
    names = names_of(OLD_DB)
    assert impact.targets_for([comment_only, added_column], names, names) == ()


USAGES = [
    pytest.param(
        """\
        from schemas import OrgType
        kind = OrgType.COMPANY
        """,
        [(1, "OrgType", "enums"), (2, "OrgType", "enums")],
        id="import-and-use-of-a-removed-enum",
    ),
    pytest.param(
        """\
        from schemas import ProjectStatus as PS
        paused = PS.ON_HOLD
        running = PS.ACTIVE
        """,
        [(2, "ProjectStatus.ON_HOLD", "enums")],
        id="removed-member-through-an-alias",
    ),
    pytest.param(
        """\
        from schemas.enums import ProjectStatus, OrgTypeValue as Kind
        x = ProjectStatus.ON_HOLD
        def f(kind: Kind) -> None: ...
        """,
        [
            (1, "OrgTypeValue", "enums"),
            (2, "ProjectStatus.ON_HOLD", "enums"),
            (3, "OrgTypeValue", "enums"),
        ],
        id="submodule-import-and-annotation-use",
    ),
    pytest.param(
        """\
        import schemas
        import schemas.enums as e
        from schemas import enums
        a = schemas.ProjectStatus.ON_HOLD
        b = e.ProjectStatus.ON_HOLD
        c = enums.OrgType
        d = schemas.enums.ProjectStatus.ON_HOLD
        """,
        [
            (4, "ProjectStatus.ON_HOLD", "enums"),
            (5, "ProjectStatus.ON_HOLD", "enums"),
            (6, "OrgType", "enums"),
            (7, "ProjectStatus.ON_HOLD", "enums"),
        ],
        id="module-attribute-spellings",
    ),
    pytest.param(
        """\
        from schemas import *
        x = ProjectStatus.ON_HOLD
        """,
        [(2, "ProjectStatus.ON_HOLD", "enums")],
        id="star-import",
    ),
    pytest.param(
        """\
        from schemas import ProfileInsert
        from schemas.generated.fastapi import (
            Profile,
            ProfileInsert as ProfileIn,
        )
        """,
        [
            (1, "ProfileInsert", "typeddicts"),
            (3, "Profile", "models"),
            (4, "ProfileInsert", "models"),
        ],
        id="typeddict-and-pydantic-classes-are-told-apart",
    ),
    pytest.param(
        """\
        from schemas import OrganizationRow
        def f(org: OrganizationRow) -> str | None:
            return org["billing_email"]
        def g(org: "OrganizationRow | None") -> object:
            return org and org.get("billing_email")
        """,
        [
            (3, "OrganizationRow['billing_email']", "typeddicts"),
            (5, "OrganizationRow['billing_email']", "typeddicts"),
        ],
        id="parameter-subscript-and-get",
    ),
    pytest.param(
        """\
        from typing import Optional
        from schemas.database import OrganizationRow, ProjectRow
        def f(load) -> None:
            org: Optional[OrganizationRow] = load()
            project: ProjectRow = load()
            total = project["budget"] * 2
            org["created_at"]
        """,
        [
            (6, "ProjectRow['budget']", "typeddicts"),
            (7, "OrganizationRow['created_at']", "typeddicts"),
        ],
        id="annotated-locals-and-retyped-columns",
    ),
    pytest.param(
        """\
        from collections.abc import Sequence
        from schemas import OrganizationRow, ProjectRow
        def f(orgs: list[OrganizationRow], projects: Sequence[ProjectRow]) -> None:
            for org in orgs:
                print(org["billing_email"])
            for i, p in enumerate(projects):
                print(i, p["budget"])
            emails = [o["billing_email"] for o in orgs]
            first = orgs[0]["billing_email"]
        """,
        [
            (5, "OrganizationRow['billing_email']", "typeddicts"),
            (7, "ProjectRow['budget']", "typeddicts"),
            (8, "OrganizationRow['billing_email']", "typeddicts"),
            (9, "OrganizationRow['billing_email']", "typeddicts"),
        ],
        id="loops-comprehensions-enumerate-and-indexing",
    ),
    pytest.param(
        """\
        from schemas import OrganizationInsert, ProjectRow
        row: OrganizationInsert = {
            "name": "Acme",
            "billing_email": None,
        }
        def make(budget: float) -> ProjectRow:
            return {"id": 1, "budget": budget}
        call = OrganizationInsert(name="Acme", billing_email=None)
        """,
        [
            (4, "OrganizationInsert['billing_email']", "typeddicts"),
            (7, "ProjectRow['budget']", "typeddicts"),
            (8, "OrganizationInsert['billing_email']", "typeddicts"),
        ],
        id="typed-dict-displays-and-constructor-keywords",
    ),
]


@pytest.mark.parametrize(("source", "expected"), USAGES)
def test_each_kind_of_usage_is_found(
    tmp_path: Path, source: str, expected: list[tuple[int, str, str]]
) -> None:
    result = _scan(tmp_path, {"mod.py": source})
    assert _found(result) == expected
    assert result.warnings == ()


NO_HITS = [
    pytest.param(
        """\
        from schemas import OrganizationRow, ProjectRow, ProjectOverviewRow, ProjectStatus
        def f(project: ProjectRow, overview: ProjectOverviewRow, org: OrganizationRow) -> None:
            project["created_at"], project["name"], overview["status"], org["name"]
            ProjectStatus.ACTIVE, ProjectStatus.PENDING
        """,
        id="same-named-keys-of-other-typeddicts-and-kept-members",
    ),
    pytest.param(
        """\
        from enum import Enum
        class ProjectStatus(Enum):
            ON_HOLD = "on_hold"
        x = ProjectStatus.ON_HOLD
        org = {"billing_email": None}
        org["billing_email"]
        def f(org: dict[str, str]) -> str:
            return org["billing_email"]
        """,
        id="a-local-class-and-untyped-dicts-named-alike",
    ),
    pytest.param(
        """\
        from schemas_legacy import OrgType
        from other.schemas import ProjectStatus
        from .enums import OrgType as Relative
        import schemasx
        a = OrgType.COMPANY, ProjectStatus.ON_HOLD, schemasx.OrgType
        """,
        id="other-packages-and-relative-imports",
    ),
    pytest.param(
        """\
        from schemas import OrganizationRow
        from schemas.generated.fastapi import Organization
        def f(org: OrganizationRow, model: Organization, rows: dict[str, OrganizationRow]) -> None:
            org["slug"]
            model.billing_email
            for key in rows:
                key["billing_email"]
        """,
        id="kept-keys-models-and-dict-iteration",
    ),
]


@pytest.mark.parametrize("source", NO_HITS)
def test_unrelated_names_are_not_reported(tmp_path: Path, source: str) -> None:
    assert _found(_scan(tmp_path, {"mod.py": source})) == []


def test_a_file_that_does_not_parse_is_a_warning_and_the_others_are_scanned(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        {
            "broken.py": "from schemas import OrgType\ndef (:\n",
            "good.py": "from schemas import OrgType\n",
        },
    )
    assert [(h.path.name, h.line) for h in result.hits] == [("good.py", 1)]
    assert len(result.warnings) == 1
    assert "broken.py: skipped, does not parse" in result.warnings[0]
    assert "(line 2)" in result.warnings[0]


def test_files_that_mention_no_target_are_not_parsed(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        {
            "unrelated.py": "import os\ndef (:\n",  # would warn if it were parsed
            "other_names.py": "from schemas import DocumentRow\n",
            "uses.py": "from schemas import OrgType\n",
        },
    )
    assert (result.files, result.parsed) == (3, 1)
    assert result.warnings == ()


def test_virtualenvs_caches_and_hidden_directories_are_skipped(tmp_path: Path) -> None:
    use = "from schemas import OrgType\n"
    result = _scan(
        tmp_path,
        {
            ".venv/lib/site.py": use,
            "__pycache__/mod.py": use,
            ".git/hook.py": use,
            "pkg/real.py": use,
            "notes.txt": use,
        },
    )
    assert [str(h.path.relative_to(tmp_path / "app")) for h in result.hits] == ["pkg/real.py"]
    assert result.files == 1


def test_the_scanned_app_is_never_imported_or_run(tmp_path: Path) -> None:
    explode = 'raise SystemExit("imported!")\n'
    result = _scan(
        tmp_path,
        {
            "boomapp/__init__.py": explode,
            "boomapp/main.py": f"from schemas import ProjectStatus\n{explode}x = ProjectStatus.ON_HOLD\n",
        },
    )
    assert [(h.path.name, h.line, h.code) for h in result.hits] == [
        ("main.py", 3, "x = ProjectStatus.ON_HOLD")
    ]
    assert not any(name.startswith("boomapp") for name in sys.modules)


def test_values_are_typed_through_functions_defined_in_other_scanned_files(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        {
            "repo.py": """\
                from schemas import OrganizationInsert, OrganizationRow
                class Repo:
                    def get_org(self, org_id: str) -> OrganizationRow | None: ...
                    def all_orgs(self) -> list[OrganizationRow]: ...
                    def add_org(self, values: OrganizationInsert) -> None: ...
                """,
            # Mentions neither the package nor a class: found through the function names.
            "routes.py": """\
                def show(repo, org_id):
                    org = repo.get_org(org_id)
                    direct = repo.get_org(org_id)["billing_email"]
                    for o in repo.all_orgs():
                        o["billing_email"]
                    repo.add_org({"name": "Acme", "billing_email": None})
                    return org["billing_email"]
                """,
        },
    )
    assert [(h.path.name, h.line) for h in result.hits] == [
        ("routes.py", 3), ("routes.py", 5), ("routes.py", 6), ("routes.py", 7)
    ]  # fmt: skip


def test_hits_are_sorted_and_the_same_whatever_the_path_order(tmp_path: Path) -> None:
    files = {
        "b.py": "from schemas import OrgType, ProjectStatus\nProjectStatus.ON_HOLD; OrgType\n",
        "a/z.py": "from schemas import OrgType\n",
        "a.py": "import schemas\nschemas.OrgType\n",
    }
    first = _scan(tmp_path, files)
    again = impact.scan([tmp_path / "app" / "b.py", tmp_path / "app"], reversed(UNIT_TARGETS))
    assert first == again
    assert [(h.path.name, h.line, h.target.display) for h in first.hits] == [
        ("a.py", 2, "OrgType"),
        ("z.py", 1, "OrgType"),
        ("b.py", 1, "OrgType"),
        ("b.py", 2, "ProjectStatus.ON_HOLD"),  # then by column
        ("b.py", 2, "OrgType"),
    ]


def test_schema_subpackages_are_modules_with_the_same_layers(tmp_path: Path) -> None:
    result = _scan(
        tmp_path,
        {
            "mod.py": """\
                import schemas.auth
                from schemas.auth.generated.fastapi import Profile
                from schemas.auth import enums
                a = schemas.auth.OrgType
                b = enums.ProjectStatus.ON_HOLD
                """,
        },
    )
    assert _found(result) == [
        (2, "Profile", "models"),
        (4, "OrgType", "enums"),
        (5, "ProjectStatus.ON_HOLD", "enums"),
    ]


def test_the_package_name_is_a_parameter(tmp_path: Path) -> None:
    source = "from myapp.types import OrgType\nfrom schemas import OrgType as Other\nimport myapp.types\nmyapp.types.OrgType\n"
    path = tmp_path / "app" / "mod.py"
    path.parent.mkdir()
    path.write_text(source, encoding="utf-8")
    result = impact.scan([tmp_path / "app"], UNIT_TARGETS, package="myapp.types")
    assert [h.line for h in result.hits] == [1, 4]


# --- the example app against a real future migration ------------------------------------------
FUTURE_MIGRATION = """\
-- Projects can no longer be paused: on_hold goes back to active, and the value is dropped.
drop view public.project_overview;
create type public.project_status_v3 as enum ('pending', 'active', 'archived');
alter table public.projects alter column status drop default;
alter table public.projects
  alter column status type public.project_status_v3
  using (case status::text when 'on_hold' then 'active' else status::text end)::public.project_status_v3;
drop type public.project_status;
alter type public.project_status_v3 rename to project_status;
alter table public.projects alter column status set default 'pending';
comment on type public.project_status is 'Lifecycle of a project: pending until work starts, on_hold while paused.';
create view public.project_overview as
select p.id as project_id, p.name as project_name, p.status, o.name as organization_name,
  (select count(*) from public.organization_members m where m.organization_id = o.id) as member_count
from public.projects p
join public.organizations o on o.id = p.organization_id;
comment on view public.project_overview is 'One row per project with its organization, for the dashboard.';

-- Invoices always go to the owner.
alter table public.organizations drop column billing_email;

-- Budgets are kept in cents.
alter table public.projects alter column budget type bigint using (budget * 100)::bigint;
"""

FUTURE_CHANGES = (
    Change(
        "ENUM", "public", "project_status", "modified", Severity.HIGH,
        (Detail.of(Severity.HIGH, DetailKind.REMOVED_VALUES, "on_hold"),),
    ),
    Change(
        "TABLE", "public", "organizations", "modified", Severity.HIGH,
        (Detail.of(Severity.HIGH, DetailKind.REMOVED_COLUMNS, "billing_email"),),
    ),
    Change(
        "TABLE", "public", "projects", "modified", Severity.HIGH,
        (Detail.of(
            Severity.HIGH, DetailKind.CHANGED_TYPES, Entry("budget", "numeric(12,2)", "bigint")
        ),),
    ),
)  # fmt: skip

FUTURE_DB = _edit(
    OLD_DB,
    enums={"public.project_status": lambda e: _drop_label(e, "on_hold")},
    tables={
        "public.organizations": lambda t: _drop_column(t, "billing_email"),
        "public.projects": lambda t: _replace_column(t, "budget", BIGINT),
    },
)

ON_HOLD = "ProjectStatus.ON_HOLD"
BILLING = "OrganizationRow['billing_email']"
BUDGET = "ProjectRow['budget']"
# Every line of examples/app (its tests included) that the migration breaks through a name.
EXPECTED_APP_HITS = [
    ("logic.py", "ProjectStatus.ACTIVE: frozenset({ProjectStatus.ON_HOLD, ProjectStatus.ARCHIVED}),", ON_HOLD),
    ("logic.py", "ProjectStatus.ON_HOLD: frozenset({ProjectStatus.ACTIVE, ProjectStatus.ARCHIVED}),", ON_HOLD),
    ("logic.py", 'billing_email = org["billing_email"]', BILLING),
    ("logic.py", 'total = sum(p["budget"] or 0.0 for p in spending)', BUDGET),
    ("tests/test_logic.py", '"billing_email": billing_email,', BILLING),
    ("tests/test_logic.py", '"budget": budget,', BUDGET),
    ("tests/test_logic.py", '("pending", ProjectStatus.ON_HOLD, False),', ON_HOLD),
    ("tests/test_logic.py", '("active", ProjectStatus.ON_HOLD, True),', ON_HOLD),
    ("tests/test_repository.py", 'assert org["billing_email"] == "ap@acme.test"', BILLING),
    ("tests/test_repository.py", '{"organization_id": org_id, "name": "Apollo", "budget": 1200.5, "tags": ["moon"]}', "ProjectInsert['budget']"),
    ("tests/test_repository.py", 'assert project["budget"] == 1200.5', BUDGET),
]  # fmt: skip


def _app_hits(
    changes: tuple[Change, ...] | list[Change], new_db: ir.Database
) -> list[tuple[str, str, str]]:
    app = ROOT / "examples" / "app"
    result = impact.find_impact([app], changes, names_of(OLD_DB), names_of(new_db))
    assert result.warnings == ()
    return [(h.path.relative_to(app).as_posix(), h.code, h.target.display) for h in result.hits]


def test_the_example_app_lines_a_future_migration_breaks_are_named_exactly() -> None:
    assert _app_hits(FUTURE_CHANGES, FUTURE_DB) == EXPECTED_APP_HITS


def test_each_expected_line_exists_once_in_the_example_app() -> None:
    app = ROOT / "examples" / "app"
    for file, code, _ in EXPECTED_APP_HITS:
        lines = [line.strip() for line in (app / file).read_text(encoding="utf-8").splitlines()]
        assert lines.count(code) == 1, (file, code)
