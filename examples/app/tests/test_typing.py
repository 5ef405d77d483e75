"""The example app type-checks under mypy --strict (its typed-client module under pyright
strict too) against the committed schemas/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.typecheckers import pyright

ROOT = Path(__file__).resolve().parents[3]


def test_the_app_passes_mypy_strict_against_the_committed_schemas(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
         "examples/app"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_typed_client_module_passes_pyright_strict(tmp_path: Path) -> None:
    result = pyright(ROOT, "examples/app/supabase_repository.py", config_dir=tmp_path)
    assert result.returncode == 0, "\n".join(result.diagnostics) or result.output
