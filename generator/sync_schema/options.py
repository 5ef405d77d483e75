"""The settings that change generated code, as one value (config reads them, the model obeys)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: How the TypedDict layer sees values: as PostgREST/supabase-py JSON, or as psycopg returns them.
TypedDictMode = Literal["json", "python"]


@dataclass(frozen=True, slots=True)
class Options:
    """The settings that change generated code."""

    typeddict_types: TypedDictMode = "json"
    relationship_tables: frozenset[str] = frozenset()
    entity_tables: frozenset[str] = frozenset()
    names: Mapping[str, str] = field(default_factory=dict)
    frozen_models: bool = False
    #: "schema.table.column" -> JSON Schema text, from [tool.sync-schema.jsonb]
    jsonb_schemas: Mapping[str, str] = field(default_factory=dict)
    #: generate client.py, the typed wrapper of supabase-py's client ([tool.sync-schema] client)
    client: bool = False
    #: "schema.relation.column" -> nullable, from [tool.sync-schema.nullability]
    nullability: Mapping[str, bool] = field(default_factory=dict)
