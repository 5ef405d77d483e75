"""The plan of one generated tree, made once and read by every later stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sync_schema import ir
from sync_schema.layout import PlannedFile, file_table
from sync_schema.model.names import NameLock, Names, decide_names, name_lock
from sync_schema.model.prepare import (
    JsonSchemaColumn,
    apply_nullability,
    json_schema_columns,
    with_domain_comments,
    with_row_type_composites,
)
from sync_schema.options import Options


@dataclass(frozen=True, slots=True)
class TreePlan:
    """What the tree for one database holds: shaped IR, names, typed jsonb columns, files."""

    #: the database as introspected: DB_HASH, schema.json and the startup guard describe it
    database: ir.Database
    #: what the code describes: nullability overrides, row-type composites, domain comments
    shaped: ir.Database
    options: Options
    names: Names
    #: "schema.table.column" -> its typed-jsonb module and canonical JSON Schema
    jsonb: Mapping[str, JsonSchemaColumn]
    #: every Python file, in the tree's order (the root package first)
    files: tuple[PlannedFile, ...]

    @property
    def paths(self) -> list[str]:
        """Every Python file's path, in the tree's order."""
        return [f.path for f in self.files]

    @property
    def lock(self) -> dict[str, str]:
        """The lock of names schema.json records for the next generation."""
        return name_lock(self.names)


def plan_tree(db: ir.Database, options: Options, lock: NameLock | None = None) -> TreePlan:
    """Plan the tree for `db`: with the committed `lock`, existing objects keep their names."""
    with_overrides = apply_nullability(db, options.nullability)
    jsonb = json_schema_columns(db, options)
    names = decide_names(db, options, lock, jsonb=jsonb)
    modules = {key: column.module for key, column in jsonb.items()}
    return TreePlan(
        database=db,
        shaped=with_row_type_composites(with_domain_comments(with_overrides)),
        options=options,
        names=names,
        jsonb=jsonb,
        files=file_table(names.packages, options, modules),
    )
