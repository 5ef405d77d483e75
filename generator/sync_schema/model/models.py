"""The template context of a schema package's Pydantic models (generated/fastapi/models.py)."""

from __future__ import annotations

import dataclasses

from sync_schema import ir, naming
from sync_schema.model import literals
from sync_schema.model.builder import (
    WRITE_KEY,
    TreeBuilder,
    nullable_annotation,
    optional_on_insert,
    writable,
    write_types,
)
from sync_schema.model.contexts import ModelClass, ModelField, ModelsModule
from sync_schema.model.imports import ImportSet, all_identifiers
from sync_schema.model.names import FROZEN_ROW_BASE, PYDANTIC_BASE
from sync_schema.model.prepare import composites_in_dependency_order
from sync_schema.model.typemap import PyType


def models_context(builder: TreeBuilder) -> ModelsModule:
    """Context of generated/fastapi/models.py."""
    mapper = builder.mapper("pydantic")
    imports = ImportSet()
    imports.add(("pydantic", "BaseModel"), ("pydantic", "ConfigDict"))
    per_table: list[tuple[ir.Table | ir.CompositeType, dict[str, PyType]]] = []
    # Composite models first, in dependency order: tables and other composites use them.
    relations: list[ir.Table | ir.CompositeType] = [
        *composites_in_dependency_order(builder.objects),
        *builder.objects.tables,
    ]
    for relation in relations:
        columns = (
            relation.attributes if isinstance(relation, ir.CompositeType) else relation.columns
        )
        types = {c.name: mapper.column(c, f"{relation.qualified_name}.{c.name}") for c in columns}
        if isinstance(relation, ir.Table) and not relation.is_view:
            # Insert and Update models, keyed apart from the Row's columns.
            writes = write_types(mapper, relation)
            types |= {WRITE_KEY + name: t for name, t in writes.items()}
        for t in types.values():
            imports.add(*t.imports)
        per_table.append((relation, types))
    # Field names must not shadow what the module imports or its annotations use.
    reserved = frozenset(
        {name for _m, name in imports.items}
        | all_identifiers(t.annotation for _t, ts in per_table for t in ts.values())
        | {"Field", PYDANTIC_BASE, FROZEN_ROW_BASE}
    )
    classes: list[ModelClass] = []
    uses_field = False
    for table, types in per_table:
        if isinstance(table, ir.CompositeType):
            attrs = _attr_names(table.attributes, reserved)
            fields = [
                _model_field(
                    dataclasses.replace(a, nullable=True),
                    attrs[a.name],
                    types[a.name],
                    "row",
                    insert_optional=True,
                )
                for a in table.attributes
            ]
            uses_field = uses_field or any("Field(" in f.value for f in fields)
            doc = builder._composite_doc(table)
            classes.append(
                ModelClass(
                    name=builder.names.composites[table.qualified_name],
                    base=PYDANTIC_BASE,
                    docstring=literals.docstring(
                        f"{doc}\n\n{table.comment}" if table.comment else doc, indent="    "
                    ),
                    fields=tuple(fields),
                )
            )
            continue
        tn = builder.names.tables[table.qualified_name]
        attrs = _attr_names(table.columns, reserved)
        variants: list[tuple[str, str, tuple[ir.Column, ...], str]] = [
            (tn.model, "row", table.columns, f"A row of `{table.qualified_name}`.")
        ]
        if tn.model_insert:
            variants.append(
                (
                    tn.model_insert,
                    "insert",
                    writable(table),
                    f"Values to insert into `{table.qualified_name}`; "
                    "dump with `exclude_unset=True` to let defaults apply.",
                )
            )
        if tn.model_update:
            variants.append(
                (
                    tn.model_update,
                    "update",
                    writable(table),
                    f"Values to update in `{table.qualified_name}`; "
                    "dump with `exclude_unset=True`.",
                )
            )
        for cls_name, variant, columns, doc in variants:
            fields = []
            for c in columns:
                pytype = types[c.name] if variant == "row" else types[WRITE_KEY + c.name]
                f = _model_field(
                    c,
                    attrs[c.name],
                    pytype,
                    variant,
                    insert_optional=optional_on_insert(c, builder.domain_defaults),
                )
                uses_field = uses_field or "Field(" in f.value
                fields.append(f)
            text = doc if not (table.comment and variant == "row") else f"{doc}\n\n{table.comment}"
            base = (
                FROZEN_ROW_BASE
                if (variant == "row" and builder.options.frozen_models)
                else PYDANTIC_BASE
            )
            classes.append(
                ModelClass(
                    name=cls_name,
                    base=base,
                    docstring=literals.docstring(text, indent="    "),
                    fields=tuple(fields),
                )
            )
    if uses_field:
        imports.add(("pydantic", "Field"))
    unset = any(_UNSET in f.value for c in classes for f in c.fields)
    if unset:
        imports.add(("typing", "Any"))
    return ModelsModule(
        unset=_UNSET if unset else None,
        classes=classes,
        imports=imports.lines(3 + builder.depth),
        base=PYDANTIC_BASE,
        row_base=FROZEN_ROW_BASE if builder.options.frozen_models else None,
    )


# packages ----------------------------------------------------------------------------------


_UNSET = "_UNSET"


def _attr_names(columns: tuple[ir.Column, ...], reserved: frozenset[str]) -> dict[str, str]:
    # With validate_by_name, an attribute equal to another column's real name would capture
    # that column's key, so real names are taken before any renamed attribute is chosen.
    used = {c.name for c in columns}
    names: dict[str, str] = {}
    for c in columns:
        wanted = naming.pydantic_field_name(c.name, reserved)
        names[c.name] = wanted if wanted == c.name else naming.find_free_name(wanted, used, "_")
    return names


def _decimal_limits(precision: int, scale: int) -> list[str]:
    """Pydantic's limits for numeric(precision, scale), PostgreSQL 15's typmods included."""
    if scale < 0:
        # numeric(5,-2) holds 9999900: up to precision - scale digits, none after the point.
        return [f"max_digits={precision - scale}"]
    # Pydantic counts the zeros after the point as digits: 0.00012 in numeric(3,5) has 5.
    return [f"max_digits={max(precision, scale)}", f"decimal_places={scale}"]


def _model_field(
    column: ir.Column, attr: str, pytype: PyType, variant: str, *, insert_optional: bool
) -> ModelField:
    annotation = pytype.annotation
    args: list[str] = []
    if attr != column.name:
        args.append(f"alias={literals.string_literal(column.name)}")
    if column.type.array_dims == 0:
        if column.type.max_length is not None and annotation == "str":
            args.append(f"max_length={column.type.max_length}")
        if column.type.precision is not None and annotation == "Decimal":
            args += _decimal_limits(column.type.precision, column.type.scale or 0)
    if column.comment:
        args.append(f"description={literals.string_literal(column.comment)}")
    optional = variant == "update" or (variant == "insert" and insert_optional)
    annotation = nullable_annotation(annotation, nullable=column.nullable)
    if optional:
        # A NOT NULL column refuses None: Postgres would reject it; unset, its default applies.
        default = "None" if column.nullable else _UNSET
        value = f"Field(default={default}, {', '.join(args)})" if args else default
    else:
        value = f"Field({', '.join(args)})" if args else ""
    return ModelField(attr=attr, annotation=annotation, value=value, comment=())
