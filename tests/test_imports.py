"""What a `check --db-url` run imports: only what the in-sync path needs (start-up is its cost)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync_schema.pgserver import TempServer, apply_migrations
from sync_schema.versions import installed_version
from tests.conftest import MIGRATIONS
from tests.test_cli import Cli, db_args, make_cli

# Each is loaded only by a feature an in-sync `check --db-url` does not use. (difflib, ctypes
# and importlib.metadata are not listed: typer and psycopg import them.)
NOT_NEEDED = {
    "urllib.request": "the Supabase Management API (--project-id)",
    "http.client": "the Supabase Management API (--project-id)",
    "jinja2": "rendering (only when the tree is not current)",
    "sync_schema.report": "`report` and `--impact`",
    "sync_schema.impact": "--impact",
    "sync_schema.typecheck": "--impact mypy",
    "sync_schema.pgserver": "--migrations",
    "sync_schema.scaffold": "`init`",
}
# And what a command that reads no database does not need either: the CLI's own start-up.
NOT_NEEDED_WITHOUT_A_DATABASE = {
    **NOT_NEEDED,
    "psycopg": "reading a database",
    "importlib.metadata": "tool versions, read from their METADATA files instead",
    "ctypes": "the atomic swap of a written tree (generate)",
}

_PROBE = """\
import json, sys
sys.argv = ["sync-schema", *sys.argv[1:]]
from sync_schema.__main__ import entry
try:
    entry()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "modules": sorted(sys.modules)}))
"""


def modules_after(cli: Cli, *args: str) -> tuple[object, set[str]]:
    """The exit code and sys.modules of one CLI run in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        cwd=cli.cwd,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    return report["exit"], set(report["modules"])


@pytest.mark.postgres
def test_an_in_sync_check_from_a_database_imports_no_module_it_does_not_use(
    fresh_db: str, pg_server: TempServer, tmp_path: Path
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)
    cli = make_cli(tmp_path / "project")
    assert cli("generate", *db_args(fresh_db, cli)).returncode == 0

    code, modules = modules_after(cli, "check", *db_args(fresh_db, cli))

    assert code == 0
    loaded = {name: why for name, why in NOT_NEEDED.items() if name in modules}
    assert loaded == {}


def test_the_version_command_imports_no_database_driver_and_no_unused_module(
    tmp_path: Path,
) -> None:
    cli = make_cli(tmp_path / "project")

    code, modules = modules_after(cli, "version")

    assert code == 0
    loaded = {name: why for name, why in NOT_NEEDED_WITHOUT_A_DATABASE.items() if name in modules}
    assert loaded == {}


@pytest.mark.parametrize(
    ("distribution", "module"),
    [
        ("ruff", "ruff"),
        ("datamodel-code-generator", "datamodel_code_generator"),
        ("typing-extensions", "typing_extensions"),  # a plain module, not a package
    ],
)
def test_a_tool_version_read_from_its_metadata_is_what_importlib_metadata_says(
    distribution: str, module: str
) -> None:
    assert installed_version(distribution, module) == importlib.metadata.version(distribution)


def test_a_tool_that_is_not_installed_has_no_version() -> None:
    assert installed_version("no-such-distribution", "no_such_module_anywhere") is None
