"""The import lines of a generated module, collected while its classes are built."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sync_schema import naming
from sync_schema.model.typemap import Import


@dataclass(slots=True)
class ImportSet:
    """Imports collected while building one module."""

    items: set[Import] = field(default_factory=set)

    def add(self, *items: Import) -> None:
        """Remember imports."""
        self.items.update(items)

    def lines(self, depth: int) -> list[str]:
        """`import`/`from` lines, stdlib then third party then the generated package."""
        by_module: dict[str, set[str]] = {}
        for module, name in self.items:
            if module in ("", "builtins"):
                continue
            by_module.setdefault(module, set()).add(name)
        local = {m: n for m, n in by_module.items() if m.startswith("@")}
        stdlib = {m: n for m, n in by_module.items() if m in _STDLIB}
        third = {m: n for m, n in by_module.items() if m not in local and m not in stdlib}
        out: list[str] = []
        for group in (stdlib, third):
            out.extend(
                f"from {m} import {', '.join(naming.import_order(group[m]))}" for m in sorted(group)
            )
            if group:
                out.append("")
        dots = "." * depth
        out.extend(
            f"from {dots}{m[1:]} import {', '.join(naming.import_order(local[m]))}"
            for m in sorted(local)
        )
        while out and out[-1] == "":
            out.pop()
        return out


_IDENTIFIER = re.compile(r"\b[^\W\d]\w*")
_STDLIB = frozenset({"datetime", "decimal", "enum", "ipaddress", "typing", "uuid"})


def all_identifiers(annotations: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for annotation in set(annotations):
        found.update(_IDENTIFIER.findall(annotation))
    return found


def class_syntax_ok(keys: Iterable[str], module_names: set[str]) -> bool:
    # A key equal to a name the annotations use (`str: str`) would shadow it in the class body.
    return all(naming.is_plain_identifier(k) and k not in module_names for k in keys)
