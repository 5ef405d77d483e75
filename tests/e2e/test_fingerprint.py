"""The migrations fingerprint: `check` skips the server only when nothing it was built from changed.

Every test but the first changes one input and asserts that the real check ran: `--verbose`
then prints the embedded server's stage time, and never the fingerprint's "no server" line.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sync_schema import fingerprint
from sync_schema.embedded import binaries
from sync_schema.embedded.binaries import system_pg_bins
from tests.e2e.test_cli import UNREACHABLE, Cli, make_cli

CONFIG = """\
[tool.sync-schema]
schemas = ["public"]
migrations = "migrations"
templates = "tpl"
"""
FIRST = "create table people (id int primary key, name text not null);\n"
SECOND = "create table pets (id int primary key, owner int references people);\n"
NO_SERVER = "source fingerprint matches schema.json: no server started"
REAL_CHECK = "embedded server"
HEAVY = ("psycopg", "jinja2", "typer", "click", "sync_schema.cli", "sync_schema.embedded")

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project generated from two migrations, with a folder of (unused) user templates."""
    root = tmp_path_factory.mktemp("generated") / "project"
    cli = make_cli(root, CONFIG)
    (root / "migrations").mkdir()
    (root / "migrations" / "001_people.sql").write_text(FIRST, encoding="utf-8")
    (root / "migrations" / "002_pets.sql").write_text(SECOND, encoding="utf-8")
    (root / "tpl").mkdir()
    (root / "tpl" / "notes.txt").write_text("no template yet\n", encoding="utf-8")
    result = cli("generate")
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def project(generated: Path, tmp_path: Path) -> Cli:
    """A fresh copy of the generated project, to change one input of."""
    root = tmp_path / "project"
    shutil.copytree(generated, root)
    return make_cli(root, CONFIG)


def assert_real_check_ran(result: subprocess.CompletedProcess[str]) -> None:
    assert NO_SERVER not in result.stderr
    assert REAL_CHECK in result.stderr, result.stderr


def test_unchanged_migrations_answer_in_sync_without_a_server(project: Cli) -> None:
    result = project("check", "--verbose")
    assert result.returncode == 0, result.stderr
    assert NO_SERVER in result.stderr
    assert REAL_CHECK not in result.stderr


def test_check_full_starts_the_server_even_when_the_fingerprint_matches(project: Cli) -> None:
    result = project("check", "--full", "--verbose")
    assert result.returncode == 0, result.stderr
    assert_real_check_ran(result)


def test_the_fast_path_prints_exactly_what_the_full_check_prints(project: Cli) -> None:
    fast, full = project("check"), project("check", "--full")
    assert (fast.returncode, fast.stdout, fast.stderr) == (full.returncode, full.stdout, "")
    assert (
        fast.stdout
        == "schemas/ is in sync with the embedded PostgreSQL with the migrations in migrations.\n"
    )


def test_a_touched_migration_runs_the_real_check(project: Cli) -> None:
    with (project.cwd / "migrations" / "002_pets.sql").open("a", encoding="utf-8") as file:
        file.write("-- a comment changes no table\n")
    result = project("check", "--verbose")
    assert_real_check_ran(result)
    # The source line is a record, not output: a comment-only change is still in sync.
    assert result.returncode == 0, result.stdout


def test_a_new_migration_file_runs_the_real_check(project: Cli) -> None:
    (project.cwd / "migrations" / "003_toys.sql").write_text(
        "create table toys (id int primary key);\n", encoding="utf-8"
    )
    result = project("check", "--verbose")
    assert_real_check_ran(result)
    assert result.returncode == 1


def test_the_recorded_fingerprint_is_the_same_on_every_machine(
    generated: Path, tmp_path: Path
) -> None:
    # Another folder, fresh mtimes: what another clone, or CI, would generate.
    root = tmp_path / "elsewhere" / "project"
    cli = make_cli(root, CONFIG)
    for folder in ("migrations", "tpl"):
        (root / folder).mkdir()
        for file in (generated / folder).iterdir():
            (root / folder / file.name).write_bytes(file.read_bytes())
    assert cli("generate").returncode == 0

    recorded = (root / "schemas" / "schema.json").read_text(encoding="utf-8")
    assert recorded == (generated / "schemas" / "schema.json").read_text(encoding="utf-8")
    assert str(tmp_path) not in recorded
    assert str(generated) not in recorded


