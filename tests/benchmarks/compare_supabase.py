"""`make compare-supabase`: sync-schema against `supabase gen types --lang=python`, side by side.

    python -m tests.benchmarks.compare_supabase [--runs 5] [--databases example,pagila,big1000]
                                                [--postgres-meta-version 0.99.0]
                                                [--json compare-supabase.json] [--markdown]
                                                [--from-json FILE]

`supabase gen types --lang=python` starts the postgres-meta image and runs `node
dist/server/server.js` in it with PG_META_GENERATE_TYPES=python: postgres-meta introspects the
database, hands the result to @supabase/postgrest-typegen's Python generator, prints the module to
stdout and exits. This script runs that same entry point with the same variables, from the npm
package installed (once) into .cache/postgres-meta/, so the container's start-up is not counted.

One throwaway PostgreSQL server holds the databases: `example` (supabase/migrations), `pagila`
(pagila-schema.sql, plus pagila-data.sql if present, from $PAGILA_DIR, default .cache/pagila;
skipped with a note when absent) and `big1000` (tests/benchmarks/bigschema.py). Per database:

* one unmeasured run of each tool, whose output is checked: imported (every module, in a fresh
  interpreter; Pydantic models that cannot be built are counted), `mypy --strict`, and objects
  counted from the generated source with `ast`, next to the catalog's own counts;
* `--runs` measured runs of each tool, alternating which goes first, each a separate process: wall
  time and peak RSS (os.wait4), and whether every run wrote the same bytes as the first.

postgres-meta reaches the server's unix socket through `postgresql://postgres@localhost/DB?host=
SOCKETDIR`: its WHATWG URL parser rejects an empty host, and node-pg lets the `host` parameter
win over the nominal one. The server listens on no TCP address at all. A measurement, not a test:
exit status 0 whatever the numbers; 2 when a tool fails or cannot be installed.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sync_schema import __version__
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import SyncSchemaError
from tests.benchmarks import bigschema
from tests.benchmarks.harness import (
    REPO,
    BenchError,
    Sample,
    add_output_arguments,
    environment,
    finish,
    load_results,
    run_child,
    summary,
    table,
)
from tests.benchmarks.run import child_env

PGMETA_PACKAGE = "@supabase/postgres-meta"
PGMETA_VERSION = "0.99.0"
PGMETA_CACHE = REPO / ".cache" / "postgres-meta"
PAGILA_ENV = "PAGILA_DIR"
PAGILA_DEFAULT = REPO / ".cache" / "pagila"
DATABASES = ("example", "pagila", "big1000")
BIG_PRESET = "big1000"
OURS_PACKAGE = "schemas"
THEIRS_PACKAGE = "supabase_types"
# LAST_SYNC is the only clock-derived value in a fresh tree; pinning it makes runs comparable.
FIXED_EPOCH = "1767225600"

_CATALOG_SQL = """
with rel as (
  select c.relkind, c.relispartition, c.relname
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public'
)
select json_build_object(
  'tables', (select count(*) from rel where relkind in ('r', 'p') and not relispartition),
  'partitions', (select count(*) from rel where relkind in ('r', 'p') and relispartition),
  'views', (select count(*) from rel where relkind = 'v'),
  'materialized_views', (select count(*) from rel where relkind = 'm'),
  'enums', (
    select count(*) from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = 'public' and t.typtype = 'e'
  ),
  'functions', (
    select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prokind = 'f'
      and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
      and not exists (
        select 1 from pg_depend d
        where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e'
      )
  ),
  'composite_type_names', (
    select coalesce(json_agg(relname order by relname), '[]') from rel where relkind = 'c'
  )
)
"""

# Run in a fresh interpreter: import the package and every submodule, then build each Pydantic
# model, since an annotation naming an undefined class only fails when the model is built.
_IMPORT_CHECK = """
import importlib, inspect, json, pkgutil, sys
name = sys.argv[1]
report = {"error": None, "modules": 0, "models": 0, "unusable_models": []}
try:
    package = importlib.import_module(name)
    modules = [package] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, name + ".")
    ]
except Exception as exc:
    report["error"] = f"{type(exc).__name__}: {exc}"[:500]
