"""What a `check --db-url` run imports: only what the in-sync path needs (start-up is its cost)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
from pathlib import Path

import pytest

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.versions import installed_version
from tests.conftest import MIGRATIONS
from tests.e2e.test_cli import Cli, apply_fourth_migration, db_args, make_cli

# Each is loaded only by a feature an in-sync `check --db-url` does not use. (difflib, ctypes
# and importlib.metadata are not listed: typer and psycopg import them.)
NOT_NEEDED = {
    "urllib.request": "the Supabase Management API (--project-id)",
    "http.client": "the Supabase Management API (--project-id)",
    "jinja2": "rendering (only when the tree is not current)",
    "sync_schema.report": "`report` and `--impact`",
    "sync_schema.impact": "--impact",
    "sync_schema.typecheck": "--impact mypy",
    "sync_schema.embedded.server": "--migrations",
    "sync_schema.scaffold": "`init`",
    "psycopg": "reading a database through libpq (a plain URL is read by source/wire.py)",
    "ssl": "TLS (a Unix socket has none)",
}
# And what a command that reads no database does not need either: the CLI's own start-up.
NOT_NEEDED_WITHOUT_A_DATABASE = {
    **NOT_NEEDED,
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
    result = cli.python(_PROBE, *args)
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
    # A home without ~/.postgresql, whose certificates would leave the read to libpq.
    (tmp_path / "home").mkdir()
    cli = Cli(cli.cwd, {**cli.env, "HOME": str(tmp_path / "home")})

    code, modules = modules_after(cli, "check", *db_args(fresh_db, cli))

    assert code == 0
    loaded = {name: why for name, why in NOT_NEEDED.items() if name in modules}
    assert loaded == {}


@pytest.mark.postgres
def test_an_in_sync_check_from_a_database_url_does_not_load_the_typer_app(
    fresh_db: str, pg_server: TempServer, tmp_path: Path
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin)
    cli = make_cli(tmp_path / "project")
    assert cli("generate", *db_args(fresh_db, cli)).returncode == 0
    url, out = db_args(fresh_db, cli)[1::2]

    runs = [
        modules_after(cli, "check", "--db-url", url, "--out", out),
        modules_after(cli, "check", f"--out={out}", f"--db-url={url}"),
    ]

    for code, modules in runs:
        assert code == 0
        assert {
            "typer",
            "click",
            "sync_schema.cli.app",
            "sync_schema.cli.console",
        } & modules == set()


def _full_cli(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    """The typer app itself, without the entry's own argv parsing."""
    code = "import sys; from sync_schema.cli.app import main; sys.argv[0] = 'sync-schema'; main()"
    return cli.python(code, *args)


def _outcome(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


@pytest.mark.postgres
def test_check_from_a_database_url_says_what_the_typer_app_says_in_sync_drift_and_error(
    fresh_db: str, pg_server: TempServer, tmp_path: Path
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    cli = make_cli(tmp_path / "project")
    assert cli("generate", *db_args(fresh_db, cli)).returncode == 0
    url, out = db_args(fresh_db, cli)[1::2]
    empty = pg_server.create_database("empty_for_fast_check")
    forms = [
        ("check", "--db-url", url, "--out", out),
        ("check", f"--db-url={url}", f"--out={out}"),
        ("check", "--db-url", url),  # --out from pyproject
        ("check", "--db-url", empty, "--out", out),  # no tables: an error with a hint
        ("check", "--db-url", url + "&connect_timeout=x", "--out", out),  # a bad URL
    ]
    before = [(_outcome(cli.process(*form)), _outcome(_full_cli(cli, *form))) for form in forms]
    apply_fourth_migration(fresh_db, pg_server, tmp_path)
    drift = (_outcome(cli.process(*forms[0])), _outcome(_full_cli(cli, *forms[0])))

    assert [ours[0] for ours, _ in before] == [0, 0, 0, 2, 2]
    assert drift[0][0] == 1
    for ours, theirs in [*before, drift]:
        assert ours == theirs


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
