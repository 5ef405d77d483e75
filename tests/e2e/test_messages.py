"""What the messages tell the user to run: the project's update-command, never this repo's make."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from sync_schema.errors import DatabaseError
from sync_schema.source.introspect import connect

ROOT = Path(__file__).resolve().parents[2]


def _sync_schema(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPABASE_")}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "sync_schema", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.postgres
def test_check_and_report_on_drift_name_the_projects_update_command(
    fresh_db: str, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sync-schema]\nupdate-command = "just schemas"\n', encoding="utf-8"
    )
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("create table public.notes (id int primary key)")
    assert _sync_schema(tmp_path, "generate", "--db-url", fresh_db).returncode == 0
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute("alter table public.notes add column body text")

    check = _sync_schema(tmp_path, "check", "--db-url", fresh_db)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "`just schemas`" in check.stdout
    for fmt in ("markdown", "github"):
        report = _sync_schema(tmp_path, "report", "--db-url", fresh_db, "--format", fmt)
        assert report.returncode == 1, report.stdout + report.stderr
        written = report.stdout + "".join(
            p.read_text(encoding="utf-8") for p in tmp_path.glob("*.md")
        )
        assert "`just schemas`" in written
        assert "make schemas" not in written


def test_the_generated_tree_names_no_makefile_target() -> None:
    quoted = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "schemas").rglob("*"))
        if path.is_file() and "make schemas" in path.read_text(encoding="utf-8")
    ]
    assert quoted == []


def test_a_refused_connection_names_both_environment_variables() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    # Nothing listens on the port just released: the connection is refused.
    with pytest.raises(DatabaseError) as raised:
        connect(f"postgresql://nobody@127.0.0.1:{port}/none?connect_timeout=5")
    assert raised.value.hint is not None
    assert "SUPABASE_DB_URL" in raised.value.hint
    assert "DATABASE_URL" in raised.value.hint
