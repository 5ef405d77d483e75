"""--impact: which lines of the application's code a schema change breaks."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sync_schema.cli.console import Console, display
from sync_schema.cli.options import ImpactMode
from sync_schema.config import Settings
from sync_schema.drift import Change
from sync_schema.errors import ConfigError, SyncSchemaError
from sync_schema.pipeline import Run

if TYPE_CHECKING:
    # report (and what it imports) is loaded only by the commands that print one.
    from sync_schema import report, typecheck


@dataclass(frozen=True, slots=True)
class ImpactRequest:
    """What the application scan of one run does; `show` is False for a commit message only."""

    mode: ImpactMode
    app_dirs: tuple[Path, ...]
    show: bool = True


def impact_request(
    settings: Settings,
    mode: ImpactMode | None,
    app_dirs: list[Path] | None,
    *,
    commit: bool = False,
) -> ImpactRequest | None:
    """The scan a command's flags ask for (None: none), its folders checked before any work."""
    show = mode is not None or bool(app_dirs)
    if not show and not (commit and settings.app_dirs):
        return None
    dirs = tuple(app_dirs) if app_dirs else settings.app_dirs
    if not dirs:
        raise ConfigError(
            "--impact needs the application code to read",
            hint='pass --app-dir DIR (repeatable), or set app-dirs = ["src"] in [tool.sync-schema]',
        )
    for folder in dirs:
        if not folder.is_dir() and not (folder.is_file() and folder.suffix == ".py"):
            raise ConfigError(
                f"application folder not found: {display(folder)}",
                hint="pass --app-dir with the folder of your application's Python code, or fix "
                "app-dirs in [tool.sync-schema] (relative to pyproject.toml)",
            )
    if mode == ImpactMode.mypy and importlib.util.find_spec("mypy") is None:
        raise SyncSchemaError(
            "--impact=mypy runs mypy, which is not installed in this environment",
            hint="pip install mypy (or pip install 'sync-schema[dev]'), or use --impact alone",
        )
    return ImpactRequest(mode or ImpactMode.usages, dirs, show)


def app_impact(
    request: ImpactRequest | None,
    run: Run,
    changes: list[Change],
    files: Callable[[], dict[str, str]],
) -> report.AppImpact | None:
    """The scan (and type check) of the application for these changes; None without a change."""
    if request is None or not changes:
        return None
    committed = run.committed_plan()
    if committed is None:
        return None
    from sync_schema import impact, report  # noqa: PLC0415 - only runs asking for --impact

    settings = run.settings
    old = impact.generated_names(committed)
    new = impact.generated_names(run.plan)
    targets = impact.targets_for(changes, old, new)
    found = impact.scan(
        request.app_dirs, targets, package=settings.out.name, exclude=(settings.out,)
    )
    if request.mode != ImpactMode.mypy:
        return report.AppImpact(request.app_dirs, found)
    from sync_schema import typecheck  # noqa: PLC0415

    errors = typecheck.new_errors(request.app_dirs, settings.out, files())
    return report.AppImpact(request.app_dirs, found, typecheck.trace(errors, found.hits, targets))


def print_change(console: Console, change: Change, found: report.AppImpact | None) -> None:
    """One change block, then the application lines it breaks (and mypy's errors)."""
    console.change(change)
    if found is None:
        return
    for hit in found.hits_of(change):
        console.out(f"  used at {display(hit.path)}:{hit.line}  {hit.code}")
    for error in found.errors_of(change):
        console.out(f"  mypy at {display(error.path)}:{error.line}  {mypy_text(error)}")


def mypy_text(error: typecheck.NewTypeError) -> str:
    return f"{error.message}  [{error.code}]" if error.code else error.message


def print_impact_summary(console: Console, found: report.AppImpact | None) -> None:
    """The scan's totals, its warnings, and mypy's errors traced to no change."""
    if found is None:
        return
    from sync_schema import report  # noqa: PLC0415 - loaded already by app_impact

    for warning in found.scan.warnings:
        console.err(f"warning: {warning}")
    dirs = ", ".join(display(d) for d in found.app_dirs)
    console.out(
        f"Impact: {report.plural(found.call_sites, 'line')} in {report.plural(found.files, 'file')}"
        " use generated names these "
        f"changes break (scanned {found.scan.files} Python files in {dirs})."
    )
    if found.mypy is not None:
        other = found.errors_of(None)
        console.out(
            f"mypy: {report.plural(len(found.mypy), 'new error')} against the regenerated package"
            + (f", {len(other)} not traced to a change:" if other else ".")
        )
        for error in other:
            console.out(f"  mypy at {display(error.path)}:{error.line}  {mypy_text(error)}")