def test_the_fingerprint_ignores_the_python_build_and_the_server_binarys_mtime(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = fingerprint.Plain(generated)
    before = fingerprint.compute(plain)
    binary = (binaries.embedded_pg_bin() / "postgres").resolve()
    stat = binary.stat()
    monkeypatch.setattr(sys, "version", sys.version + " (built elsewhere, another day)")
    try:
        os.utime(binary, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        after = fingerprint.compute(plain)
    finally:
        os.utime(binary, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    assert after == before


def test_a_renamed_migration_file_runs_the_real_check(project: Cli) -> None:
    folder = project.cwd / "migrations"
    (folder / "002_pets.sql").rename(folder / "002_animals.sql")
    assert_real_check_ran(project("check", "--verbose"))


def test_another_server_major_runs_the_real_check(project: Cli) -> None:
    bins = system_pg_bins()
    if not bins:
        pytest.skip("no system PostgreSQL besides the embedded one")
    assert_real_check_ran(project("check", "--verbose", SYNC_SCHEMA_PG_BIN=str(bins[0])))


def test_another_generator_version_runs_the_real_check(project: Cli) -> None:
    code = (
        "import sys, sync_schema; sync_schema.__version__ = '99.0.0'; "
        "from sync_schema.__main__ import entry; sys.argv = ['sync-schema', 'check', '--verbose']; "
        "entry()"
    )
    result = project.python(code)
    assert_real_check_ran(result)


def test_edited_options_run_the_real_check(project: Cli) -> None:
    (project.cwd / "pyproject.toml").write_text(CONFIG + "frozen-models = true\n", encoding="utf-8")
    result = project("check", "--verbose")
    assert_real_check_ran(result)
    assert result.returncode == 1


def test_a_hand_edited_generated_file_runs_the_real_check(project: Cli) -> None:
    with (project.cwd / "schemas" / "enums.py").open("a", encoding="utf-8") as file:
        file.write("# hand edit\n")
    result = project("check", "--verbose")
    assert_real_check_ran(result)
    assert result.returncode == 1


def test_a_changed_template_folder_runs_the_real_check(project: Cli) -> None:
    (project.cwd / "tpl" / "notes.txt").write_text("edited\n", encoding="utf-8")
    assert_real_check_ran(project("check", "--verbose"))


def test_a_schema_json_without_a_fingerprint_runs_the_real_check(project: Cli) -> None:
    path = project.cwd / "schemas" / "schema.json"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith('"source": ')), encoding="utf-8")
    result = project("check", "--verbose")
    assert_real_check_ran(result)
    assert result.returncode == 0  # the line is a record: its absence is not drift


def test_a_forged_body_hash_runs_the_real_check(project: Cli) -> None:
    path = project.cwd / "schemas" / "schema.json"
    text = path.read_text(encoding="utf-8")
    document = json.loads(text)
    forged = text.replace(document["source"]["body"], "0" * 64)
    path.write_text(forged, encoding="utf-8")
    assert_real_check_ran(project("check", "--verbose"))


def test_the_fast_path_imports_no_heavy_module(project: Cli) -> None:
    code = (
        "import sys\n"
        "sys.argv = ['sync-schema', 'check']\n"
        "from sync_schema.__main__ import entry\n"
        "try:\n"
        "    entry()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r}))\n"
    )
    result = project.python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    "variable", ["DATABASE_URL", "SUPABASE_DB_URL", "SUPABASE_PROJECT_ID", "SUPABASE_URL"]
)
def test_a_selected_database_or_project_is_never_answered_from_the_fingerprint(
    project: Cli, variable: str
) -> None:
    # Unreachable on purpose: whatever the command does with it, it is not "no server".
    value = {
        "SUPABASE_PROJECT_ID": "abcdefghijklmnopqrst",
        "SUPABASE_URL": "https://abcdefghijklmnopqrst.supabase.co",
    }.get(variable, UNREACHABLE)
    result = project("check", "--verbose", **{variable: value})

    assert NO_SERVER not in result.stderr


def test_supabase_url_alone_gets_its_note_and_the_check_from_migrations(project: Cli) -> None:
    result = project("check", SUPABASE_URL="https://abcdefghijklmnopqrst.supabase.co")

    assert result.returncode == 0, result.stderr
    assert "$SUPABASE_URL is the project's API URL" in result.stderr
