"""mypy --strict on code that uses the committed schemas/ the way an application does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
import json

from schemas import ProjectInsert, ProjectRow, ProjectStatus, ProjectStatusValue
from schemas.generated.fastapi import Project


def is_active(row: ProjectRow) -> bool:
    # supabase-py hands back plain strings; comparing with the Enum member still type-checks.
    return row["status"] == ProjectStatus.ACTIVE


def new_project(status: ProjectStatusValue) -> str:
    insert: ProjectInsert = {
        "organization_id": "00000000-0000-0000-0000-000000000000",
        "name": "Apollo",
        "status": status,
        "tags": ["moon"],
    }
    return json.dumps(insert)  # what supabase-py sends


def api_status(model: Project) -> ProjectStatus:
    return model.status


new_project("on_hold")
"""

BAD = """\
from schemas import ProjectInsert

insert: ProjectInsert = {"organization_id": "x", "name": "n", "status": "draft"}
"""


def _mypy(source: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "usage.py"
    path.write_text(source, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(tmp_path / "mypy.ini"),
         "--cache-dir", str(tmp_path / ".mypy_cache"), str(path)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )  # fmt: skip


def test_application_code_using_the_package_passes_mypy_strict(tmp_path: Path) -> None:
    result = _mypy(GOOD, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_unknown_enum_label_in_an_insert_fails_mypy(tmp_path: Path) -> None:
    result = _mypy(BAD, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Literal['draft']" in result.stdout
