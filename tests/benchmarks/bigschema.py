"""Deterministic SQL for big synthetic schemas, the input of `make bench`.

The same (tables, columns, enums, seed) always gives byte-identical SQL: everything random comes
from one `random.Random(seed)`, nothing from the clock or from `hash()`.

What a schema holds:

* `enums` enum types with 3-8 labels each;
* `tables` tables of about `columns` columns mixing uuid, bigint, int, text, varchar(n),
  numeric(p,s), timestamptz, date, bool, jsonb, text[], int[] and enum columns, nullable and
  NOT NULL, with defaults (now(), gen_random_uuid(), current_date, literals);
* a uuid primary key (default gen_random_uuid()) or a bigint identity primary key per table,
  foreign keys to earlier tables;
* about 15% junction tables: a composite primary key of two foreign keys to two different tables;
* comments on some tables and columns;
* one view per 20 tables (at least one), selecting a few columns from a two-table join.

Load it with `load(server, dbname, sql)`: psql runs each statement in its own transaction. A
single transaction is not an option for big5000: creating ~5000 tables (+ their indexes, TOAST
tables and sequences) takes more locks than the default lock table holds.

For the impact scan: `make_app(db, names)` writes an application of 200 modules on the generated
package (imports of Row/Insert TypedDicts, Pydantic models and enums, row subscripts and `.get`,
typed loops, Insert dict displays, enum member comparisons, helpers that never import it), and
`drift_sql(db)` a migration that breaks some of those names (enum labels renamed, columns dropped
and retyped). Both depend only on the IR and the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sync_schema import ir
    from sync_schema.embedded.server import TempServer
    from sync_schema.impact import EnumNames, GeneratedNames

#: name -> (tables, columns per table, enums)
PRESETS: dict[str, tuple[int, int, int]] = {
    "big10": (10, 20, 6),
    "big1000": (1000, 20, 60),
    "big5000": (5000, 20, 300),
}

JUNCTION_SHARE = 0.15
TABLES_PER_VIEW = 20

_NOUNS = (
    "account", "address", "asset", "audit", "batch", "booking", "budget", "campaign", "carrier",
    "catalog", "channel", "claim", "client", "contract", "coupon", "customer", "device", "dispatch",
    "document", "employee", "event", "expense", "feature", "invoice", "ledger", "license", "listing",
    "location", "message", "meter", "order", "package", "partner", "payment", "permit", "policy",
    "product", "project", "quote", "receipt", "region", "release", "report", "request", "reservation",
    "route", "sample", "schedule", "sensor", "session", "shipment", "signal", "station", "supplier",
    "survey", "task", "team", "ticket", "tenant", "transfer", "vehicle", "vendor", "voucher", "warehouse",
)  # fmt: skip
_WORDS = (
    "amount", "balance", "code", "color", "count", "created", "deleted", "description", "due",
    "email", "ends", "external", "flag", "grade", "height", "label", "level", "limit", "note",
    "opened", "owner", "phone", "position", "price", "priority", "quantity", "rank", "rating",
    "reference", "score", "serial", "size", "slug", "source", "starts", "state", "summary", "tags",
    "title", "total", "updated", "url", "version", "weight", "width", "zone",
)  # fmt: skip
_LABELS = (
    "active", "archived", "blocked", "cancelled", "closed", "draft", "expired", "failed", "frozen",
    "hidden", "high", "internal", "low", "medium", "new", "open", "paused", "pending", "private",
    "public", "queued", "ready", "rejected", "retired", "running", "scheduled", "shared", "stale",
    "submitted", "suspended", "trial", "verified",
)  # fmt: skip
_COMMENTS = (
    "Maintained by the billing service.",
    "Imported nightly from the partner feed; do not edit by hand.",
    "Soft-deleted rows keep their history here.",
    "Owner's preferred value — shown as-is in the UI.",
    'Free text, e.g. "see ticket #42".',
    "Null until the first sync has run.",
)

# (kind, weight): the mix of non-key column types.
_KINDS = (
    ("text", 14),
    ("varchar", 10),
    ("bigint", 8),
    ("int", 8),
    ("bool", 8),
    ("timestamptz", 10),
    ("date", 5),
    ("numeric", 7),
    ("uuid", 5),
    ("jsonb", 5),
    ("text[]", 4),
    ("int[]", 3),
    ("enum", 9),
)


@dataclass(slots=True)
class _Table:
    name: str
    pk_type: str  # "uuid" | "bigint"; junction tables have no single-column key
    junction: bool
    fks: list[tuple[str, str]] = field(default_factory=list)  # (column, target table)
    plain: list[str] = field(default_factory=list)  # plain columns, for views


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(rng: random.Random, name: str, enums: list[tuple[str, list[str]]]) -> str:
    """One `name type [not null] [default ...]` column definition."""
    kinds, weights = zip(*_KINDS, strict=True)
    kind = rng.choices(kinds, weights)[0]
    if kind == "enum" and not enums:
        kind = "text"
    not_null = rng.random() < 0.4
    default: str | None = None
    with_default = rng.random() < 0.35
    match kind:
        case "text":
            sql_type = "text"
            default = _q(rng.choice(_LABELS)) if with_default else None
        case "varchar":
            sql_type = f"varchar({rng.choice((16, 32, 64, 255, 320))})"
            default = "''" if with_default else None
        case "bigint" | "int":
            sql_type = "bigint" if kind == "bigint" else "integer"
            default = str(rng.choice((0, 1, 10, 100))) if with_default else None
        case "bool":
            sql_type = "boolean"
            default = rng.choice(("true", "false")) if with_default else None
        case "timestamptz":
            sql_type = "timestamptz"
            default = "now()" if with_default else None
        case "date":
            sql_type = "date"
            default = "current_date" if with_default else None
        case "numeric":
            precision = rng.randint(6, 18)
            sql_type = f"numeric({precision}, {rng.randint(0, min(4, precision - 1))})"
            default = "0" if with_default else None
        case "uuid":
            sql_type = "uuid"
            default = "gen_random_uuid()" if with_default else None
        case "jsonb":
            sql_type = "jsonb"
            default = "'{}'" if with_default else None
        case "text[]" | "int[]":
            sql_type = "text[]" if kind == "text[]" else "integer[]"
            default = "'{}'" if with_default else None
        case _:
            enum_name, labels = rng.choice(enums)
            sql_type = f"public.{enum_name}"
            default = f"{_q(labels[0])}::public.{enum_name}" if with_default else None
    parts = [name, sql_type]
    if not_null:
        parts.append("not null")
    if default is not None:
        parts.append(f"default {default}")
    return " ".join(parts)


def make_schema_sql(tables: int, columns: int, enums: int, seed: int = 0) -> str:
    """The SQL creating one synthetic schema in `public` (deterministic for a given seed)."""
    if tables < 1 or columns < 4 or enums < 0:
        raise ValueError("need tables >= 1, columns >= 4, enums >= 0")
    rng = random.Random(seed)
    out: list[str] = []

    enum_defs: list[tuple[str, list[str]]] = []
    for e in range(enums):
        name = f"{rng.choice(_LABELS)}_kind_{e:04d}"
        labels = rng.sample(_LABELS, rng.randint(3, 8))
        enum_defs.append((name, labels))
        out.append(f"create type public.{name} as enum ({', '.join(_q(x) for x in labels)});")
        if rng.random() < 0.2:
            out.append(f"comment on type public.{name} is {_q(rng.choice(_COMMENTS))};")

    made: list[_Table] = []
    for i in range(tables):
        name = f"{rng.choice(_NOUNS)}_{i:04d}"
        entities = [t for t in made if not t.junction]
        junction = len(entities) >= 2 and rng.random() < JUNCTION_SHARE
        table = _Table(name, rng.choice(("uuid", "bigint")), junction)
        defs: list[str] = []
        if junction:
            left, right = rng.sample(entities, 2)
            for target in (left, right):
                column = f"{target.name}_id"
                defs.append(
                    f"{column} {target.pk_type} not null references public.{target.name} (id)"
                    " on delete cascade"
                )
                table.fks.append((column, target.name))
            defs.append(f"primary key ({table.fks[0][0]}, {table.fks[1][0]})")
            extra = max(1, columns // 5)
        else:
            if table.pk_type == "uuid":
                defs.append("id uuid primary key default gen_random_uuid()")
            else:
                defs.append("id bigint generated always as identity primary key")
            n_fks = min(len(entities), rng.choice((0, 1, 1, 2, 3)))
            for target in rng.sample(entities, n_fks) if n_fks else []:
                column = f"{target.name}_id"
                null = " not null" if rng.random() < 0.5 else ""
                defs.append(f"{column} {target.pk_type}{null} references public.{target.name} (id)")
                table.fks.append((column, target.name))
            extra = columns - 1 - n_fks + rng.randint(-2, 2)
        for k in range(max(1, extra)):
            column = f"{rng.choice(_WORDS)}_{k}"
            defs.append(_column(rng, column, enum_defs))
            table.plain.append(column)
        body = ",\n  ".join(defs)
        out.append(f"create table public.{name} (\n  {body}\n);")
        if rng.random() < 0.3:
            out.append(f"comment on table public.{name} is {_q(rng.choice(_COMMENTS))};")
        for column in table.plain:
            if rng.random() < 0.08:
                out.append(
                    f"comment on column public.{name}.{column} is {_q(rng.choice(_COMMENTS))};"
                )
        made.append(table)

    with_fk = [t for t in made if t.fks and not t.junction]
    by_name = {t.name: t for t in made}
    for v in range(max(1, tables // TABLES_PER_VIEW) if with_fk else 0):
        base = rng.choice(with_fk)
        fk_column, target_name = rng.choice(base.fks)
        target = by_name[target_name]
        select = ["a.id", f"b.id as {target_name}_id"]
        select += [f"a.{c}" for c in rng.sample(base.plain, min(3, len(base.plain)))]
        select += [f"b.{c} as b_{c}" for c in rng.sample(target.plain, min(2, len(target.plain)))]
        name = f"{base.name}_view_{v:03d}"
        out.append(
            f"create view public.{name} as\nselect {', '.join(select)}\n"
            f"from public.{base.name} a\njoin public.{target_name} b on b.id = a.{fk_column};"
        )
        if rng.random() < 0.5:
            out.append(f"comment on view public.{name} is {_q(rng.choice(_COMMENTS))};")
    return "\n\n".join(out) + "\n"


def preset_sql(name: str, seed: int = 0) -> str:
    """The SQL of a named preset (big10, big1000, big5000)."""
    try:
        tables, columns, enums = PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
    return make_schema_sql(tables, columns, enums, seed)


def load(server: TempServer, dbname: str, sql: str) -> str:
    """Create database `dbname` on `server`, apply `sql` with one psql call, return its dsn."""
    dsn = server.create_database(dbname)
    server.psql(sql, dbname)
    return dsn


# --- an application on the generated package, and a migration that breaks part of it ---------

APP_FILES = 200
HELPER_SHARE = 0.15  # modules that never import the package (the scan's pre-filter skips them)
DRIFT_ENUM_SHARE = 0.05  # enums that get a label renamed
DRIFT_DROP_SHARE = 0.02  # tables that lose a column
DRIFT_RETYPE_SHARE = 0.01  # tables whose integer column becomes text


def _view_columns(db: ir.Database) -> set[tuple[str, str]]:
    """(table, column) pairs the views of make_schema_sql select: they block DROP and TYPE."""
    used: set[tuple[str, str]] = set()
    for view in db.tables:
        if not view.is_view or "_view_" not in view.name:
            continue
        base = view.name.rsplit("_view_", 1)[0]
        names = [c.name for c in view.columns]
        target = next((n[: -len("_id")] for n in names if n.endswith("_id")), None)
        for name in names:
            if name.startswith("b_") and target is not None:
                used.add((target, name[2:]))
            else:
                used.add((base, name))
    return used


def _plain_columns(table: ir.Table) -> list[ir.Column]:
    """The columns make_schema_sql added after the key and foreign keys."""
    keys = set(table.primary_key.columns if table.primary_key else ())
    fks = {c for fk in table.foreign_keys for c in fk.columns}
    return [c for c in table.columns if c.name not in keys | fks and c.name != "id"]


def drift_sql(db: ir.Database, seed: int = 0) -> str:
    """A migration that renames enum labels, drops columns and retypes integer columns to text."""
    rng = random.Random(seed + 1)
    out: list[str] = []
    enums = sorted(db.enums, key=lambda e: e.name)
    for enum in rng.sample(enums, max(1, round(len(enums) * DRIFT_ENUM_SHARE)) if enums else 0):
        label = rng.choice(enum.labels)
        out.append(
            f"alter type public.{enum.name} rename value {_q(label)} to {_q(label + '_v2')};"
        )
    used = _view_columns(db)
    tables = [
        t for t in sorted(db.tables, key=lambda t: t.name) if not t.is_view and _plain_columns(t)
    ]
    dropped = rng.sample(tables, max(1, round(len(tables) * DRIFT_DROP_SHARE)))
    for table in dropped:
        free = [c for c in _plain_columns(table) if (table.name, c.name) not in used]
        if free:
            out.append(f"alter table public.{table.name} drop column {rng.choice(free).name};")
    retyped = 0
    for table in rng.sample(tables, len(tables)):
        if retyped >= max(1, round(len(tables) * DRIFT_RETYPE_SHARE)):
            break
        ints = [
            c
            for c in _plain_columns(table)
            if c.type.name in ("int4", "int8") and (table.name, c.name) not in used
        ]
        if ints and table not in dropped:
            column = rng.choice(ints).name
            out.append(
                f"alter table public.{table.name} alter column {column} drop default, "
                f"alter column {column} type text using {column}::text;"
            )
            retyped += 1
    return "\n".join(out) + "\n"


def make_app(
    db: ir.Database,
    names: GeneratedNames,
    *,
    files: int = APP_FILES,
    seed: int = 0,
    package: str = "schemas",
) -> dict[str, str]:
    """An application of `files` modules on the generated package: relative path -> source."""
    rng = random.Random(seed + 2)
    tables = sorted(
        (t for t in db.tables if not t.is_view and t.qualified_name in names.relations),
        key=lambda t: t.name,
    )
    enums = sorted(names.enums.items())
    enum_of = {e.qualified_name: e for e in db.enums}
    out: dict[str, str] = {"app/__init__.py": '"""The benchmark application."""\n'}
    for i in range(files):
        path = f"app/module_{i:03d}.py"
        if rng.random() < HELPER_SHARE or not tables:
            out[path] = _helper_module(i, rng)
            continue
        chosen = rng.sample(tables, min(len(tables), rng.randint(3, 6)))
        out[path] = _service_module(i, chosen, names, enums, enum_of, rng, package)
    return out


def _helper_module(i: int, rng: random.Random) -> str:
    word = rng.choice(_WORDS)
    return f'''"""Helpers {i:03d}: text and number formatting, no database types."""

from __future__ import annotations


def clean_{word}(value: str) -> str:
    """{word} without surrounding blanks, lower case."""
    return value.strip().lower()


def ratio_{word}(part: float, whole: float) -> float:
    """part / whole, 0 for an empty whole."""
    return 0.0 if whole == 0 else round(part / whole, {rng.randint(1, 4)})


def chunks_{word}(items: list[str], size: int = {rng.randint(2, 50)}) -> list[list[str]]:
    """items in lists of at most size."""
    return [items[k : k + size] for k in range(0, len(items), size)]
'''


def _service_module(
    i: int,
    chosen: list[ir.Table],
    names: GeneratedNames,
    enums: list[tuple[str, EnumNames]],
    enum_of: dict[str, ir.Enum],
    rng: random.Random,
    package: str,
) -> str:
    imports: set[str] = set()
    models: set[str] = set()
    body: list[str] = []
    for table in chosen:
        rel = names.relations[table.qualified_name]
        row = rel.typeddicts[0]
        insert = rel.typeddicts[1] if len(rel.typeddicts) > 1 else None
        model = rel.models[0] if rel.models else None
        plain = [c.name for c in _plain_columns(table)] or [table.columns[0].name]
        picked = rng.sample(plain, min(len(plain), 4))
        fn = f"{table.name}_{i:03d}"
        imports.add(row)
        body.append(
            f'''
def load_{fn}(rows: list[{row}]) -> list[{row}]:
    """The rows whose {picked[0]} is set."""
    return [r for r in rows if r["{picked[0]}"] is not None]


def describe_{fn}(row: {row}) -> str:
    """One line about a row, for logs."""
    return f"{{row.get('{picked[-1]}')}} / {{row['{picked[len(picked) // 2]}']}}"


def count_{fn}(rows: list[{row}]) -> int:
    """How many rows have every picked column set."""
    total = 0
    for row in load_{fn}(rows):
        if {" and ".join(f'row["{c}"] is not None' for c in picked)}:
            total += 1
    return total
'''
        )
        if insert is not None:
            imports.add(insert)
            values = ", ".join(f'"{c}": None' for c in picked[:2])
            body.append(
                f'''
def new_{fn}() -> {insert}:
    """A row to insert, the rest left to the defaults."""
    payload: {insert} = {{{values}}}
    return payload
'''
            )
        for column in table.columns:
            enum = enum_of.get(f"{column.type.schema}.{column.type.name}")
            if column.type.kind == "enum" and enum is not None:
                en = names.enums[enum.qualified_name]
                member = rng.choice(en.members)[1]
                imports.add(en.cls)
                body.append(
                    f'''
def is_{member.lower()}_{fn}_{column.name}(row: {row}) -> bool:
    """Whether the row's {column.name} is {member}."""
    return row["{column.name}"] == {en.cls}.{member}
'''
                )
                break
        if model is not None and rng.random() < 0.5:
            models.add(model)
            body.append(
                f'''
def to_model_{fn}(row: {row}) -> {model}:
    """The API body of a row."""
    return {model}.model_validate(row)
'''
            )
    if enums and rng.random() < 0.5:
        _qn, en = rng.choice(enums)
        cls, member = en.cls, rng.choice(en.members)[1]
        imports.add(cls)
        body.append(
            f'''
def default_state_{i:03d}() -> {cls}:
    """The state new records start in."""
    return {cls}.{member}
'''
        )
    head = [
        f'"""Service module {i:03d} of the benchmark application: rules on generated rows."""',
        "",
        "from __future__ import annotations",
        "",
        f"from {package} import {', '.join(sorted(imports))}",
    ]
    if models:
        head.append(f"from {package}.generated.fastapi import {', '.join(sorted(models))}")
    return "\n".join(head) + "\n\n" + "\n".join(body)