else:
    from pydantic import BaseModel
    report["modules"] = len(modules)
    for module in modules:
        for obj in list(vars(module).values()):
            if not (inspect.isclass(obj) and issubclass(obj, BaseModel)):
                continue
            if obj.__module__ != module.__name__:
                continue
            report["models"] += 1
            try:
                obj.model_rebuild(raise_errors=True)
            except Exception as exc:
                report["unusable_models"].append(f"{obj.__name__}: {type(exc).__name__}")
print(json.dumps(report))
"""

_MYPY_ERROR = re.compile(r"^.+?:\d+: error: ")


@dataclass(frozen=True, slots=True)
class OutputCounts:
    """What one tool's generated Python defines, counted with `ast`."""

    tables: int
    views: int  # views and materialized views
    enums: int
    functions: int
    composite_types: int
    row_fields: int  # fields of the table and view row classes
    any_fields: int  # of those, typed Any or a container of Any
    view_fields: int
    view_fields_not_null: int


# --- counting objects in generated source ----------------------------------------------------


def _strip_wrappers(annotation: ast.expr) -> ast.expr:
    """The value type under NotRequired[...], Required[...] and Annotated[..., metadata]."""
    while (
        isinstance(annotation, ast.Subscript)
        and isinstance(annotation.value, ast.Name)
        and annotation.value.id in ("NotRequired", "Required", "Annotated")
    ):
        inner = annotation.slice
        annotation = inner.elts[0] if isinstance(inner, ast.Tuple) else inner
    return annotation


def is_nullable(annotation: ast.expr) -> bool:
    """Whether an annotation admits None: Optional[X], X | None (wrappers looked through)."""
    annotation = _strip_wrappers(annotation)
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        return annotation.value.id == "Optional"
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return any(
            (isinstance(side, ast.Constant) and side.value is None) or is_nullable(side)
            for side in (annotation.left, annotation.right)
        )
    return isinstance(annotation, ast.Constant) and annotation.value is None


def _mentions_any(annotation: ast.expr) -> bool:
    return any(isinstance(node, ast.Name) and node.id == "Any" for node in ast.walk(annotation))


def _base_names(node: ast.ClassDef) -> set[str]:
    return {b.id for b in node.bases if isinstance(b, ast.Name)} | {
        b.attr for b in node.bases if isinstance(b, ast.Attribute)
    }


def _class_fields(node: ast.ClassDef) -> list[ast.expr]:
    return [
        s.annotation
        for s in node.body
        if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
    ]


def typed_dicts(module: ast.Module) -> dict[str, list[ast.expr]]:
    """Module-level TypedDicts, class or functional syntax: name -> field annotations."""
    found: dict[str, list[ast.expr]] = {}
    for node in module.body:
        if isinstance(node, ast.ClassDef) and "TypedDict" in _base_names(node):
            found[node.name] = _class_fields(node)
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "TypedDict"
            and len(node.value.args) >= 2
            and isinstance(node.value.args[1], ast.Dict)
        ):
            found[node.targets[0].id] = list(node.value.args[1].values)
    return found


def _public_functions(module: ast.Module) -> int:
    return sum(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_")
        for n in module.body
    )


def _row_stats(tables: list[list[ast.expr]], views: list[list[ast.expr]]) -> dict[str, int]:
    fields = [f for row in (*tables, *views) for f in row]
    view_fields = [f for row in views for f in row]
    return {
        "row_fields": len(fields),
        "any_fields": sum(_mentions_any(_strip_wrappers(f)) for f in fields),
        "view_fields": len(view_fields),
        "view_fields_not_null": sum(not is_nullable(f) for f in view_fields),
    }


