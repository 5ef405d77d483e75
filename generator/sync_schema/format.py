"""Format the generated tree with the pinned ruff, in a few batches that overlap rendering."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from sync_schema import leftovers
from sync_schema.errors import SyncSchemaError
from sync_schema.layout import JSONB_MODELS_PACKAGE, JSONB_PACKAGE
from sync_schema.versions import installed_version

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
    return installed_version("ruff", "ruff") or "unknown"


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
            "ruff is not installed", hint="install the cli extra: pip install 'sync-schema[cli]'"
        ) from None


def format_tree(files: Mapping[str, str], *, fix_all: bool = True) -> dict[str, str]:
    """Run `ruff check --fix-only` then `ruff format` over the .py files; return the new texts."""
    with TreeFormatter(fix_all=fix_all) as formatter:
        formatter.submit(files, last=True)
        return formatter.result()


class TreeFormatter:
    """Formats the tree in batches, each in the background while the next batch renders.

    The built-in templates emit exact, sorted imports, so for them (`fix_all=False`) only the
    package `__init__.py` files, whose `__all__` ruff orders, go through the fix pass: parsing
    the big modules twice is most of ruff's time on large schemas. User templates get it all.
    One ruff process runs at a time, on one thread while Python renders on the other core:
    formatting two big modules at once would double the memory. The last batch, with
    nothing left to render, gets every core.
    """

    def __init__(self, *, fix_all: bool) -> None:
        self._fix_all = fix_all
        self._tmp = tempfile.TemporaryDirectory(prefix="sync-schema-fmt-")
        leftovers.mark_owner(Path(self._tmp.name))  # so a run killed with -9 gets it reaped
        self._root = Path(self._tmp.name) / "tree"
        config = Path(self._tmp.name) / "ruff.toml"
        config.write_text(RUFF_CONFIG, encoding="utf-8")
        self._base = [str(ruff_bin()), "--config", str(config), "--no-cache", "--quiet"]
        self._files: dict[str, str] = {}
        self._job: threading.Thread | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> TreeFormatter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._wait()
        self._tmp.cleanup()

    def submit(self, files: Mapping[str, str], *, last: bool = False) -> None:
        """Start formatting `files` once the previous batch is done; non-.py files pass through."""
        self._wait()
        env = dict(os.environ) if last else {**os.environ, "RAYON_NUM_THREADS": "1"}
        self._files.update(files)
        paths: list[str] = []
        to_fix: list[str] = []
        for rel, text in files.items():
            if not rel.endswith(".py"):
                continue
            path = self._root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
            # datamodel-code-generator's modules (jsonb/) come with their imports unsorted.
            if self._fix_all or rel.endswith("__init__.py") or _is_jsonb_module(rel):
                to_fix.append(str(path))
        if paths:
            self._job = threading.Thread(
                target=self._format, args=(paths, to_fix, env), daemon=True
            )
            self._job.start()

    def result(self) -> dict[str, str]:
        """Every submitted file, the Python ones formatted."""
        self._wait()
        return {
            rel: (self._root / rel).read_text(encoding="utf-8") if rel.endswith(".py") else text
            for rel, text in self._files.items()
        }

    def _format(self, paths: list[str], to_fix: list[str], env: Mapping[str, str]) -> None:
        try:
            ruff, *options = self._base
            if to_fix:
                _run([ruff, "check", "--fix-only", "--exit-zero", *options, *to_fix], env)
            _run([ruff, "format", *options, *paths], env)
        except BaseException as exc:  # re-raised in the main thread by _wait
            self._error = exc

    def _wait(self) -> None:
        if self._job is not None:
            self._job.join()
            self._job = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _is_jsonb_module(rel: str) -> bool:
    return rel.startswith((f"{JSONB_PACKAGE}/", JSONB_MODELS_PACKAGE.replace(".", "/") + "/"))


def _run(command: list[str], env: Mapping[str, str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SyncSchemaError(
            f"ruff failed on the generated code: {proc.stderr.strip() or proc.stdout.strip()}",
            hint="this is a bug in a template (yours if --templates is set); "
            "please report it with the database schema",
        )
