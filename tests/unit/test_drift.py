"""The semantic diff's severity rules, on in-memory IR values (no server)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sync_schema import ir
from sync_schema.drift import (
    Change,
    Detail,
    DetailKind,
    Entry,
    SchemaSync,
    Severity,
    count_by_severity,
    format_change,
    sort_changes,
)

# --- builders ----------------------------------------------------------------------------------

UUID = ir.TypeRef("pg_catalog", "uuid", "base", "uuid")
TEXT = ir.TypeRef("pg_catalog", "text", "base", "text")
SMALLINT = ir.TypeRef("pg_catalog", "int2", "base", "smallint")
INTEGER = ir.TypeRef("pg_catalog", "int4", "base", "integer")
BIGINT = ir.TypeRef("pg_catalog", "int8", "base", "bigint")
TIMESTAMPTZ = ir.TypeRef("pg_catalog", "timestamptz", "base", "timestamp with time zone")
STATUS = ir.TypeRef("public", "project_status", "enum", "project_status")
OTHER_STATUS = ir.TypeRef("public", "other_status", "enum", "other_status")
VARCHAR_7 = ir.TypeRef("pg_catalog", "varchar", "base", "character varying(7)", max_length=7)


def col(name: str, type_: ir.TypeRef = TEXT, *, nullable: bool = False, **kw: Any) -> ir.Column:
    return ir.Column(name=name, type=type_, nullable=nullable, **kw)


def table(
    name: str,
    *columns: ir.Column,
    schema: str = "public",
    kind: ir.RelationKind = "table",
    pk: tuple[str, ...] | None = ("id",),
    **kw: Any,
) -> ir.Table:
    primary_key = ir.PrimaryKey(f"{name}_pkey", pk) if pk else None
    return ir.Table(
        schema=schema,
        name=name,
        kind=kind,
        columns=columns,
        primary_key=primary_key if kind in ir.WRITABLE_KINDS else None,
        **kw,
    )


def func(name: str, *args: ir.TypeRef, returns: ir.TypeRef | None = INTEGER) -> ir.Function:
    return ir.Function(
        schema="public",
        name=name,
        arguments=tuple(ir.FunctionArg(f"a{i}", t) for i, t in enumerate(args)),
        returns=returns,
    )


def database(*objects: Any, schemas: tuple[str, ...] = ("public",)) -> ir.Database:
    def of(kind: type) -> tuple[Any, ...]:
        return tuple(o for o in objects if isinstance(o, kind))

    return ir.Database(
        schemas=schemas,
        enums=of(ir.Enum),
        tables=of(ir.Table),
        composite_types=of(ir.CompositeType),
        domains=of(ir.Domain),
        functions=of(ir.Function),
    )


STATUS_ENUM = ir.Enum("public", "project_status", ("draft", "active", "archived"), "Lifecycle.")
ORGS = table(
    "organizations",
    col("id", UUID, default="gen_random_uuid()"),
    col("name"),
    col("billing_email", nullable=True),
    col("created_at", TIMESTAMPTZ, default="now()"),
    comment="A customer account.",
)
PROJECTS = table(
    "projects",
    col("id", BIGINT, identity="always"),
    col("organization_id", UUID),
    col("status", STATUS, default="'draft'::project_status"),
    col("priority", SMALLINT, default="3"),
    foreign_keys=(
        ir.ForeignKey(
            "projects_organization_id_fkey",
            ("organization_id",),
            "public",
            "organizations",
            ("id",),
        ),
    ),
    check_constraints=(
        ir.CheckConstraint("projects_priority_range", "CHECK (priority >= 1 AND priority <= 5)"),
    ),
    unique_constraints=(ir.UniqueConstraint("projects_name_key", ("organization_id",)),),
)
OVERVIEW = table("project_overview", col("project_id", BIGINT, nullable=True), kind="view")
BASE = database(STATUS_ENUM, ORGS, PROJECTS, OVERVIEW, func("project_count", UUID))


def with_table(db: ir.Database, new: ir.Table) -> ir.Database:
    tables = tuple(new if t.name == new.name else t for t in db.tables)
    return dataclasses.replace(db, tables=tables)


def with_column(base: ir.Table, name: str, **changes: Any) -> ir.Table:
    columns = tuple(
        dataclasses.replace(c, **changes) if c.name == name else c for c in base.columns
    )
    return dataclasses.replace(base, columns=columns)


def renamed_column(base: ir.Table, old: str, new: str) -> ir.Table:
    return dataclasses.replace(
        base,
        columns=tuple(
            dataclasses.replace(c, name=new) if c.name == old else c for c in base.columns
        ),
    )


def renamed_table(db: ir.Database, old: str, new: str) -> ir.Database:
    tables = tuple(dataclasses.replace(t, name=new) if t.name == old else t for t in db.tables)
    return dataclasses.replace(db, tables=tables)


def with_attribute(base: ir.CompositeType, name: str, **changes: Any) -> ir.CompositeType:
    attributes = tuple(
        dataclasses.replace(a, **changes) if a.name == name else a for a in base.attributes
    )
    return dataclasses.replace(base, attributes=attributes)


def without(db: ir.Database, name: str) -> ir.Database:
    return dataclasses.replace(
        db,
        enums=tuple(e for e in db.enums if e.name != name),
        tables=tuple(t for t in db.tables if t.name != name),
        functions=tuple(f for f in db.functions if f.name != name),
        composite_types=tuple(c for c in db.composite_types if c.name != name),
        domains=tuple(d for d in db.domains if d.name != name),
    )


def plus(db: ir.Database, *objects: Any) -> ir.Database:
    extra = database(*objects)
    return dataclasses.replace(
        db,
        enums=db.enums + extra.enums,
        tables=db.tables + extra.tables,
        functions=db.functions + extra.functions,
        composite_types=db.composite_types + extra.composite_types,
        domains=db.domains + extra.domains,
    )


def with_enum_labels(*labels: str) -> ir.Database:
    return dataclasses.replace(BASE, enums=(dataclasses.replace(STATUS_ENUM, labels=labels),))


ORG_FK = ir.ForeignKey(
    "projects_organization_id_fkey", ("organization_id",), "public", "organizations", ("id",)
)
PROFILES = table("profiles", col("id", UUID))
ADDRESS = ir.CompositeType("public", "address", (col("street"), col("city")))
EMAIL = ir.Domain("public", "email", TEXT, nullable=False)

# --- one row per severity rule -----------------------------------------------------------------

#: The items of a detail whose wording the rule does not fix.
ANY_ITEMS = ("<any>",)

# (old, new, (severity, kind, name, change), detail label or None, detail items or None)
RULES = [
    pytest.param(
        BASE,
        without(BASE, "project_status"),
        ("CRITICAL", "ENUM", "project_status", "removed"),
        None,
        None,
        id="enum-removed-critical",
    ),
    pytest.param(
        BASE,
        with_enum_labels("draft", "active", "archived", "on_hold"),
        ("HIGH", "ENUM", "project_status", "modified"),
        "Added values",
        ("on_hold",),
        id="enum-value-added-high",
    ),
    pytest.param(
        BASE,
        with_enum_labels("active", "archived"),
        ("HIGH", "ENUM", "project_status", "modified"),
        "Removed values",
        ("draft",),
        id="enum-value-removed-high",
    ),
    pytest.param(
        BASE,
        with_enum_labels("active", "draft", "archived"),
        ("HIGH", "ENUM", "project_status", "modified"),
        "Reordered values",
        ("active", "draft", "archived"),
        id="enum-reordered-high",
    ),
    pytest.param(
        BASE,
        without(BASE, "organizations"),
        ("CRITICAL", "TABLE", "organizations", "removed"),
        None,
        None,
        id="table-removed-critical",
    ),
    pytest.param(
        BASE,
        without(BASE, "project_overview"),
        ("CRITICAL", "VIEW", "project_overview", "removed"),
        None,
        None,
        id="view-removed-critical",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(ORGS, columns=ORGS.columns[:-1])),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Removed columns",
        ("created_at",),
        id="column-removed-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(PROJECTS, "priority", type=TEXT)),
        ("HIGH", "TABLE", "projects", "modified"),
        "Changed types",
        ("priority (smallint -> text)",),
        id="type-changed-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(PROJECTS, "priority", type=INTEGER)),
        ("LOW", "TABLE", "projects", "modified"),
        "Changed types (same Python types)",
        ("priority (smallint -> integer)",),
        id="type-changed-same-python-types-low",
    ),
    pytest.param(
        with_table(BASE, with_column(ORGS, "name", type=VARCHAR_7)),
        BASE,
        ("LOW", "TABLE", "organizations", "modified"),
        "Changed types (same Python types)",
        ("name (character varying(7) -> text)",),
        id="type-widened-same-python-types-low",
    ),
    pytest.param(
        with_table(BASE, with_column(PROJECTS, "status", type=OTHER_STATUS)),
        BASE,
        ("HIGH", "TABLE", "projects", "modified"),
        "Changed types",
        ("status (other_status -> project_status)",),
        id="type-changed-to-another-enum-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "name", nullable=True)),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Now nullable",
        ("name",),
        id="became-nullable-high",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(
                PROJECTS, primary_key=ir.PrimaryKey("projects_pkey", ("id", "organization_id"))
            ),
        ),
        ("HIGH", "TABLE", "projects", "modified"),
        "Primary key changed",
        ("(id, organization_id)",),
        id="primary-key-changed-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(PROJECTS, primary_key=None)),
        ("HIGH", "TABLE", "projects", "modified"),
        "Primary key changed",
        ("(none)",),
        id="primary-key-dropped-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(OVERVIEW, kind="materialized_view")),
        ("HIGH", "VIEW", "project_overview", "modified"),
        "Kind changed",
        ("view -> materialized view",),
        id="relation-kind-changed-high",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(
                ORGS, columns=(*ORGS.columns, col("max_members", INTEGER, nullable=True))
            ),
        ),
        ("MEDIUM", "TABLE", "organizations", "modified"),
        "Added columns",
        ("max_members",),
        id="column-added-medium",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(ORGS, columns=(*ORGS.columns, col("seats", INTEGER, default="1"))),
        ),
        ("MEDIUM", "TABLE", "organizations", "modified"),
        "Added columns",
        ("seats",),
        id="not-null-column-with-default-added-medium",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(ORGS, columns=(*ORGS.columns, col("max_members", INTEGER))),
        ),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Added required columns",
        ("max_members",),
        id="required-column-added-high",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(OVERVIEW, columns=(*OVERVIEW.columns, col("name"))),
        ),
        ("MEDIUM", "VIEW", "project_overview", "modified"),
        "Added columns",
        ("name",),
        id="not-null-view-column-added-medium",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "billing_email", nullable=False)),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Now NOT NULL and required on insert",
        ("billing_email",),
        id="became-not-null-without-default-high",
    ),
    pytest.param(
        with_table(BASE, with_column(ORGS, "billing_email", default="'a@b.test'::text")),
        with_table(
            BASE, with_column(ORGS, "billing_email", nullable=False, default="'a@b.test'::text")
        ),
        ("MEDIUM", "TABLE", "organizations", "modified"),
        "Now NOT NULL",
        ("billing_email",),
        id="became-not-null-with-default-medium",
    ),
    pytest.param(
        with_table(BASE, dataclasses.replace(PROJECTS, foreign_keys=())),
        BASE,
        ("MEDIUM", "TABLE", "projects", "modified"),
        "Foreign keys added",
        ("(organization_id) -> public.organizations(id)",),
        id="foreign-key-added-medium",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(PROJECTS, foreign_keys=())),
        ("MEDIUM", "TABLE", "projects", "modified"),
        "Foreign keys removed",
        ("(organization_id) -> public.organizations(id)",),
        id="foreign-key-removed-medium",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(
                PROJECTS, foreign_keys=(dataclasses.replace(ORG_FK, target_table="profiles"),)
            ),
        ),
        ("MEDIUM", "TABLE", "projects", "modified"),
        "Foreign keys retargeted",
        ("(organization_id) -> public.profiles(id)",),
        id="foreign-key-retargeted-medium",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "created_at", default=None)),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Default removed from NOT NULL columns",
        ("created_at",),
        id="default-removed-from-not-null-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(PROJECTS, "id", identity="by_default")),
        ("MEDIUM", "TABLE", "projects", "modified"),
        "Identity or generation changed",
        ("id",),
        id="identity-changed-medium",
    ),
    pytest.param(
        BASE,
        plus(BASE, PROFILES),
        ("LOW", "TABLE", "profiles", "added"),
        None,
        None,
        id="table-added-low",
    ),
    pytest.param(
        BASE,
        plus(BASE, table("member_counts", col("n", BIGINT), kind="materialized_view")),
        ("LOW", "VIEW", "member_counts", "added"),
        None,
        None,
        id="view-added-low",
    ),
    pytest.param(
        BASE,
        plus(BASE, ir.Enum("public", "member_role", ("owner", "member"))),
        ("LOW", "ENUM", "member_role", "added"),
        None,
        None,
        id="enum-added-low",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "created_at", default="clock_timestamp()")),
        ("LOW", "TABLE", "organizations", "modified"),
        "Defaults changed",
        ("created_at (now() -> clock_timestamp())",),
        id="default-changed-low",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "billing_email", default="'billing@example.com'")),
        ("LOW", "TABLE", "organizations", "modified"),
        "Defaults changed",
        ("billing_email (None -> 'billing@example.com')",),
        id="default-added-low",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(ORGS, comment="A paying customer.")),
        ("LOW", "TABLE", "organizations", "modified"),
        "Comment changed",
        ("A paying customer.",),
        id="table-comment-changed-low",
    ),
    pytest.param(
        BASE,
        with_table(BASE, with_column(ORGS, "name", comment="Display name.")),
        ("LOW", "TABLE", "organizations", "modified"),
        "Column comments changed",
        ("name",),
        id="column-comment-changed-low",
    ),
    pytest.param(
        BASE,
        dataclasses.replace(BASE, enums=(dataclasses.replace(STATUS_ENUM, comment=None),)),
        ("LOW", "ENUM", "project_status", "modified"),
        "Comment changed",
        ("(removed)",),
        id="enum-comment-removed-low",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(
                PROJECTS,
                check_constraints=(
                    ir.CheckConstraint(
                        "projects_priority_range", "CHECK (priority >= 1 AND priority <= 10)"
                    ),
                ),
            ),
        ),
        ("LOW", "TABLE", "projects", "modified"),
        "Check constraints changed",
        ("projects_priority_range: CHECK (priority >= 1 AND priority <= 10)",),
        id="check-changed-low",
    ),
    pytest.param(
        BASE,
        with_table(BASE, dataclasses.replace(PROJECTS, check_constraints=())),
        ("LOW", "TABLE", "projects", "modified"),
        "Check constraints removed",
        ("projects_priority_range",),
        id="check-removed-low",
    ),
    pytest.param(
        BASE,
        with_table(
            BASE,
            dataclasses.replace(
                PROJECTS,
                unique_constraints=(
                    ir.UniqueConstraint("projects_name_key", ("organization_id", "priority")),
                ),
            ),
        ),
        ("LOW", "TABLE", "projects", "modified"),
        "Unique constraints changed",
        ("projects_name_key: organization_id, priority",),
        id="unique-changed-low",
    ),
    pytest.param(
        BASE,
        without(BASE, "project_count"),
        ("HIGH", "FUNCTION", "project_count", "removed"),
        None,
        None,
        id="function-removed-high",
    ),
    pytest.param(
        BASE,
        dataclasses.replace(BASE, functions=(func("project_count", UUID, returns=BIGINT),)),
        ("HIGH", "FUNCTION", "project_count", "modified"),
        "Signature changed",
        ANY_ITEMS,
        id="function-return-type-changed-high",
    ),
    pytest.param(
        BASE,
        dataclasses.replace(BASE, functions=(func("project_count", UUID, TEXT),)),
        ("HIGH", "FUNCTION", "project_count", "modified"),
        "Signature changed",
        ("public.project_count(uuid) -> public.project_count(uuid, text)",),
        id="function-arguments-changed-high",
    ),
    pytest.param(
        BASE,
        plus(BASE, func("archive_project", BIGINT)),
        ("LOW", "FUNCTION", "archive_project", "added"),
        None,
        None,
        id="function-added-low",
    ),
    pytest.param(
        plus(BASE, ADDRESS),
        BASE,
        ("HIGH", "COMPOSITE TYPE", "address", "removed"),
        None,
        None,
        id="composite-type-removed-high",
    ),
    pytest.param(
        plus(BASE, ADDRESS),
        plus(BASE, dataclasses.replace(ADDRESS, attributes=ADDRESS.attributes[:1])),
        ("HIGH", "COMPOSITE TYPE", "address", "modified"),
        "Removed attributes",
        ("city",),
        id="composite-attribute-removed-high",
    ),
    pytest.param(
        plus(BASE, ADDRESS),
        plus(BASE, dataclasses.replace(ADDRESS, attributes=(*ADDRESS.attributes, col("zip")))),
        ("MEDIUM", "COMPOSITE TYPE", "address", "modified"),
        "Added attributes",
        ("zip",),
        id="composite-attribute-added-medium",
    ),
    pytest.param(
        plus(BASE, ADDRESS),
        plus(BASE, with_attribute(ADDRESS, "city", type=VARCHAR_7)),
        ("LOW", "COMPOSITE TYPE", "address", "modified"),
        "Changed types (same Python types)",
        ("city (text -> character varying(7))",),
        id="composite-attribute-retyped-same-python-types-low",
    ),
    pytest.param(
        plus(BASE, ADDRESS),
        plus(BASE, with_attribute(ADDRESS, "city", type=INTEGER)),
        ("HIGH", "COMPOSITE TYPE", "address", "modified"),
        "Changed types",
        ("city (text -> integer)",),
        id="composite-attribute-retyped-high",
    ),
    pytest.param(
        plus(BASE, dataclasses.replace(EMAIL, nullable=True)),
        plus(BASE, EMAIL),
        ("MEDIUM", "DOMAIN", "email", "modified"),
        "Now NOT NULL",
        ("email",),
        id="domain-became-not-null-medium",
    ),
    pytest.param(
        plus(BASE, EMAIL),
        BASE,
        ("HIGH", "DOMAIN", "email", "removed"),
        None,
        None,
        id="domain-removed-high",
    ),
    pytest.param(
        plus(BASE, EMAIL),
        plus(BASE, dataclasses.replace(EMAIL, nullable=True)),
        ("HIGH", "DOMAIN", "email", "modified"),
        "Now nullable",
        ("email",),
        id="domain-became-nullable-high",
    ),
    pytest.param(
        plus(BASE, EMAIL),
        plus(
            BASE, dataclasses.replace(EMAIL, base=ir.TypeRef("public", "citext", "base", "citext"))
        ),
        ("HIGH", "DOMAIN", "email", "modified"),
        "Base type changed",
        ("text -> citext",),
        id="domain-base-type-changed-high",
    ),
    pytest.param(
        BASE,
        renamed_table(BASE, "projects", "initiatives"),
        ("HIGH", "TABLE", "initiatives", "renamed"),
        None,
        None,
        id="table-renamed-high",
    ),
    pytest.param(
        BASE,
        with_table(BASE, renamed_column(ORGS, "billing_email", "invoice_email")),
        ("HIGH", "TABLE", "organizations", "modified"),
        "Renamed columns",
        ("billing_email -> invoice_email (guess)",),
        id="column-renamed-high",
    ),
    pytest.param(
        BASE,
        with_enum_labels("draft", "live", "archived"),
        ("HIGH", "ENUM", "project_status", "modified"),
        "Renamed values",
        ("active -> live (guess)",),
        id="enum-value-renamed-high",
    ),
    pytest.param(
        BASE,
        dataclasses.replace(BASE, functions=(func("count_projects", UUID),)),
        ("HIGH", "FUNCTION", "count_projects", "renamed"),
        None,
        None,
        id="function-renamed-high",
    ),
    pytest.param(
        dataclasses.replace(BASE, schemas=("public", "billing")),
        BASE,
        ("CRITICAL", "SCHEMA", "billing", "removed"),
        None,
        None,
        id="schema-removed-critical",
    ),
    pytest.param(
        BASE,
        dataclasses.replace(BASE, schemas=("public", "billing")),
        ("LOW", "SCHEMA", "billing", "added"),
        None,
        None,
        id="schema-added-low",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected", "label", "items"), RULES)
def test_each_rule_reports_one_change_with_its_severity(
    old: ir.Database,
    new: ir.Database,
    expected: tuple[str, str, str, str],
    label: str | None,
    items: tuple[str, ...] | None,
) -> None:
    changes = SchemaSync(old, new).compare_schemas()

    assert [(c.severity.name, c.kind, c.name, c.change) for c in changes] == [expected]
    (change,) = changes
    if label is None:
        assert change.details == ()
    elif items == ANY_ITEMS:
        assert [(d.severity.name, d.label) for d in change.details] == [(expected[0], label)]
    else:
        assert [(d.severity, d.label, d.items) for d in change.details] == [
            (Severity[expected[0]], label, items or ())
        ]
        # The structure matches what is shown: a kind, and one entry per item.
        assert all(d.kind is not None and len(d.entries) == len(d.items) for d in change.details)


def test_identical_databases_have_no_changes() -> None:
    assert SchemaSync(BASE, BASE).compare_schemas() == []


def test_collection_order_and_a_json_round_trip_are_not_changes() -> None:
    shuffled = dataclasses.replace(BASE, tables=tuple(reversed(BASE.tables)))
    round_tripped = ir.from_json(ir.to_json(BASE))

    assert SchemaSync(BASE, shuffled).compare_schemas() == []
    assert SchemaSync(round_tripped, BASE).compare_schemas() == []


def test_without_a_committed_schema_everything_is_added_low() -> None:
    changes = SchemaSync(None, BASE).compare_schemas()

    assert {(c.kind, c.name, c.change, c.severity) for c in changes} == {
        ("ENUM", "project_status", "added", Severity.LOW),
        ("TABLE", "organizations", "added", Severity.LOW),
        ("TABLE", "projects", "added", Severity.LOW),
        ("VIEW", "project_overview", "added", Severity.LOW),
        ("FUNCTION", "project_count", "added", Severity.LOW),
    }


def test_a_modified_object_takes_its_most_severe_detail() -> None:
    organizations = dataclasses.replace(
        ORGS,
        columns=(
            *ORGS.columns[:-1],
            col("billing_cycle", nullable=True),
            col("max_members", INTEGER, nullable=True),
        ),
        comment="Changed.",
    )
    (change,) = SchemaSync(BASE, with_table(BASE, organizations)).compare_schemas()

    assert change.severity is Severity.HIGH
    assert [(d.severity, d.label, d.items) for d in change.details] == [
        (Severity.MEDIUM, "Added columns", ("billing_cycle", "max_members")),
        (Severity.HIGH, "Removed columns", ("created_at",)),
        (Severity.LOW, "Comment changed", ("Changed.",)),
    ]


def test_objects_outside_public_are_shown_qualified() -> None:
    old = database(table("invoices", col("id"), schema="billing"), schemas=("billing",))
    new = database(schemas=("billing",))

    (change,) = SchemaSync(old, new).compare_schemas()

    assert change.display_name == "billing.invoices"
    assert format_change(change)[0] == "[CRITICAL] TABLE: billing.invoices"


def test_output_is_most_severe_first_then_by_kind_and_name() -> None:
    old = plus(dataclasses.replace(BASE, schemas=("public", "billing")), EMAIL)
    new = dataclasses.replace(
        without(BASE, "project_overview"),
        enums=(dataclasses.replace(STATUS_ENUM, labels=("pending", "active", "archived")),),
    )
    new = with_table(
        new, with_column(ORGS, "billing_email", nullable=False, default="'billing'::text")
    )
    new = with_table(new, dataclasses.replace(PROJECTS, comment="Work."))
    new = plus(new, PROFILES, ir.Enum("public", "member_role", ("owner",)))

    changes = SchemaSync(old, new).compare_schemas()

    assert [(c.severity.name, c.kind, c.name) for c in changes] == [
        ("CRITICAL", "SCHEMA", "billing"),
        ("CRITICAL", "VIEW", "project_overview"),
        ("HIGH", "ENUM", "project_status"),
        ("HIGH", "DOMAIN", "email"),
        ("MEDIUM", "TABLE", "organizations"),
        ("LOW", "ENUM", "member_role"),
        ("LOW", "TABLE", "profiles"),
        ("LOW", "TABLE", "projects"),
    ]
    assert [c.severity for c in changes] == sorted((c.severity for c in changes), reverse=True)
    assert sort_changes(reversed(changes)) == changes
    assert count_by_severity(changes) == {"CRITICAL": 2, "HIGH": 2, "MEDIUM": 1, "LOW": 3}
    assert list(count_by_severity(changes)) == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]


def test_format_change_matches_the_seed_block_exactly() -> None:
    old = BASE
    new = dataclasses.replace(
        BASE,
        enums=(
            dataclasses.replace(STATUS_ENUM, labels=("pending", "active", "on_hold", "archived")),
        ),
    )
    (change,) = SchemaSync(old, new).compare_schemas()

    assert "\n".join(format_change(change)) == (
        "[HIGH] ENUM: project_status\n"
        "  Change: modified\n"
        "  Added values: pending, on_hold\n"
        "  Removed values: draft"
    )


def test_a_removed_schema_is_shown_by_its_name_alone() -> None:
    old = dataclasses.replace(BASE, schemas=("public", "billing"))

    (change,) = SchemaSync(old, BASE).compare_schemas()

    assert format_change(change)[0] == "[CRITICAL] SCHEMA: billing"


def test_format_change_of_a_removal_has_no_detail_lines() -> None:
    change = Change("TABLE", "public", "project_members", "removed", Severity.CRITICAL)

    assert format_change(change) == ["[CRITICAL] TABLE: project_members", "  Change: removed"]


def test_change_json_form_is_stable() -> None:
    change = Change(
        "ENUM",
        "public",
        "project_status",
        "modified",
        Severity.HIGH,
        (Detail.of(Severity.HIGH, DetailKind.ADDED_VALUES, "pending"),),
    )

    assert change.to_json() == {
        "severity": "HIGH",
        "object_type": "ENUM",
        "schema": "public",
        "name": "project_status",
        "change": "modified",
        "details": [
            {
                "severity": "HIGH",
                "what": "Added values",
                "kind": "added_values",
                "items": ["pending"],
                "entries": [{"name": "pending", "old": None, "new": None}],
            }
        ],
    }


def test_changed_return_type_of_an_overloaded_function_is_reported() -> None:
    old = dataclasses.replace(
        BASE, functions=(func("lookup", INTEGER, returns=TEXT), func("lookup", TEXT, returns=TEXT))
    )
    new = dataclasses.replace(
        BASE,
        functions=(func("lookup", INTEGER, returns=BIGINT), func("lookup", TEXT, returns=TEXT)),
    )

    changes = SchemaSync(old, new).compare_schemas()

    assert [(c.severity, c.kind, c.name, c.change) for c in changes] == [
        (Severity.HIGH, "FUNCTION", "lookup", "modified")
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, "NULL::text"),
        ("NULL::character varying", None),
        ("''::text", "''::character varying"),
        ("'monthly'::character varying(16)", "'monthly'::text"),
        ("0::bigint", "0"),
        ("'{}'::text[]", "'{}'::character varying[]"),
    ],
)
def test_a_default_spelled_differently_is_not_a_change(old: str | None, new: str | None) -> None:
    before = with_table(BASE, with_column(ORGS, "billing_email", default=old))
    after = with_table(BASE, with_column(ORGS, "billing_email", default=new))

    assert SchemaSync(before, after).compare_schemas() == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, "''::text"),
        ("''::text", "'x'::text"),
        ("now()", "clock_timestamp()"),
        ("0", "1"),
    ],
)
def test_a_default_with_another_value_is_still_a_change(old: str | None, new: str) -> None:
    before = with_table(BASE, with_column(ORGS, "billing_email", default=old))
    after = with_table(BASE, with_column(ORGS, "billing_email", default=new))

    (change,) = SchemaSync(before, after).compare_schemas()
    assert [d.kind for d in change.details] == [DetailKind.DEFAULTS_CHANGED]
    assert change.details[0].entries == (Entry("billing_email", old, new),)


# --- renames -----------------------------------------------------------------------------------


def test_a_renamed_table_is_one_rename_shown_as_a_guess_in_text_and_json() -> None:
    new = renamed_table(BASE, "projects", "initiatives")

    (change,) = SchemaSync(BASE, new).compare_schemas()

    assert format_change(change) == [
        "[HIGH] TABLE: initiatives",
        "  Change: renamed projects -> initiatives (guess)",
    ]
    assert change.to_json()["renamed_from"] == "projects"
    assert change.to_json()["guess"] is True


def test_a_foreign_key_to_a_renamed_table_is_not_reported_as_retargeted() -> None:
    moved_fk = dataclasses.replace(ORG_FK, target_table="accounts")
    projects = dataclasses.replace(PROJECTS, foreign_keys=(moved_fk,))
    new = renamed_table(with_table(BASE, projects), "organizations", "accounts")

    changes = SchemaSync(BASE, new).compare_schemas()

    assert [(c.name, c.summary) for c in changes] == [
        ("accounts", "renamed organizations -> accounts (guess)")
    ]


def test_a_renamed_key_column_is_not_a_primary_key_or_foreign_key_change() -> None:
    renamed = dataclasses.replace(
        renamed_column(PROJECTS, "organization_id", "org_id"),
        foreign_keys=(dataclasses.replace(ORG_FK, columns=("org_id",)),),
        unique_constraints=(ir.UniqueConstraint("projects_name_key", ("org_id",)),),
    )

    (change,) = SchemaSync(BASE, with_table(BASE, renamed)).compare_schemas()

    assert [(d.label, d.items) for d in change.details] == [
        ("Renamed columns", ("organization_id -> org_id (guess)",))
    ]
    (entry,) = change.details[0].entries
    assert entry == Entry("organization_id", "organization_id", "org_id", guess=True)
    assert entry.to_json() == {
        "name": "organization_id",
        "old": "organization_id",
        "new": "org_id",
        "guess": True,
    }


def test_a_column_replaced_by_one_of_another_type_is_removed_and_added_not_renamed() -> None:
    replaced = with_column(renamed_column(ORGS, "billing_email", "seats"), "seats", type=INTEGER)

    (change,) = SchemaSync(BASE, with_table(BASE, replaced)).compare_schemas()

    assert [d.label for d in change.details] == ["Added columns", "Removed columns"]


def test_a_column_renamed_after_another_was_dropped_is_matched_by_its_place() -> None:
    old = table("t", col("id", INTEGER), col("a"), col("b", nullable=True), col("c"))
    new = table("t", col("id", INTEGER), col("b2", nullable=True), col("c"))

    (change,) = SchemaSync(database(old), database(new)).compare_schemas()

    assert [(d.label, d.items) for d in change.details] == [
        ("Renamed columns", ("b -> b2 (guess)",)),
        ("Removed columns", ("a",)),
    ]


def test_two_look_alike_tables_gone_and_two_new_are_not_paired_by_chance() -> None:
    old = database(table("a", col("id", INTEGER)), table("b", col("id", INTEGER)))
    new = database(table("c", col("id", INTEGER)), table("d", col("id", INTEGER)))

    changes = SchemaSync(old, new).compare_schemas()

    assert sorted((c.name, c.change) for c in changes) == [
        ("a", "removed"),
        ("b", "removed"),
        ("c", "added"),
        ("d", "added"),
    ]


def test_a_function_renamed_with_another_signature_is_not_a_rename() -> None:
    new = dataclasses.replace(BASE, functions=(func("count_projects", UUID, INTEGER),))

    changes = SchemaSync(BASE, new).compare_schemas()

    assert sorted((c.name, c.change) for c in changes) == [
        ("count_projects", "added"),
        ("project_count", "removed"),
    ]


def test_an_enum_value_gone_while_more_came_is_not_read_as_a_rename() -> None:
    (change,) = SchemaSync(BASE, with_enum_labels("active", "x", "y", "archived")).compare_schemas()

    assert [d.label for d in change.details] == ["Added values", "Removed values"]


def test_checks_and_generated_columns_that_follow_a_renamed_column_are_no_change() -> None:
    old = table(
        "t",
        col("id", INTEGER),
        col("priority", INTEGER),
        col("double", INTEGER, generated="stored", generation_expression="(priority * 2)"),
        check_constraints=(ir.CheckConstraint("t_priority", "CHECK ((priority >= 1))"),),
    )
    new = table(
        "t",
        col("id", INTEGER),
        col("rank", INTEGER),
        col("double", INTEGER, generated="stored", generation_expression="(rank * 2)"),
        check_constraints=(ir.CheckConstraint("t_priority", "CHECK ((rank >= 1))"),),
    )

    (change,) = SchemaSync(database(old), database(new)).compare_schemas()

    assert [(d.label, d.items) for d in change.details] == [
        ("Renamed columns", ("priority -> rank (guess)",))
    ]