def count_sync_schema(files: Mapping[str, str]) -> OutputCounts:
    """Count what a generated sync-schema tree defines; `files` maps relative paths to source.

    tables: the `*Row` TypedDicts of database/entities.py and database/relationships.py (each
    table has one, beside its Insert and Update); views: the `*Row` TypedDicts of
    database/views.py (views and materialized views get rows only); enums: the public classes of
    enums.py deriving from Enum, directly or through a base defined there; functions: the `*Args`
    TypedDicts of database/functions.py (one per function, beside its Returns alias); composite
    types: the TypedDicts of database/types.py. Only the flat (primary) schema's modules count.
    """
    modules = {rel: ast.parse(src) for rel, src in files.items() if rel.endswith(".py")}

    def dicts(rel: str, suffix: str = "") -> list[list[ast.expr]]:
        tree = modules.get(rel)
        found = typed_dicts(tree) if tree is not None else {}
        return [fields for name, fields in found.items() if name.endswith(suffix)]

    def rows(rel: str) -> list[list[ast.expr]]:
        return dicts(rel, "Row")

    table_rows = rows("database/entities.py") + rows("database/relationships.py")
    view_rows = rows("database/views.py")
    enum_classes: set[str] = {"Enum", "StrEnum"}
    enum_tree = modules.get("enums.py")
    for node in enum_tree.body if enum_tree is not None else []:
        if isinstance(node, ast.ClassDef) and _base_names(node) & enum_classes:
            enum_classes.add(node.name)
    enums = [n for n in enum_classes - {"Enum", "StrEnum"} if not n.startswith("_")]
    return OutputCounts(
        tables=len(table_rows),
        views=len(view_rows),
        enums=len(enums),
        functions=len(dicts("database/functions.py", "Args")),
        composite_types=len(dicts("database/types.py")),
        **_row_stats(table_rows, view_rows),
    )


def typegen_class_name(schema: str, name: str) -> str:
    """The class name postgrest-typegen gives `schema.name`: each alphanumeric run capitalised."""

    def pascal(text: str) -> str:
        return "".join(w[0].upper() + w[1:] for w in re.split(r"[^a-zA-Z0-9]", text) if w)

    return pascal(schema) + pascal(name)


def count_supabase(source: str, composite_classes: Collection[str] = ()) -> OutputCounts:
    """Count what one postgrest-typegen Python module defines.

    tables: each `class X(BaseModel)` for which `XInsert` and `XUpdate` TypedDicts exist (a table
    gets all three); enums: the `X: TypeAlias = Literal[...]` aliases; composite types: the other
    BaseModels whose name is in `composite_classes` (the source alone cannot tell them from views:
    both are bare BaseModels, so the catalog's composite type names, named the way the generator
    names them, decide); views: the remaining BaseModels (views and materialized views);
    functions: public module-level `def`s (the Python generator emits none).
    """
    module = ast.parse(source)
    dicts = typed_dicts(module)
    models = {
        n.name: _class_fields(n)
        for n in module.body
        if isinstance(n, ast.ClassDef) and "BaseModel" in _base_names(n)
    }
    enums = [
        n
        for n in module.body
        if isinstance(n, ast.AnnAssign)
        and isinstance(n.annotation, ast.Name)
        and n.annotation.id == "TypeAlias"
        and isinstance(n.value, ast.Subscript)
        and isinstance(n.value.value, ast.Name)
        and n.value.value.id == "Literal"
    ]
    tables = [f for n, f in models.items() if f"{n}Insert" in dicts and f"{n}Update" in dicts]
    others = {n: f for n, f in models.items() if f"{n}Insert" not in dicts}
    composites = [n for n in others if n in composite_classes]
    views = [f for n, f in others.items() if n not in composite_classes]
    return OutputCounts(
        tables=len(tables),
        views=len(views),
        enums=len(enums),
        functions=_public_functions(module),
        composite_types=len(composites),
        **_row_stats(tables, views),
    )


# --- the tools -------------------------------------------------------------------------------


def _npm_version(package_dir: Path) -> str | None:
    manifest = package_dir / "package.json"
    if not manifest.is_file():
        return None
    version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    return version if isinstance(version, str) else None


def pgmeta_dir(cache: Path = PGMETA_CACHE) -> Path:
    """Where npm puts @supabase/postgres-meta under the cache directory."""
    return cache / "node_modules" / PGMETA_PACKAGE


