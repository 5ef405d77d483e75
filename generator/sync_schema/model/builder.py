"""The template contexts of one schema package's TypedDict, enum and function modules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sync_schema import ir
from sync_schema.layout import DATABASE_MODULES, composites_module
from sync_schema.model import literals
from sync_schema.model.contexts import (
    CompositesModule,
    DatabaseInit,
    EnumClass,
    EnumMember,
    EnumsModule,
    FunctionsModule,
    ModelsInit,
    PackageInit,
    TDClass,
    TDField,
    TypeAliasDef,
    TypedDictsModule,
)
from sync_schema.model.imports import ImportSet, all_identifiers, class_syntax_ok
from sync_schema.model.names import ENUM_BASE, FROZEN_ROW_BASE, PYDANTIC_BASE, Names, TableNames
from sync_schema.model.plan import TreePlan
from sync_schema.model.prepare import composites_in_dependency_order, rpc_callable, takes_body
from sync_schema.model.typemap import PyType, TypeMapper
from sync_schema.options import Options

#: What the root package re-exports besides the classes: the Json aliases and the version.
ROOT_EXPORTS = (
    "Json",
    "JsonNotNull",
    "DB_HASH",
    "GENERATOR_VERSION",
    "LAST_SYNC",
    "SCHEMA_VERSION",
)


@dataclass(slots=True)
class TreeBuilder:
    """Builds the template contexts of one schema's package from the plan."""

    plan: TreePlan
    warn: Callable[[str], None]
    #: the schema whose package this builder fills
    schema: str
    db: ir.Database = field(init=False)
    options: Options = field(init=False)
    names: Names = field(init=False)
    #: the objects of `schema` only
    objects: ir.Database = field(init=False)
    #: how many packages below the root this schema's package is (0 for public, else 1)
    depth: int = field(init=False)
    #: the domains (qualified names) whose default a column of theirs gets when left out
    domain_defaults: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.db = self.plan.shaped
        self.options = self.plan.options
        self.names = self.plan.names
        self.objects = self.db.only(self.schema)
        self.depth = 1 if self.names.packages.get(self.schema) else 0
        self.domain_defaults = domains_with_defaults(self.db)

    def mapper(self, layer: str) -> TypeMapper:
        """The type mapping of one layer (json, python or pydantic) for this package."""
        return TypeMapper(
            layer=layer,  # type: ignore[arg-type]
            db=self.db,
            enum_names=self.names.enums,
            composite_names=self.names.composites,
            jsonb_models=self.names.jsonb,
            packages=self.names.packages,
            schema=self.schema,
            warn=self.warn,
        )

    # enums.py ----------------------------------------------------------------------------------
    def enums(self) -> EnumsModule:
        """Context of enums.py."""
        classes: list[EnumClass] = []
        for enum in self.objects.enums:
            cls, alias = self.names.enums[enum.qualified_name]
            members = tuple(
                EnumMember(name=m, value=literals.string_literal(label))
                for m, label in zip(
                    self.names.members[enum.qualified_name], enum.labels, strict=True
                )
            )
            labels = ", ".join(literals.string_literal(label) for label in enum.labels)
            classes.append(
                EnumClass(
                    name=cls,
                    docstring=literals.docstring(
                        enum.comment or f"Postgres enum `{enum.qualified_name}`.", indent="    "
                    ),
                    members=members,
                    alias=alias,
                    alias_annotation=f"Literal[{labels}]" if enum.labels else "Never",
                )
            )
        imports = ImportSet()
        if classes:
            imports.add(("enum", "StrEnum"), ("typing", "Literal"), ("typing", "TYPE_CHECKING"))
        if any(not e.labels for e in self.objects.enums):
            imports.add(("typing", "Never"))
        return EnumsModule(classes, imports.lines(1 + self.depth), ENUM_BASE)

    # database/*.py ----------------------------------------------------------------------------
    def typeddicts(self, group: str) -> TypedDictsModule:
        """Context of database/{entities,relationships,views}.py."""
        mapper = self.mapper(self.options.typeddict_types)
        imports = ImportSet()
        imports.add(("typing_extensions", "TypedDict"))
        pending: list[tuple[ir.Table, TableNames, dict[str, PyType], dict[str, PyType]]] = []
        for table in self.objects.tables:
            tn = self.names.tables[table.qualified_name]
            if tn.group != group:
                continue
            types = {
                c.name: mapper.column(c, f"{table.qualified_name}.{c.name}") for c in table.columns
            }
            writes = write_types(mapper, table) if tn.insert else {}
            for t in (*types.values(), *writes.values()):
                imports.add(*t.imports)
            pending.append((table, tn, types, writes))
        # A key that names something the annotations use would shadow it in class syntax.
        module_names = all_identifiers(
            t.annotation for _tbl, _tn, ts, ws in pending for t in (*ts.values(), *ws.values())
        ) | {"TypedDict", "NotRequired", "Json"}
        classes: list[TDClass] = []
        for table, tn, types, writes in pending:
            classes.append(self._row_td(table, tn.row, types, module_names))
            if tn.insert:
                insert = self._insert_td(table, tn.insert, writes, module_names)
                classes.append(insert)
                if any(f.annotation.startswith("NotRequired[") for f in insert.fields):
                    imports.add(("typing", "NotRequired"))
            if tn.update:
                classes.append(self._update_td(table, tn.update, writes, module_names))
        if not classes:
            imports = ImportSet()
        return TypedDictsModule(classes, imports.lines(2 + self.depth), group)

    def _row_td(
        self, table: ir.Table, name: str, types: dict[str, PyType], module_names: set[str]
    ) -> TDClass:
        fields = [
            (c, nullable_annotation(types[c.name].annotation, nullable=c.nullable))
            for c in table.columns
        ]
        doc = f"A row of `{table.qualified_name}` ({table.kind.replace('_', ' ')})."
        return self._td(name, doc, table.comment, fields, module_names, total=True)

    def _insert_td(
        self, table: ir.Table, name: str, types: dict[str, PyType], module_names: set[str]
    ) -> TDClass:
        fields = []
        for c in writable(table):
            annotation = nullable_annotation(types[c.name].annotation, nullable=c.nullable)
            if optional_on_insert(c, self.domain_defaults):
                annotation = f"NotRequired[{annotation}]"
            fields.append((c, annotation))
        doc = f"Values to insert into `{table.qualified_name}`; keys with a default may be omitted."
        return self._td(name, doc, None, fields, module_names, total=True)

    def _update_td(
        self, table: ir.Table, name: str, types: dict[str, PyType], module_names: set[str]
    ) -> TDClass:
        fields = [
            (c, nullable_annotation(types[c.name].annotation, nullable=c.nullable))
            for c in writable(table)
        ]
        doc = f"Values to update in `{table.qualified_name}`; every key is optional."
        return self._td(name, doc, None, fields, module_names, total=False)

    def _td(
        self,
        name: str,
        doc: str,
        comment: str | None,
        fields: list[tuple[ir.Column, str]],
        module_names: set[str],
        *,
        total: bool,
    ) -> TDClass:
        text = doc if not comment else f"{doc}\n\n{comment}"
        functional = not class_syntax_ok((c.name for c, _ in fields), module_names)
        return TDClass(
            name=name,
            name_literal=literals.string_literal(name),
            docstring=literals.docstring(text, indent="    "),
            comment=tuple(literals.comment(text)),
            functional=functional,
            total=total,
            fields=tuple(
                TDField(
                    key=c.name,
                    key_literal=literals.string_literal(c.name),
                    annotation=annotation,
                    comment=tuple(literals.comment(c.comment)) if c.comment else (),
                )
                for c, annotation in fields
            ),
        )

    def composites(self) -> CompositesModule:
        """Context of database/types.py: one TypedDict per composite type."""
        mapper = self.mapper(self.options.typeddict_types)
        imports = ImportSet()
        typed: list[tuple[ir.CompositeType, dict[str, PyType]]] = []
        own_module = composites_module(self.names.packages.get(self.schema, ""))
        for composite in composites_in_dependency_order(self.objects):
            types = {
                a.name: mapper.column(a, f"{composite.qualified_name}.{a.name}")
                for a in composite.attributes
            }
            for t in types.values():
                imports.add(*(i for i in t.imports if i[0] != own_module))
            typed.append((composite, types))
        module_names = all_identifiers(t.annotation for _c, ts in typed for t in ts.values()) | {
            "TypedDict"
        }
        classes = [
            self._td(
                self.names.composites[c.qualified_name],
                self._composite_doc(c),
                c.comment,
                # Postgres never enforces NOT NULL on the attributes of a composite type.
                [
                    (a, nullable_annotation(types[a.name].annotation, nullable=True))
                    for a in c.attributes
                ],
                module_names,
                total=True,
            )
            for c, types in typed
        ]
        if classes:
            imports.add(("typing_extensions", "TypedDict"))
        return CompositesModule(classes, imports.lines(2 + self.depth))

    def _composite_doc(self, composite: ir.CompositeType) -> str:
        if self.db.table(composite.schema, composite.name) is not None:
            return f"A value of the row type of `{composite.qualified_name}` (not a stored row)."
        return f"A value of the composite type `{composite.qualified_name}`."

    def functions(self) -> FunctionsModule:
        """Context of database/functions.py: arguments and return type of every rpc function."""
        mapper = self.mapper(self.options.typeddict_types)
        imports = ImportSet()
        pending: list[tuple[ir.Function, dict[str, PyType], dict[str, PyType], PyType | None]] = []
        for function in self.objects.functions:
            if not rpc_callable(function):
                continue
            where = function.signature
            args = {
                a.name: self._function_type(mapper, a.type, f"{where} argument {a.name}")
                for a in function.arguments
                if a.mode in ("in", "inout", "variadic")
            }
            columns = {
                c.name: self._function_type(mapper, c.type, f"{where} column {c.name}")
                for c in function.return_columns
            }
            returned = None if function.return_columns else self._returned(mapper, function)
            for t in (*args.values(), *columns.values(), *([returned] if returned else [])):
                imports.add(*t.imports)
            pending.append((function, args, columns, returned))
        module_names = all_identifiers(
            t.annotation
            for _f, args, columns, returned in pending
            for t in (*args.values(), *columns.values(), *([returned] if returned else []))
        ) | {"TypedDict", "NotRequired", "TypeAlias"}
        classes: list[TDClass] = []
        aliases: list[TypeAliasDef] = []
        for function, args, columns, returned in pending:
            args_name, returns_name, result_name = self.names.functions[function.signature]
            if takes_body(function):
                aliases.append(
                    TypeAliasDef(
                        name=args_name,
                        annotation=args[""].annotation,
                        comment=tuple(
                            literals.comment(
                                f"The body `{function.signature}` takes: PostgREST passes the"
                                " whole of `supabase.rpc(name, body)`'s body to its one argument."
                            )
                        ),
                    )
                )
            inputs = [
                a for a in function.arguments if a.mode in ("in", "inout", "variadic") and a.name
            ]
            fields = [
                (
                    ir.Column(name=a.name, type=a.type, nullable=False),
                    f"NotRequired[{args[a.name].annotation}]"
                    if a.has_default
                    else args[a.name].annotation,
                )
                for a in inputs
            ]
            doc = f"Arguments of `{function.signature}`, as `supabase.rpc({literals.string_literal(function.name)}, args)` takes them."
            if not takes_body(function):
                classes.append(
                    self._td(args_name, doc, function.comment, fields, module_names, total=True)
                )
            if columns:
                result_fields = [
                    (c, nullable_annotation(columns[c.name].annotation, nullable=True))
                    for c in function.return_columns
                ]
                classes.append(
                    self._td(
                        result_name,
                        f"A row returned by `{function.signature}`.",
                        None,
                        result_fields,
                        module_names,
                        total=True,
                    )
                )
                annotation = f"list[{result_name}]" if function.returns_set else result_name
            else:
                assert returned is not None
                annotation = returned.annotation
            aliases.append(
                TypeAliasDef(
                    name=returns_name,
                    annotation=annotation,
                    comment=tuple(literals.comment(f"What `{function.signature}` returns.")),
                )
            )
        if classes:
            imports.add(("typing_extensions", "TypedDict"))
        if aliases:
            imports.add(("typing", "TypeAlias"))
        if any(f.annotation.startswith("NotRequired[") for c in classes for f in c.fields):
            imports.add(("typing", "NotRequired"))
        return FunctionsModule(classes, aliases, imports.lines(2 + self.depth))

    def _returned(self, mapper: TypeMapper, function: ir.Function) -> PyType:
        """The return annotation of a function without OUT/TABLE columns."""
        if function.returns is None:
            return PyType("None")
        pytype = self._function_type(mapper, function.returns, f"{function.signature} result")
        if function.returns_set:
            return pytype.wrap("list[{}]")
        # A function returning one value may return NULL.
        return PyType(
            nullable_annotation(pytype.annotation, nullable=True), pytype.imports, pytype.known
        )

    def _function_type(self, mapper: TypeMapper, ref: ir.TypeRef, where: str) -> PyType:
        """A function's argument or result type: a table's row type is that table's Row."""
        table = self.db.table(ref.schema, ref.name) if ref.kind == "composite" else None
        if table is None:
            return mapper.type(ref, where)
        # functions.py imports the Row classes; the table modules never import it back.
        tn = self.names.tables[table.qualified_name]
        module = f"@{self.names.packages.get(table.schema, '')}database.{tn.group}"
        pytype = PyType(tn.row, frozenset({(module, tn.row)}))
        for _ in range(ref.array_dims):
            pytype = pytype.wrap("list[{}]")
        return pytype

    # generated/fastapi/models.py ---------------------------------------------------------------

    def exports(self) -> dict[str, list[str]]:
        """Public names per module of the TypedDict layer, for the package __init__ files."""
        out: dict[str, list[str]] = {
            "enums": [],
            "entities": [],
            "relationships": [],
            "views": [],
            "types": [
                self.names.composites[c.qualified_name] for c in self.objects.composite_types
            ],
            "functions": [],
        }
        for enum in self.objects.enums:
            out["enums"] += self.names.enums[enum.qualified_name]
        for function in filter(rpc_callable, self.objects.functions):
            args, returns, result = self.names.functions[function.signature]
            out["functions"] += [args, returns, *([result] if function.return_columns else [])]
        for table in self.objects.tables:
            tn = self.names.tables[table.qualified_name]
            out[tn.group] += [n for n in (tn.row, tn.insert, tn.update) if n]
        return {k: sorted(v) for k, v in out.items()}

    def database_init(self) -> DatabaseInit:
        """database/__init__.py: each TypedDict module with its public names."""
        exports = self.exports()
        modules = [(m, exports[m]) for m in DATABASE_MODULES]
        return DatabaseInit(modules, sorted(n for _m, names in modules for n in names))

    def package_init(self) -> PackageInit:
        """The package's __init__.py: the root's also re-exports Json and the version."""
        exports = self.exports()
        database_names = sorted(n for m in DATABASE_MODULES for n in exports[m])
        root = self.depth == 0
        extra = ROOT_EXPORTS if root else ()
        return PackageInit(
            root=root,
            database_names=database_names,
            enum_names=exports["enums"],
            all_names=sorted([*database_names, *exports["enums"], *extra]),
        )

    def models_init(self) -> ModelsInit:
        """generated/fastapi/__init__.py."""
        return ModelsInit(self.model_exports())

    def model_exports(self) -> list[str]:
        """Public names of the Pydantic layer."""
        names = [PYDANTIC_BASE]
        names += [self.names.composites[c.qualified_name] for c in self.objects.composite_types]
        for table in self.objects.tables:
            tn = self.names.tables[table.qualified_name]
            names += [n for n in (tn.model, tn.model_insert, tn.model_update) if n]
        if self.options.frozen_models:
            names.append(FROZEN_ROW_BASE)
        return sorted(names)


