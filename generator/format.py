"""Format the generated tree with the pinned ruff, once over the whole tree."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.errors import SyncSchemaError

#: The generated tree's own ruff settings: fixed, so a user's ruff config never changes output.
# ruff's default line length, so `ruff format --check` passes under a default configuration too.
RUFF_CONFIG = """\
line-length = 88
target-version = "py311"

[lint]
# F401/I tidy imports; RUF022 sorts __all__ the way ruff's default rules expect.
select = ["F401", "I", "RUF022"]

[lint.isort]
known-first-party = []
"""


@functools.cache
def ruff_version() -> str:
    """The installed ruff's version: part of what decides the generated text."""
    try:
        return importlib.metadata.version("ruff")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a hard dependency
        return "unknown"


def ruff_bin() -> Path:
    """The ruff binary installed with this package (pinned in pyproject), not one on PATH."""
    candidates = [
        Path(sys.executable).parent / "ruff",
        Path(sysconfig.get_path("scripts")) / "ruff",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    try:
        from ruff.__main__ import (  # type: ignore[import-untyped]  # noqa: PLC0415 - fallback only
            find_ruff_bin,
        )

        return Path(find_ruff_bin())
    except ImportError:  # pragma: no cover - ruff is a hard dependency
        raise SyncSchemaError(
            "ruff is not installed", hint="reinstall sync-schema (pip install sync-schema)"
        ) from None


def format_tree(files: Mapping[str, str], *, fix_all: bool = True) -> dict[str, str]:
    """Run `ruff check --fix-only` then `ruff format` over the .py files; return the new texts.

    The built-in templates emit exact, sorted imports, so for them (`fix_all=False`) only the
    package `__init__.py` files, whose `__all__` ruff orders, go through the fix pass: parsing
    the big modules twice is most of ruff's time on large schemas. User templates get it all.
    """
    with tempfile.TemporaryDirectory(prefix="sync-schema-fmt-") as tmp:
        root = Path(tmp) / "tree"
        config = Path(tmp) / "ruff.toml"
        config.write_text(RUFF_CONFIG, encoding="utf-8")
        py_files = {rel: text for rel, text in files.items() if rel.endswith(".py")}
        for rel, text in py_files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        ruff = str(ruff_bin())
        base = ["--config", str(config), "--no-cache", "--quiet"]
        to_fix = (
            [str(root)]
            if fix_all
            else [str(root / rel) for rel in py_files if rel.rpartition("/")[2] == "__init__.py"]
        )
        if to_fix:
            _run([ruff, "check", "--fix-only", "--exit-zero", *base, *to_fix])
        _run([ruff, "format", *base, str(root)])
        result = dict(files)
        for rel in py_files:
            result[rel] = (root / rel).read_text(encoding="utf-8")
        return result


def _run(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SyncSchemaError(
            f"ruff failed on the generated code: {proc.stderr.strip() or proc.stdout.strip()}",
            hint="this is a bug in a template (yours if --templates is set); "
            "please report it with the database schema",
        )
