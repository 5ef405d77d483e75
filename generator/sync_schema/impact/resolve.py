"""Resolve names imported from the generated package to its modules and classes."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Literal

#: Where an imported name comes from: "models" is `generated.fastapi` (Pydantic), "types" the rest.
ModuleLayer = Literal["types", "models"]


_SUBMODULES = frozenset(
    {
        "enums",
        "json_types",
        "schema_version",
        "database",
        "database.entities",
        "database.relationships",
        "database.views",
        "generated",
        "generated.fastapi",
        "generated.fastapi.models",
    }
)


# Enum classes are also reachable through the models module, which imports them.
MODULE_LAYERS: dict[str, tuple[str, ...]] = {
    "enums": ("types", "models"),
    "typeddicts": ("types",),
    "models": ("models",),
}


@dataclass(frozen=True, slots=True)
class Module:
    name: str  # dotted: the package, one of its submodules, or a package above it


@dataclass(frozen=True, slots=True)
class Symbol:
    layer: ModuleLayer
    name: str


def _layer(module: str) -> ModuleLayer:
    # A schema's subpackage repeats the layout: `schemas.auth.generated.fastapi` is Pydantic too.
    return "models" if f".{module}.".find(".generated.fastapi.") >= 0 else "types"


def _is_module_name(relative: str) -> bool:
    # Generated classes are PascalCase; modules and schema subpackages are lowercase.
    last = relative.rpartition(".")[2]
    return relative == "" or relative in _SUBMODULES or last[:1].islower()


class Resolver:
    """What the names of one file mean in terms of the generated package."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.names: dict[str, Module | Symbol] = {}
        self.star: list[ModuleLayer] = []

    def _relative(self, module: str) -> str | None:
        if module == self.package:
            return ""
        if module.startswith(self.package + "."):
            return module[len(self.package) + 1 :]
        return None

    def _module(self, name: str) -> Module | None:
        relative = self._relative(name)
        if relative is not None:
            return Module(name) if _is_module_name(relative) else None
        return Module(name) if self.package.startswith(name + ".") else None

    def member(self, module: str, name: str) -> Module | Symbol | None:
        """What `module.name` is: a module on the way to or inside the package, or a class."""
        found = self._module(f"{module}.{name}")
        if found is not None:
            return found
        relative = self._relative(module)
        return None if relative is None else Symbol(_layer(relative), name)

    def imported(self, node: ast.ImportFrom, alias: ast.alias) -> Module | Symbol | None:
        """What `from node.module import alias.name` binds, if it comes from the package."""
        if node.level or node.module is None:
            return None  # relative imports are the generated package's own
        return self.member(node.module, alias.name)

    def add_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Bind the names an import statement takes from the package."""
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name == "*":
                    relative = None if node.level else self._relative(node.module or "")
                    if relative is not None:
                        self.star.append(_layer(relative))
                elif (bound := self.imported(node, alias)) is not None:
                    self.names[alias.asname or alias.name] = bound
            return
        for alias in node.names:
            if alias.asname:
                module = self._module(alias.name)
                if module is not None:
                    self.names[alias.asname] = module
            else:  # `import schemas.enums` binds `schemas`
                top = alias.name.split(".")[0]
                if (module := self._module(top)) is not None:
                    self.names[top] = module

    def resolve(self, expr: ast.expr) -> Module | Symbol | None:
        """The package module or generated class an expression names, if any."""
        if isinstance(expr, ast.Name):
            found = self.names.get(expr.id)
            if found is None and self.star:
                return Symbol(self.star[-1], expr.id)
            return found
        if isinstance(expr, ast.Attribute):
            base = self.resolve(expr.value)
            if isinstance(base, Module):
                return self.member(base.name, expr.attr)
        return None
