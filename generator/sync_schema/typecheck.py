"""The type-check layer of `--impact`: mypy on the application before and after regenerating.

mypy runs as a subprocess of the current interpreter; it is never imported by sync-schema.
"""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync_schema.drift import Change
from sync_schema.errors import SyncSchemaError
from sync_schema.impact import Hit, Target
from sync_schema.tree_store import read_tree


@dataclass(frozen=True, slots=True)
class NewTypeError:
    """A mypy error that regeneration adds, traced to a change when its names or line allow."""

    path: Path
    line: int  # where it is shown: mypy's line, or the scanned line within its span
    column: int
    mypy_line: int  # the line mypy reported (a dict display: its first line)
    message: str
    code: str | None
    change: Change | None  # None: traced to no change ("other")


def mypy_config(start: Path) -> Path | None:
    """The application's mypy config, looked for upward from start as mypy looks from its cwd."""
    first = start.resolve() if start.is_dir() else start.resolve().parent
    for folder in (first, *first.parents):
        for name in ("mypy.ini", ".mypy.ini"):
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "mypy" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
                    return pyproject
            except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
                pass
        setup_cfg = folder / "setup.cfg"
        if setup_cfg.is_file():
            parser = configparser.ConfigParser()
            with contextlib.suppress(OSError, configparser.Error, UnicodeDecodeError):
                parser.read(setup_cfg, encoding="utf-8")
                if parser.has_section("mypy"):
                    return setup_cfg
        # mypy stops at the repository root too.
        if (folder / ".git").exists() or (folder / ".hg").exists():
            break
    return None


def new_errors(
    app_dirs: tuple[Path, ...], out: Path, new_files: dict[str, str]
) -> list[dict[str, Any]]:
    """mypy's errors on the app with the regenerated package that it lacks with the committed one.

    Each run sees the package through a temp dir first on MYPYPATH, under its import name; the
    app's line numbers do not move, so errors compare by file, line and message.
    """
    config = mypy_config(app_dirs[0])
    with tempfile.TemporaryDirectory(prefix="sync-schema-mypy-") as tmp:
        committed, regenerated = Path(tmp, "committed"), Path(tmp, "regenerated")
        for rel, data in read_tree(out).items():
            _write(committed / out.name / rel, data)
        for rel, text in new_files.items():
            _write(regenerated / out.name / rel, text.encode("utf-8"))
        before = _mypy_errors(app_dirs, committed, config, out)
        after = _mypy_errors(app_dirs, regenerated, config, out)
    seen = {(e["file"], e["line"], e["message"]) for e in before}
    return [e for e in after if (e["file"], e["line"], e["message"]) not in seen]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _mypy_errors(
    app_dirs: tuple[Path, ...], package_root: Path, config: Path | None, out: Path
) -> list[dict[str, Any]]:
    """One mypy run (a subprocess: mypy is never imported here): its errors outside the package."""
    env = dict(os.environ)
    env["MYPYPATH"] = os.pathsep.join(filter(None, (str(package_root), env.get("MYPYPATH"))))
    command = [
        sys.executable, "-m", "mypy",
        "--config-file", str(config) if config else "",  # "": no config file at all
        "--output", "json", "--show-absolute-path", "--no-error-summary",
    ]  # fmt: skip
    resolved_out = out.resolve()
    if any(resolved_out.is_relative_to(d.resolve()) for d in app_dirs):
        # The committed package inside an app folder would be a second `schemas` module.
        relative = os.path.relpath(resolved_out).replace(os.sep, "/")
        command += ["--exclude", f"^{re.escape(relative)}/"]
    command += [str(d) for d in app_dirs]
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    errors: list[dict[str, Any]] = []
    other: list[str] = []
    for line in result.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            other.append(line)
            continue
        if isinstance(entry, dict) and entry.get("severity") == "error":
            errors.append(entry)
    if result.returncode not in (0, 1) or (result.returncode == 1 and other and not errors):
        detail = next((x for x in (*other, *result.stderr.splitlines()) if x.strip()), "no output")
        raise SyncSchemaError(
            f"mypy failed (exit {result.returncode}): {detail}",
            hint=f"run `{sys.executable} -m mypy {' '.join(map(str, app_dirs))}` to see why",
        )
    root = str(package_root.resolve())
    return [e for e in errors if not str(e.get("file", "")).startswith(root + os.sep)]


def trace(
    errors: list[dict[str, Any]], hits: tuple[Hit, ...], targets: tuple[Target, ...]
) -> tuple[NewTypeError, ...]:
    """Trace each new error to a change: by a broken name in its message, else by a scanned line.

    An error shows at the scanned line of its change within its span (mypy puts the error of a
    dict display's key on the display's first line), else where mypy put it.
    """
    by_file: dict[Path, list[Hit]] = {}
    for hit in hits:
        by_file.setdefault(hit.path.resolve(), []).append(hit)
    out: list[NewTypeError] = []
    for error in errors:
        path = Path(error["file"]).resolve()
        line = int(error.get("line") or 0)
        end = max(int(error.get("end_line") or line), line)
        message = str(error.get("message", ""))
        spanned = [h for h in by_file.get(path, []) if line <= h.line <= end]
        spanned.sort(key=lambda h: (h.line != line, h.line))  # mypy's own line first
        named = [t.change for t in sorted(targets, key=_specific_first) if _named_in(t, message)]
        if named:
            change = next((c for c in named if any(h.target.change == c for h in spanned)), None)
            change = change or named[0]
        else:
            change = spanned[0].target.change if spanned else None
        at = next((h.line for h in spanned if h.target.change == change), line)
        out.append(
            NewTypeError(
                path=path,
                line=at,
                column=int(error.get("column") or 0),
                mypy_line=line,
                message=message,
                code=error.get("code"),
                change=change,
            )
        )
    out.sort(key=lambda e: (str(e.path), e.line, e.column, e.message))
    return tuple(out)


def _specific_first(target: Target) -> tuple[int, tuple[str, ...]]:
    return (target.kind == "class", target.sort_key)


def _named_in(target: Target, message: str) -> bool:
    """Whether a mypy message names what the target breaks (mypy quotes names: "X")."""
    owner = re.search(rf"\b{re.escape(target.owner)}\b", message) is not None
    if target.kind == "class":
        return owner
    return owner and f'"{target.member}"' in message