def ensure_postgres_meta(version: str, cache: Path = PGMETA_CACHE) -> dict[str, str]:
    """Install @supabase/postgres-meta@version into `cache` unless it is there; tool versions."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        raise BenchError("node and npm are needed to run postgres-meta (Node.js >= 20)")
    if _npm_version(pgmeta_dir(cache)) != version:
        cache.mkdir(parents=True, exist_ok=True)
        manifest = cache / "package.json"
        if not manifest.exists():
            # Without its own package.json npm would look for one in the directories above.
            manifest.write_text('{"name": "compare-supabase-cache", "private": true}\n')
        print(f"installing {PGMETA_PACKAGE}@{version} into {cache} ...", file=sys.stderr)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(cache),
                "--no-audit",
                "--no-fund",
                "--omit=dev",
                # Type generation needs no native add-on (the optional profiler is one).
                "--ignore-scripts",
                "--loglevel=error",
                f"{PGMETA_PACKAGE}@{version}",
            ],
            check=True,
        )
        if _npm_version(pgmeta_dir(cache)) != version:
            raise BenchError(f"{PGMETA_PACKAGE}@{version} is still missing from {cache}")
    node_version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    typegen = pgmeta_dir(cache).parent / "postgrest-typegen"
    return {
        "postgres-meta": version,
        "postgrest-typegen": _npm_version(typegen) or "unknown",
        "node": node_version.removeprefix("v"),
    }


def node_url(server: TempServer, dbname: str) -> str:
    """The URL node-pg (and postgres-meta's URL parsing) accepts for the server's unix socket."""
    socket_dir = quote(str(server.socket_dir), safe="/")
    return f"postgresql://postgres@localhost/{quote(dbname, safe='')}?host={socket_dir}&port=5432"


def pgmeta_env(url: str) -> dict[str, str]:
    """The variables the Supabase CLI's container gets for `gen types --lang=python`."""
    return {
        **child_env(),
        "PG_META_DB_URL": url,
        "PG_META_GENERATE_TYPES": "python",
        "PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS": "public",
        "PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS": "true",
    }


def _tree_files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _digest(files: Mapping[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return h.hexdigest()


# --- checks on an output ---------------------------------------------------------------------


def check_imports(parent: Path, package: str) -> dict[str, Any]:
    """Import `package` (in `parent`) and all its modules in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, package],
        cwd=parent,
        env={**child_env(), "PYTHONPATH": str(parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "error": tail, "modules": 0, "models": 0, "unusable_models": []}
    report: dict[str, Any] = json.loads(lines[-1])
    report["ok"] = report["error"] is None
    return report


def check_mypy(parent: Path, package: str) -> dict[str, Any]:
    """`mypy --strict` on `package` with an empty config, as the suite checks generated trees."""
    config = parent / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(config),
            "--cache-dir",
            str(parent / ".mypy_cache"),
            "--no-color-output",
            "--no-error-summary",
            package,
        ],
        cwd=parent,
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [ln for ln in result.stdout.splitlines() if _MYPY_ERROR.match(ln)]
    return {
        "ok": result.returncode == 0,
        "returncode": result.returncode,
        "errors": len(errors),
        "first_errors": errors[:3] or result.stderr.strip().splitlines()[-3:],
        "seconds": time.perf_counter() - start,
    }


# --- measuring -------------------------------------------------------------------------------


def catalog_counts(server: TempServer, dbname: str) -> dict[str, Any]:
    """The catalog's own counts for schema public, and its composite type names."""
    counts: dict[str, Any] = json.loads(server.psql(_CATALOG_SQL, dbname))
    return counts


def pagila_files(directory: Path) -> list[Path] | None:
    """pagila-schema.sql (+ pagila-data.sql when present), or None without the schema."""
    schema = directory / "pagila-schema.sql"
    if not schema.is_file():
        return None
    data = directory / "pagila-data.sql"
    return [schema, data] if data.is_file() else [schema]


def load_databases(
    server: TempServer, names: list[str], seed: int, pagila_dir: Path
) -> Iterator[tuple[str, str, str]]:
    """Create and fill each database; yield (name, libpq dsn, what it holds)."""
    for name in names:
        start = time.perf_counter()
        if name == "example":
            dsn = server.create_database(name)
            files = apply_migrations(dsn, REPO / "supabase" / "migrations", pg_bin=server.pg_bin)
            about = f"supabase/migrations ({len(files)} files)"
        elif name == "pagila":
            sql_files = pagila_files(pagila_dir)
            if sql_files is None:
                print(
                    f"note: Pagila skipped: no {pagila_dir / 'pagila-schema.sql'} "
                    f"(set {PAGILA_ENV}; see README)",
                    file=sys.stderr,
                )
                continue
            dsn = server.create_database(name)
            for sql_file in sql_files:
                server.psql(sql_file.read_text(encoding="utf-8"), name)
            about = " + ".join(p.name for p in sql_files)
        else:
            dsn = bigschema.load(server, name, bigschema.preset_sql(BIG_PRESET, seed))
            tables, columns, enums = bigschema.PRESETS[BIG_PRESET]
            about = f"bigschema {BIG_PRESET}: {tables} tables x {columns} columns, {enums} enums"
        print(f"[{name}] loaded in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        yield name, dsn, about


def measure_database(
    server: TempServer, name: str, dsn: str, runs: int, work: Path
) -> dict[str, Any]:
    """Warm-up runs with checks, then `runs` alternating measured runs of each tool."""
    catalog = catalog_counts(server, name)
    composite_classes = {typegen_class_name("public", n) for n in catalog["composite_type_names"]}
    ours_env = {**child_env(), "SOURCE_DATE_EPOCH": FIXED_EPOCH}
    theirs_env = pgmeta_env(node_url(server, name))
    node = shutil.which("node") or "node"
    server_js = pgmeta_dir() / "dist" / "server" / "server.js"
    base = work / name
    digests: dict[str, list[str]] = {"ours": [], "theirs": []}

    def ours(parent: Path) -> tuple[Sample, dict[str, str]]:
        out = parent / OURS_PACKAGE
        argv = [sys.executable, "-m", "sync_schema", "generate", "--db-url", dsn, "--out", str(out)]
        sample = run_child(argv, env=ours_env)
        files = _tree_files(out)
        digests["ours"].append(_digest(files))
        return sample, files

    def theirs(parent: Path) -> tuple[Sample, dict[str, str]]:
        out = parent / THEIRS_PACKAGE / "__init__.py"
        out.parent.mkdir(parents=True)
        sample = run_child([node, str(server_js)], env=theirs_env, stdout=out)
        files = {"__init__.py": out.read_text(encoding="utf-8")}
        if not files["__init__.py"].strip():
            raise BenchError(f"postgres-meta printed nothing for database {name!r}")
        digests["theirs"].append(_digest(files))
        return sample, files

    print(f"[{name}] warm-up run of each ...", file=sys.stderr, flush=True)
    ours_ref, theirs_ref = base / "ours-ref", base / "theirs-ref"
    _, ours_files = ours(ours_ref)
    _, theirs_files = theirs(theirs_ref)

    samples: dict[str, list[Sample]] = {"ours": [], "theirs": []}
    tools: dict[str, Callable[[Path], tuple[Sample, dict[str, str]]]] = {
        "ours": ours,
        "theirs": theirs,
    }
    for i in range(runs):
        order = ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")
        for tool in order:
            run_dir = Path(tempfile.mkdtemp(prefix=f"{tool}-", dir=base))
            samples[tool].append(tools[tool](run_dir)[0])
            shutil.rmtree(run_dir)
        print(
            f"[{name}] run {i + 1}/{runs}: sync-schema {samples['ours'][-1].seconds:.3f} s, "
            f"postgres-meta {samples['theirs'][-1].seconds:.3f} s",
            file=sys.stderr,
            flush=True,
        )

    print(f"[{name}] import and mypy --strict checks ...", file=sys.stderr, flush=True)
    # Run i of each tool ran back to back: their ratio is less sensitive to other load than medians.
    ratios = [
        o.seconds / t.seconds for o, t in zip(samples["ours"], samples["theirs"], strict=True)
    ]
    entry: dict[str, Any] = {"catalog": catalog, "median_ratio": statistics.median(ratios)}
    for tool, parent, package, files, counts in (
        ("ours", ours_ref, OURS_PACKAGE, ours_files, count_sync_schema(ours_files)),
        (
            "theirs",
            theirs_ref,
            THEIRS_PACKAGE,
            theirs_files,
            count_supabase(theirs_files["__init__.py"], composite_classes),
        ),
    ):
        entry[tool] = {
            **summary(samples[tool]),
            "identical_runs": len(set(digests[tool])) == 1,
            "files": len(files),
            "python_bytes": sum(len(s.encode()) for r, s in files.items() if r.endswith(".py")),
            "counts": asdict(counts),
            "imports": check_imports(parent, package),
            "mypy": check_mypy(parent, package),
        }
    return entry


def measure(names: list[str], runs: int, seed: int, pgmeta_version: str) -> dict[str, Any]:
    """Install postgres-meta, load the databases, measure both tools on each."""
    versions = ensure_postgres_meta(pgmeta_version)
    pagila_dir = Path(os.environ.get(PAGILA_ENV) or PAGILA_DEFAULT)
    mypy_version = subprocess.run(
        [sys.executable, "-m", "mypy", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    results: dict[str, Any] = {
        "environment": {
            **environment(),
            "sync_schema": __version__,
            "tools": versions,
            "mypy": mypy_version,
            "memory_gib": _memory_gib(),
            "load_average_1m": {"start": os.getloadavg()[0]},
        },
        "runs": runs,
        "seed": seed,
        "databases": {},
        "skipped": [],
    }
    with TempServer() as server, tempfile.TemporaryDirectory(prefix="compare-supabase-") as tmp:
        results["environment"]["postgres_major"] = server.major_version
        loaded: set[str] = set()
        for name, dsn, about in load_databases(server, names, seed, pagila_dir):
            loaded.add(name)
            entry = measure_database(server, name, dsn, runs, Path(tmp))
            results["databases"][name] = {"about": about, **entry}
        results["skipped"] = [n for n in names if n not in loaded]
    results["environment"]["load_average_1m"]["end"] = os.getloadavg()[0]
    return results


def _memory_gib() -> float | None:
    try:
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii")
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


# --- output ----------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def _check_cell(check: dict[str, Any], kind: str) -> str:
    if check["ok"]:
        return "PASS"
    if kind == "mypy":
        errors = check["errors"]
        return f"FAIL ({errors} error{'s' if errors > 1 else ''})" if errors else "FAIL"
    return "FAIL"


def render(results: dict[str, Any], *, markdown: bool = False) -> str:
    """The side-by-side table, the output details and the notes."""
    env = results["environment"]
    tools = env["tools"]
    names = {
        "ours": f"sync-schema {env['sync_schema']}",
        "theirs": f"postgres-meta {tools['postgres-meta']}",
    }
    main_rows: list[list[str]] = []
    detail_rows: list[list[str]] = []
    notes: list[str] = []
    for db, entry in results["databases"].items():
        cat = entry["catalog"]
        tables = str(cat["tables"])
        if cat["partitions"]:
            tables += f" (+{cat['partitions']} partitions)"
        views = cat["views"] + cat["materialized_views"]
        main_rows.append(
            [
                db,
                "catalog",
                tables,
                str(views),
                str(cat["enums"]),
                str(cat["functions"]),
                str(len(cat["composite_type_names"])),
                "",
                "",
                "",
                "",
            ]
        )
        for tool in ("ours", "theirs"):
            t = entry[tool]
            c = t["counts"]
            imports = t["imports"]
            main_rows.append(
                [
                    db,
                    names[tool],
                    str(c["tables"]),
                    str(c["views"]),
                    str(c["enums"]),
                    str(c["functions"]),
                    str(c["composite_types"]),
                    _check_cell(imports, "imports"),
                    _check_cell(t["mypy"], "mypy"),
                    _seconds(t["median_s"]),
                    f"{t['peak_rss_mib']:.0f} MiB",
                ]
            )
            unusable = len(imports["unusable_models"])
            detail_rows.append(
                [
                    db,
                    names[tool],
                    f"{t['files']} / {t['python_bytes'] / 1024:.0f} KiB",
                    f"{c['view_fields_not_null']} of {c['view_fields']}",
                    str(c["any_fields"]),
                    f"{unusable} of {imports['models']}" if imports["ok"] else "-",
                    "yes" if t["identical_runs"] else "no",
                    f"{_seconds(t['min_s'])} - {_seconds(t['max_s'])}",
                ]
            )
            if not imports["ok"]:
                notes.append(f"{db}, {names[tool]}: import failed: {imports['error']}")
            if unusable:
                shown = ", ".join(imports["unusable_models"][:3])
                notes.append(f"{db}, {names[tool]}: models that cannot be built: {shown}")
            for line in t["mypy"]["first_errors"] if not t["mypy"]["ok"] else []:
                notes.append(f"{db}, {names[tool]}: mypy: {line[:160]}")
    ratios = ", ".join(f"{db} {e['median_ratio']:.2f}" for db, e in results["databases"].items())
    load = env.get("load_average_1m", {})
    heading = "### " if markdown else ""
    about = (
        f"{results['runs']} runs per tool, alternating; sync-schema {env['sync_schema']} "
        f"({env.get('git_commit')}), postgres-meta {tools['postgres-meta']} with "
        f"postgrest-typegen {tools['postgrest-typegen']} on Node {tools['node']}; "
        f"Python {env['python']}, {env['mypy']}, PostgreSQL {env.get('postgres_major')}, "
        f"{env['cpus']} CPUs, {env.get('memory_gib')} GiB, {env['platform']}; "
        f"1-minute load average {load.get('start', 0):.1f} at start, {load.get('end', 0):.1f} at end"
    )
    parts = [
        f"{heading}sync-schema generate vs supabase gen types --lang=python (postgres-meta)",
        "",
        table(
            [
                "database",
                "source",
                "tables",
                "views",
                "enums",
                "functions",
                "composite types",
                "imports",
                "mypy --strict",
                "median",
                "peak RSS",
            ],
            main_rows,
            markdown=markdown,
        ),
        "",
        f"sync-schema / postgres-meta wall time, median of the per-run ratios: {ratios}",
        "",
        f"{heading}Output details",
        "",
        table(
            [
                "database",
                "tool",
                "files / Python",
                "view columns NOT NULL",
                "row fields typed Any",
                "models unusable",
                "same bytes every run",
                "min - max",
            ],
            detail_rows,
            markdown=markdown,
        ),
    ]
    parts.append("")
    for db, about_db in ((db, e["about"]) for db, e in results["databases"].items()):
        parts.append(f"{'- ' if markdown else '  '}{db}: {about_db}")
    for skipped in results.get("skipped", []):
        parts.append(f"{'- ' if markdown else '  '}{skipped}: skipped (not available)")
    if notes:
        parts += ["", f"{heading}Notes", "", *(f"- {n}" for n in notes)]
    parts += ["", ("_" + about + "_") if markdown else about]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tests.benchmarks.compare_supabase`."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.compare_supabase",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per tool (default 5)")
    parser.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help=f"comma-separated, from {', '.join(DATABASES)}",
    )
    parser.add_argument(
        "--postgres-meta-version",
        default=PGMETA_VERSION,
        help=f"the {PGMETA_PACKAGE} release to install and run (default {PGMETA_VERSION})",
    )
    add_output_arguments(parser, REPO / "compare-supabase.json")
    args = parser.parse_args(argv)
    results = load_results(args)
    if results is None:
        names = [n.strip() for n in args.databases.split(",") if n.strip()]
        unknown = [n for n in names if n not in DATABASES]
        if unknown or not names or args.runs < 1:
            parser.error(f"--databases takes {', '.join(DATABASES)} and --runs >= 1")
        try:
            results = measure(names, args.runs, args.seed, args.postgres_meta_version)
        except (BenchError, SyncSchemaError, subprocess.CalledProcessError) as exc:
            print(f"comparison failed: {exc}", file=sys.stderr)
            print(
                "hint: node >= 20 and npm must be on PATH and the npm registry reachable;"
                f" delete {PGMETA_CACHE} to reinstall postgres-meta",
                file=sys.stderr,
            )
            return 2
    return finish(args, results, render)


if __name__ == "__main__":
    sys.exit(main())