def writable(table: ir.Table) -> tuple[ir.Column, ...]:
    # Generated and GENERATED ALWAYS identity columns reject explicit values on write.
    return tuple(c for c in table.columns if not c.generated and c.identity != "always")


#: Prefix of the write types among a relation's model types (a column name never has it: NUL).
WRITE_KEY = "\0write:"
#: The default of a NOT NULL column a write model leaves unset: typed Any so that `bool` keeps
#: refusing None, never validated, and left out by `model_dump(exclude_unset=True)`.


def write_types(mapper: TypeMapper, table: ir.Table) -> dict[str, PyType]:
    """The types an Insert or Update takes per writable column: a json value then takes no null."""
    return {
        c.name: mapper.column(c, f"{table.qualified_name}.{c.name}", write=True)
        for c in writable(table)
    }


def optional_on_insert(column: ir.Column, domain_defaults: frozenset[str]) -> bool:
    return (
        column.nullable
        or column.default is not None
        or column.identity is not None
        # A column without its own default takes its domain's (an array of one does not).
        or (column.type.array_dims == 0 and column.type.qualified_name in domain_defaults)
    )


def domains_with_defaults(db: ir.Database) -> frozenset[str]:
    """Domains with a default, their own or one inherited from a domain they are based on."""
    domains = {d.qualified_name: d for d in db.domains}
    found: set[str] = set()
    for name, start in domains.items():
        current, seen = start, {name}
        while current.default is None and current.base.kind == "domain":
            base = domains.get(current.base.qualified_name)
            if base is None or base.qualified_name in seen or current.base.array_dims:
                break
            seen.add(base.qualified_name)
            current = base
        if current.default is not None:
            found.add(name)
    return frozenset(found)


def nullable_annotation(annotation: str, *, nullable: bool) -> str:
    return f"{annotation} | None" if nullable and annotation != "Any" else annotation
