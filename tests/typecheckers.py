"""Runs pyright (basedpyright's build of it, in strict mode) on generated code, as mypy runs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class PyrightResult:
    """What pyright said: its exit code and its diagnostics as `path:line: rule: message`."""

    returncode: int
    diagnostics: list[str]
    output: str


def pyright(
    root: Path, *paths: str, config_dir: Path | None = None, **settings: Any
) -> PyrightResult:
    """Check `paths` (relative to `root`, which is on the import path) in strict mode.

    The config is written into `config_dir` (default: `root`): imports resolve from `root` and
    from this venv, nothing is fetched. `settings` override pyrightconfig.json keys.
    """
    config_dir = config_dir or root
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.11",
        "include": [str(root / p) for p in paths],
        "extraPaths": [str(root)],
        # Each `# pyright: ignore[rule]` must be needed, as warn_unused_ignores for mypy.
        "reportUnnecessaryTypeIgnoreComment": "error",
        **settings,
    }
    (config_dir / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    result = subprocess.run(
        [str(BIN / "basedpyright"), "--outputjson", "--pythonpath", sys.executable,
         "--project", str(config_dir / "pyrightconfig.json")],
        capture_output=True, text=True, check=False, cwd=config_dir,
    )  # fmt: skip
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return PyrightResult(result.returncode, [], result.stdout + result.stderr)
    diagnostics = [
        f"{Path(d['file']).relative_to(root)}:{d['range']['start']['line'] + 1}:"
        f" {d.get('rule', '-')}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] in ("error", "warning")
    ]
    return PyrightResult(result.returncode, diagnostics, result.stdout + result.stderr)
