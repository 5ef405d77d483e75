"""The object counting behind `make compare-supabase`, on generated source (no database)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.benchmarks.compare_supabase import (
    OutputCounts,
    count_supabase,
    count_sync_schema,
    is_nullable,
    typegen_class_name,
)

ROOT = Path(__file__).resolve().parents[2]

# The shapes postgrest-typegen 0.2 prints: an enum alias, a table's three classes, a view, a
# composite type (a bare BaseModel, like the view).
TYPEGEN_SOURCE = """
from __future__ import annotations

import datetime
from typing import Annotated, Any, List, Literal, Optional, TypedDict
from typing_extensions import NotRequired, TypeAlias

from pydantic import BaseModel, Field, JsonValue

PublicStatus: TypeAlias = Literal["open", "closed"]

class PublicTickets(BaseModel):
    id: int = Field(alias="id")
    status: PublicStatus = Field(alias="status")
    tags: List[Any] = Field(alias="tags")
    body: Optional[str] = Field(alias="body")

class PublicTicketsInsert(TypedDict):
    id: NotRequired[Annotated[int, Field(alias="id")]]
    status: Annotated[PublicStatus, Field(alias="status")]

class PublicTicketsUpdate(TypedDict):
    id: NotRequired[Annotated[int, Field(alias="id")]]

class PublicOpenTickets(BaseModel):
    id: Optional[int] = Field(alias="id")
    opened: Optional[datetime.datetime] = Field(alias="opened")

class PublicMoney(BaseModel):
    amount: Optional[float] = Field(alias="amount")
    currency: Optional[str] = Field(alias="currency")
"""


def test_typegen_output_counts_tables_by_their_insert_and_update_classes() -> None:
    counts = count_supabase(TYPEGEN_SOURCE, composite_classes={"PublicMoney"})
    assert counts == OutputCounts(
        tables=1,
        views=1,
        enums=1,
        functions=0,
        composite_types=1,
        row_fields=6,
        any_fields=1,
        view_fields=2,
        view_fields_not_null=0,
    )


def test_typegen_bare_models_are_views_unless_named_as_a_composite_type() -> None:
    counts = count_supabase(TYPEGEN_SOURCE)
    assert (counts.views, counts.composite_types) == (2, 0)


SYNC_SCHEMA_TREE = {
    "enums.py": (
        "from enum import Enum\n"
        "class _LabelEnum(str, Enum):\n    pass\n"
        "class Status(_LabelEnum):\n    OPEN = 'open'\n"
        "class Plain(Enum):\n    A = 1\n"
        "class NotAnEnum:\n    pass\n"
    ),
    "database/entities.py": (
        "from typing import Any, NotRequired, TypedDict\n"
        "class TicketRow(TypedDict):\n    id: int\n    data: Any\n"
        "class TicketInsert(TypedDict):\n    id: NotRequired[int]\n"
        "class TicketUpdate(TypedDict, total=False):\n    id: int\n"
    ),
    "database/relationships.py": (
        "from typing import TypedDict\n"
        'TicketTagRow = TypedDict("TicketTagRow", {"ticket id": int, "tag": str})\n'
    ),
    "database/views.py": (
        "from typing import TypedDict\n"
        "class OpenTicketRow(TypedDict):\n    id: int\n    note: str | None\n"
    ),
    "database/functions.py": (
        "from typing import TypeAlias, TypedDict\n"
        "class CloseTicketArgs(TypedDict):\n    ticket_id: int\n"
        "CloseTicketReturns: TypeAlias = bool | None\n"
        'NowArgs = TypedDict("NowArgs", {})\n'
        "NowReturns: TypeAlias = str\n"
    ),
    "database/types.py": (
        "from typing import TypedDict\nclass Money(TypedDict):\n    amount: float | None\n"
    ),
    "schema.json": "{}",
}


def test_sync_schema_tree_counts_row_typeddicts_per_module_in_both_syntaxes() -> None:
    assert count_sync_schema(SYNC_SCHEMA_TREE) == OutputCounts(
        tables=2,
        views=1,
        enums=2,
        functions=2,
        composite_types=1,
        row_fields=6,
        any_fields=1,
        view_fields=2,
        view_fields_not_null=1,
    )


def test_the_committed_schemas_package_counts_as_the_example_catalog() -> None:
    root = ROOT / "schemas"
    files = {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in root.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    counts = count_sync_schema(files)
    # supabase/migrations: 7 tables, a view and a materialized view, 3 enums.
    assert (counts.tables, counts.views, counts.enums) == (7, 2, 3)


@pytest.mark.parametrize(
    ("annotation", "nullable"),
    [
        ("Optional[int]", True),
        ("int | None", True),
        ("None | list[str]", True),
        ("NotRequired[Annotated[Optional[int], Field(alias='x')]]", True),
        ("Annotated[str | None, Field()]", True),
        ("int", False),
        ("list[int | None]", False),
        ("NotRequired[Annotated[int, Field(alias='x')]]", False),
        ("ProjectStatusValue", False),
    ],
)
def test_nullability_is_read_through_notrequired_and_annotated(
    annotation: str, nullable: bool
) -> None:
    assert is_nullable(ast.parse(annotation, mode="eval").body) is nullable


@pytest.mark.parametrize(
    ("schema", "name", "expected"),
    [
        ("public", "pokemon_center", "PublicPokemonCenter"),
        ("public", "victory-road", "PublicVictoryRoad"),
        ("public", "payment_p2022_01", "PublicPaymentP202201"),
        ("my schema", "x", "MySchemaX"),
    ],
)
def test_composite_class_names_follow_typegen_capitalisation(
    schema: str, name: str, expected: str
) -> None:
    assert typegen_class_name(schema, name) == expected
