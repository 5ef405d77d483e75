"""Scan application code for uses of the targets: find the files, parse them, collect the hits."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.util import decode_source
from pathlib import Path

from sync_schema.drift import Change
from sync_schema.impact.checker import Checker, Index, ParsedFile, functions_of, walk_file
from sync_schema.impact.targets import GeneratedNames, Target, targets_for

_SKIPPED_DIRS = frozenset({".venv", "__pycache__"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One source line that uses a broken generated name."""

    path: Path
    line: int
    column: int
    code: str
    target: Target


@dataclass(frozen=True, slots=True)
class Impact:
    """The result of a scan: hits in deterministic order, and files that were skipped."""

    hits: tuple[Hit, ...]
    warnings: tuple[str, ...]
    files: int  # Python files found
    parsed: int  # files whose text mentioned a target and that were parsed


def find_impact(
    paths: Iterable[Path],
    changes: Iterable[Change],
    old: GeneratedNames,
    new: GeneratedNames,
    *,
    package: str = "schemas",
    exclude: Iterable[Path] = (),
) -> Impact:
    """The lines under paths that the changes break."""
    return scan(paths, targets_for(changes, old, new), package=package, exclude=exclude)


def scan(
    paths: Iterable[Path],
    targets: Iterable[Target],
    *,
    package: str = "schemas",
    exclude: Iterable[Path] = (),
) -> Impact:
    """Every use of the targets' names in the Python files under paths; nothing is imported."""
    index = Index(targets)
    warnings: list[str] = []
    sources: list[tuple[Path, str]] = []
    for path in _python_files(paths, warnings, exclude):
        try:
            sources.append((path, decode_source(path.read_bytes())))
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
            warnings.append(f"{path}: skipped, cannot read it: {exc}")
    files: dict[Path, ParsedFile] = {}
    parsed = 0
    for path, text in sources:
        if index.mentioned_in(text, package):
            parsed += 1
            if (tree := _parse(path, text, warnings)) is not None:
                files[path] = walk_file(tree, text, package)
    # Functions that take or return generated rows type their callers' values, in any scanned
    # file: those files are parsed too, even when they never mention the package.
    calls = functions_of(files.values(), index)
    if names := calls.names():
        for path, text in sources:
            if path not in files and any(name in text for name in names):
                parsed += 1
                if (tree := _parse(path, text, warnings)) is not None:
                    files[path] = walk_file(tree, text, package)
    hits: list[Hit] = []
    for path, file in files.items():
        if not file.resolver.names and not file.resolver.star and not names:
            continue
        found = Checker(file, index, calls).run()
        if found:
            lines = file.text.split("\n")
            hits += [
                Hit(path, line, col, lines[line - 1].strip() if line <= len(lines) else "", t)
                for (line, t), col in found.items()
            ]
    hits.sort(key=lambda h: (str(h.path), h.line, h.column, h.target.sort_key))
    warnings.sort()
    return Impact(hits=tuple(hits), warnings=tuple(warnings), files=len(sources), parsed=parsed)


def _parse(path: Path, text: str, warnings: list[str]) -> ast.Module | None:
    try:
        return ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        warnings.append(f"{path}: skipped, does not parse: {message}{where}")
        return None


def _python_files(
    paths: Iterable[Path], warnings: list[str], exclude: Iterable[Path] = ()
) -> Iterator[Path]:
    """Each *.py file once, in sorted order, pruning skipped and excluded directories."""
    excluded = {os.path.realpath(p) for p in exclude}
    found: set[Path] = set()
    for root in map(Path, paths):
        real = os.path.realpath(root) if excluded else ""
        if any(real == e or real.startswith(e + os.sep) for e in excluded):
            continue
        if root.is_file():
            found.add(root)
            continue
        if not root.is_dir():
            warnings.append(f"{root}: skipped, no such file or directory")
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d
                for d in dirnames
                if d not in _SKIPPED_DIRS
                and not d.startswith(".")
                and not (excluded and os.path.realpath(Path(dirpath, d)) in excluded)
            ]
            found.update(Path(dirpath, f) for f in filenames if f.endswith(".py"))
    yield from sorted(found, key=str)
