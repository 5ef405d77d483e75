"""Find the lines of an application that a schema change breaks, by reading its source statically.

No application module is ever imported or executed: each `*.py` file is read, pre-filtered on
its text (it must mention the package and a broken class name), parsed once with `ast`, walked
once.

Public API:

    generated_names(plan: TreePlan) -> GeneratedNames
        The generated Python names of one planned tree (`model.plan.plan_tree`): class, alias and
        member names of each enum; TypedDict and Pydantic class names and keys of each table and
        view. Read one from the committed tree's plan (old) and one from the new plan (new).

    targets_for(changes: Iterable[Change], old: GeneratedNames, new: GeneratedNames)
        -> tuple[Target, ...]
        What each change breaks, as generated names: a removed or renamed class (`ProjectStatus`,
        `ProjectStatusValue`, `OrganizationRow`, `Organization`), a removed or renamed enum
        member (`ProjectStatus.DRAFT`), a removed, retyped or newly nullable TypedDict key
        (`OrganizationRow["billing_email"]`). Changes that break no name give no target. A class
        of an unchanged object renamed because an added object took its name first
        (`Organization2Row`) is attributed to that addition.

    scan(paths: Iterable[Path], targets: Iterable[Target], *, package: str = "schemas",
         exclude: Iterable[Path] = ()) -> Impact
        Every use of those names in the `*.py` files under `paths` (directories or files;
        `.venv`, `__pycache__`, hidden directories and the folders in `exclude`, such as the
        generated package itself, are skipped).

    find_impact(paths, changes, old, new, *, package="schemas", exclude=()) -> Impact
        `scan(paths, targets_for(changes, old, new), package=package, exclude=exclude)`.

`Impact.hits` holds `Hit(path, line, column, code, target)` sorted by path, line, column and
target, where `code` is the stripped source line and `target.change` the `Change` it comes from;
`Impact.warnings` names files that could not be read or parsed (skipped, never fatal).

What counts as a use of a name imported from `package` (`from schemas import X as Y`,
`from schemas.enums import X`, `import schemas` then `schemas.X`, submodule aliases, `*`):
- the import of a removed or renamed class, and any load of it (annotations included);
- `Enum.MEMBER` through any of those spellings, when the member is removed or renamed;
- for a removed, retyped or newly nullable key: `value["key"]`, `value.get("key")` (`pop`,
  `setdefault`), the key of a typed dict display (`row: OrganizationInsert = {...}`, `return
  {...}` under a TypedDict return annotation, a display passed to a parameter annotated with one)
  and `OrganizationInsert(key=...)`, when `value` is typed by annotations: parameters, annotated
  locals, loop and comprehension variables over `xs: list[Row]` (or Sequence, Iterable, tuple,
  set, `enumerate(xs)`), and `x = f(...)` / `f(...)["key"]` / `for x in f(...)` where a function
  or method named `f`, defined in any scanned file, is annotated to return a row or a sequence of
  rows. Types are flow-insensitive within a function; functions are matched by name. An import
  binds its names from where it stands in its scope, and in every scope nested in it.
Not matched: Pydantic model attributes (`project.budget`), string literals compared with enum
columns, column names inside SQL strings, and values that cross HTTP or other untyped boundaries.
"""

from sync_schema.impact.scan import Hit, Impact, find_impact, scan
from sync_schema.impact.targets import (
    EnumNames,
    GeneratedNames,
    RelationNames,
    Target,
    generated_names,
    targets_for,
)

__all__ = [
    "EnumNames",
    "GeneratedNames",
    "Hit",
    "Impact",
    "RelationNames",
    "Target",
    "find_impact",
    "generated_names",
    "scan",
    "targets_for",
]
