"""End to end: the `sync-schema` command against real PostgreSQL databases."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sync_schema import forked, ir, report
from sync_schema.cli.git import commit_message
from sync_schema.config import Settings
from sync_schema.drift import Change, Detail, SchemaSync, Severity, format_change, sort_changes
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.source import wire
from sync_schema.tree_store import TreeDiff
from tests.conftest import MIGRATIONS, SLOW_CATALOG_SQL, dbname
from tests.e2e.inprocess import run_cli
from tests.standin import SUPABASE_ENV

#: The console script pip installed beside this interpreter: what users run.
SCRIPT = Path(sys.executable).parent / "sync-schema"
PASSWORD = "S3cretPw"
SERVICE_KEY = "sk-test-secret-value"
UNREACHABLE = f"postgresql://app:{PASSWORD}@127.0.0.1:1/app"  # nothing listens on port 1
UNKNOWN_HOST = f"postgresql://app:{PASSWORD}@no-such-host.invalid:5432/app"  # RFC 6761
FOURTH = sorted(MIGRATIONS.glob("*.sql"))[3]
REPORT_NAME = re.compile(r"schema_drift_report_\d{8}_\d{6}\.md")
MINIMAL_CONFIG = '[tool.sync-schema]\nschemas = ["public"]\n'
PROJECTS_CONFIG = """\
[tool.sync-schema]
schemas = ["public"]
report-dir = "reports"

[tool.sync-schema.projects.prod]
db-url-env = "PROD_DATABASE_URL"
out = "prod_schemas"

[tool.sync-schema.projects.staging]
db-url-env = "STAGING_DATABASE_URL"
out = "staging_schemas"
"""

# Variables that would change what the CLI does (or where it writes) if inherited from the shell.
_INHERITED_OUT = {
    # connect.py reads these: a developer's shell must not pick the tests' database.
    *SUPABASE_ENV,
    "SUPABASE_SERVICE_KEY",
    "GITHUB_STEP_SUMMARY",
    "SYNC_SCHEMA_TEST_WRITE_DELAY",
    "PROD_DATABASE_URL",
    "STAGING_DATABASE_URL",
}


@dataclass(frozen=True)
class Cli:
    """The `sync-schema` command run in `cwd` with a controlled environment."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """The command run in this process (see tests/e2e/inprocess.py)."""
        return run_cli(list(args), cwd=self.cwd, env={**self.env, **extra_env})

    def process(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """The console script as its own process: for signals, imports and the process's streams."""
        return subprocess.run(
            [str(SCRIPT), *args],
            cwd=self.cwd,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def python(
        self, code: str, *args: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`python -c code args` in the same folder and environment: a probe of the CLI's process."""
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def make_cli(cwd: Path, config: str = MINIMAL_CONFIG) -> Cli:
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "pyproject.toml").write_text(config, encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _INHERITED_OUT and not (k.startswith("PG") or k.startswith("GIT_"))
    }
    env.update(
        SOURCE_DATE_EPOCH="1735689600",
        NO_COLOR="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.com",
    )
    return Cli(cwd, env)


def db_args(dsn: str, cli: Cli) -> list[str]:
    return ["--db-url", dsn, "--out", str(cli.cwd / "schemas")]


def apply_fourth_migration(dsn: str, server: TempServer, scratch: Path) -> None:
    folder = scratch / "migration4"
    folder.mkdir()
    shutil.copy(FOURTH, folder / FOURTH.name)
    apply_migrations(dsn, folder, pg_bin=server.pg_bin)


def lines_of(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def assert_error_with_hint(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(lines_of(result.stderr, "error: ")) == 1, result.stderr
    assert len(lines_of(result.stderr, "hint: ")) == 1, result.stderr
    assert "Traceback" not in result.stderr


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return make_cli(tmp_path / "project")


@pytest.fixture
def db_at_3(pg_server: TempServer, fresh_db: str) -> str:
    """A database with migrations 1..3 applied."""
    apply_migrations(fresh_db, MIGRATIONS, pg_bin=pg_server.pg_bin, limit=3)
    return fresh_db


@pytest.fixture
def stale(cli: Cli, db_at_3: str, pg_server: TempServer, tmp_path: Path) -> list[str]:
    """schemas/ generated from migrations 1..3, then migration 4 applied: the CLI args."""
    args = db_args(db_at_3, cli)
    generated = cli("generate", *args)
    assert generated.returncode == 0, generated.stderr
    apply_fourth_migration(db_at_3, pg_server, tmp_path)
    return args


# --- drift after migration 4 -------------------------------------------------------------------

EXPECTED_CHANGES = {
    ("CRITICAL", "TABLE", "project_members", "removed"),
    ("HIGH", "ENUM", "project_status", "modified"),
    ("HIGH", "TABLE", "organizations", "modified"),
    ("LOW", "TABLE", "projects", "modified"),
    # smallint -> integer: the generated Python types do not change.
    ("LOW", "TABLE", "requirements", "modified"),
}


@pytest.mark.postgres
def test_check_after_a_migration_exits_1_and_names_every_change_with_its_severity(
    cli: Cli, stale: list[str]
) -> None:
    result = cli("check", *stale)

    assert result.returncode == 1, result.stderr
    out = result.stdout
    blocks = [
        "[CRITICAL] TABLE: project_members\n  Change: removed\n",
        "[HIGH] ENUM: project_status\n  Change: modified\n"
        "  Added values: pending, on_hold\n  Removed values: draft\n",
        "[HIGH] TABLE: organizations\n  Change: modified\n"
        "  Added columns: billing_cycle, max_members\n  Removed columns: updated_at\n",
        "[LOW] TABLE: projects\n  Change: modified\n  Defaults changed: status (",
        "[LOW] TABLE: requirements\n  Change: modified\n"
        "  Changed types (same Python types): priority (smallint -> integer)\n",
    ]
    for block in blocks:
        assert block in out
    # Most severe first, in the order listed above.
    positions = [out.index(block) for block in blocks]
    assert positions == sorted(positions)
    assert len(lines_of(out, "[")) == len(EXPECTED_CHANGES)
    # The view is recreated with the same columns: no semantic change.
    assert "project_overview" not in out
    assert "  changed  schemas/enums.py" in out.splitlines()
    assert "  changed  schemas/schema.json" in out.splitlines()


@pytest.mark.postgres
def test_diff_files_prints_a_unified_diff_of_the_generated_files(
    cli: Cli, stale: list[str]
) -> None:
    result = cli("diff", "--files", *stale)

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert "--- a/enums.py" in lines
    assert "+++ b/enums.py" in lines
    assert '-ProjectStatusValue = Literal["draft", "active", "archived"]' in lines
    assert '+ProjectStatusValue = Literal["pending", "active", "on_hold", "archived"]' in lines


@pytest.mark.postgres
def test_verbose_prints_query_count_and_stage_times_to_stderr(cli: Cli, stale: list[str]) -> None:
    result = cli("check", "--verbose", *stale)

    assert result.returncode == 1, result.stderr
    try:  # the standard-library read, unless this machine's libpq settings leave it to psycopg
        wire.check_environment(cli.env)
        expected = re.compile(r"catalog queries: 2 in [\d.]+ ms, read by the standard library")
    except wire.Unsupported:
        expected = re.compile(r"catalog queries: 7 in [\d.]+ ms, read by psycopg")
    assert expected.search(result.stderr), result.stderr
    for stage in ("introspect", "build IR", "render", "ruff"):
        assert any(line.strip().startswith(stage) for line in result.stderr.splitlines())


@pytest.mark.postgres
def test_piped_output_has_no_colour_codes_even_without_no_color(cli: Cli, stale: list[str]) -> None:
    env = {k: v for k, v in cli.env.items() if k != "NO_COLOR"}
    result = Cli(cli.cwd, env).process("check", *stale)

    assert result.returncode == 1, result.stderr
    assert "[HIGH] ENUM: project_status" in result.stdout
    assert "\x1b[" not in result.stdout + result.stderr


@pytest.mark.postgres
def test_diff_json_lists_exactly_the_changes(cli: Cli, stale: list[str]) -> None:
    result = cli("diff", "--format", "json", *stale)

    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    changes = document["changes"]
    assert {(c["severity"], c["object_type"], c["name"], c["change"]) for c in changes} == (
        EXPECTED_CHANGES
    )
    assert len(changes) == len(EXPECTED_CHANGES)
    by_name = {c["name"]: c for c in changes}
    status = {d["what"]: d["items"] for d in by_name["project_status"]["details"]}
    assert status["Added values"] == ["pending", "on_hold"]
    assert status["Removed values"] == ["draft"]
    organizations = {d["what"]: d for d in by_name["organizations"]["details"]}
    assert organizations["Added columns"]["items"] == ["billing_cycle", "max_members"]
    assert organizations["Added columns"]["severity"] == "MEDIUM"
    assert organizations["Removed columns"]["items"] == ["updated_at"]
    assert organizations["Removed columns"]["severity"] == "HIGH"
    assert by_name["requirements"]["details"] == [
        {
            "severity": "LOW",
            "what": "Changed types (same Python types)",
            "kind": "changed_types_same_python_types",
            "items": ["priority (smallint -> integer)"],
            "entries": [{"name": "priority", "old": "smallint", "new": "integer"}],
        }
    ]
    assert by_name["project_members"]["details"] == []
    assert document["summary"] == {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 0, "LOW": 2}
    assert document["in_sync"] is False
    committed = json.loads((cli.cwd / "schemas" / "schema.json").read_text(encoding="utf-8"))
    assert document["committed"] == {"schema_version": 1, "db_hash": committed["db_hash"]}
    assert document["live"]["db_hash"] != committed["db_hash"]
    assert "schema.json" in document["files"]["changed"]


@pytest.mark.postgres
def test_report_writes_one_markdown_file_and_appends_it_to_the_step_summary(
    cli: Cli, stale: list[str], tmp_path: Path
) -> None:
    report_dir = tmp_path / "reports"
    summary = tmp_path / "step_summary.md"
    summary.write_text("previous step\n", encoding="utf-8")

    result = cli(
        "report", "--report-dir", str(report_dir), *stale, GITHUB_STEP_SUMMARY=str(summary)
    )

    assert result.returncode == 1, result.stderr
    (written,) = list(report_dir.iterdir())
    assert REPORT_NAME.fullmatch(written.name)
    assert "(5 change(s))" in result.stdout
    text = written.read_text(encoding="utf-8")
    sections = [
        "## Summary",
        "## Changes",
        "### Enums",
        "### Tables",
        "## Recommended actions",
        "## Changed files",
    ]
    positions = [text.index(f"\n{section}\n") for section in sections]
    assert positions == sorted(positions)
    committed = json.loads((cli.cwd / "schemas" / "schema.json").read_text(encoding="utf-8"))
    assert "- Committed SCHEMA_VERSION: 1\n" in text
    assert f"- Committed DB_HASH: `{committed['db_hash']}`\n" in text
    live = re.search(r"^- Live DB_HASH: `([0-9a-f]{64})`$", text, re.MULTILINE)
    assert live is not None
    assert live.group(1) != committed["db_hash"]
    assert "- **[CRITICAL] TABLE: `project_members`** (removed)" in text
    assert "  - Added values: `pending`, `on_hold`" in text
    assert "  - Changed types (same Python types): `priority (smallint -> integer)`" in text
    assert "| CRITICAL | 1 |" in text
    assert summary.read_text(encoding="utf-8") == "previous step\n" + text


# --- in sync, hand edits -----------------------------------------------------------------------


@pytest.mark.postgres
def test_right_after_generate_check_and_diff_report_no_drift(
    cli: Cli, db_at_3: str, tmp_path: Path
) -> None:
    args = db_args(db_at_3, cli)
    assert cli("generate", *args).returncode == 0

    check = cli("check", *args)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines() == ["schemas/ is in sync with the database from --db-url."]
    diff = cli("diff", *args)
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert diff.stdout == "No schema changes.\n"
    again = cli("generate", *args)
    assert again.returncode == 0
    assert "is up to date" in again.stdout
    version = cli("version", "--out", args[-1])
    assert "SCHEMA_VERSION 1" in version.stdout
    assert "LAST_SYNC 2025-01-01T00:00:00Z" in version.stdout  # SOURCE_DATE_EPOCH

    # Same database, same SOURCE_DATE_EPOCH: byte-identical package elsewhere.
    other = tmp_path / "other"
    assert cli("generate", "--db-url", db_at_3, "--out", str(other)).returncode == 0
    first = {
        p.relative_to(cli.cwd / "schemas"): p.read_bytes()
        for p in (cli.cwd / "schemas").rglob("*.*")
    }
    second = {p.relative_to(other): p.read_bytes() for p in other.rglob("*.*")}
    assert first == second


@pytest.mark.postgres
def test_a_hand_edit_of_a_generated_file_is_drift(cli: Cli, db_at_3: str) -> None:
    args = db_args(db_at_3, cli)
    assert cli("generate", *args).returncode == 0
    enums = cli.cwd / "schemas" / "enums.py"
    with enums.open("a", encoding="utf-8") as handle:
        handle.write("EXTRA = 1  # hand edit\n")

    result = cli("check", *args)

    assert result.returncode == 1, result.stderr
    assert "enums.py" in result.stdout
    assert "  changed  schemas/enums.py" in result.stdout.splitlines()
    assert "No schema change: the generated files differ" in result.stdout
    # generate repairs it.
    assert cli("generate", *args).returncode == 0
    assert cli("check", *args).returncode == 0


@pytest.mark.postgres
def test_check_in_sync_verifies_recorded_hashes_without_rendering(cli: Cli, db_at_3: str) -> None:
    args = db_args(db_at_3, cli)
    assert cli("generate", *args).returncode == 0

    fast = cli("check", "--verbose", *args)
    full = cli("check", "--verbose", "--full", *args)

    assert fast.returncode == 0, fast.stdout + fast.stderr
    assert "verify files" in fast.stderr
    assert "render" not in fast.stderr
    assert full.returncode == 0, full.stdout + full.stderr
    assert "render" in full.stderr


def _edit_schema_json(out: Path, old: str, new: str) -> None:
    path = out / "schema.json"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "tamper",
    ["edit the snapshot's database", "add a file", "delete a file", "change an option"],
)
def test_check_falls_back_to_a_full_compare_when_anything_recorded_differs(
    cli: Cli, db_at_3: str, tamper: str
) -> None:
    args = db_args(db_at_3, cli)
    assert cli("generate", *args).returncode == 0
    out = cli.cwd / "schemas"
    if tamper == "edit the snapshot's database":
        _edit_schema_json(out, '"name":"member_role"', '"name":"member_rule"')
    elif tamper == "add a file":
        (out / "database" / "extra.py").write_text("X = 1\n", encoding="utf-8")
    elif tamper == "delete a file":
        (out / "database" / "views.py").unlink()
    else:
        (cli.cwd / "pyproject.toml").write_text(
            MINIMAL_CONFIG + 'typeddict-types = "python"\n', encoding="utf-8"
        )

    result = cli("check", *args)

    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.postgres
def test_check_full_catches_an_edit_whose_recorded_hash_was_forged_too(
    cli: Cli, db_at_3: str
) -> None:
    args = db_args(db_at_3, cli)
    assert cli("generate", *args).returncode == 0
    out = cli.cwd / "schemas"
    enums = out / "enums.py"
    before = hashlib.sha256(enums.read_bytes()).hexdigest()
    enums.write_bytes(enums.read_bytes() + b"EXTRA = 1\n")
    _edit_schema_json(out, before, hashlib.sha256(enums.read_bytes()).hexdigest())

    # The recorded hashes are trusted by default (they are only ever written by generate) ...
    assert cli("check", *args).returncode == 0
    # ... and --full regenerates everything, so even a forged manifest is caught.
    result = cli("check", "--full", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "  changed  schemas/enums.py" in result.stdout.splitlines()


# --- errors never leak secrets -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "diff", "report", "generate"])
@pytest.mark.parametrize("url", [UNREACHABLE, UNKNOWN_HOST], ids=["bad-port", "bad-host"])
def test_an_unreachable_database_exits_2_with_a_hint_and_no_secret(
    cli: Cli, tmp_path: Path, command: str, url: str
) -> None:
    report_dir = tmp_path / "reports"
    result = cli.process(
        command,
        "--db-url",
        url,
        "--out",
        str(cli.cwd / "schemas"),
        *(["--report-dir", str(report_dir)] if command == "report" else []),
        SUPABASE_SERVICE_KEY=SERVICE_KEY,
    )

    assert_error_with_hint(result)
    for secret in (PASSWORD, SERVICE_KEY):
        assert secret not in result.stdout + result.stderr
        assert files_containing(tmp_path, secret) == []
    assert not report_dir.exists()
    assert not (cli.cwd / "schemas").exists()


def test_an_unreachable_database_from_database_url_exits_2(cli: Cli) -> None:
    result = cli.process("check", DATABASE_URL=UNREACHABLE, SUPABASE_SERVICE_KEY=SERVICE_KEY)

    assert_error_with_hint(result)
    assert PASSWORD not in result.stdout + result.stderr
    assert SERVICE_KEY not in result.stdout + result.stderr


@pytest.mark.postgres
def test_a_missing_database_exits_2_with_a_hint_and_no_password(
    cli: Cli, pg_server: TempServer, tmp_path: Path
) -> None:
    dsn = pg_server.dsn("no_such_db").replace("postgres@", f"postgres:{PASSWORD}@", 1)
    assert PASSWORD in dsn

    for command in ("check", "report"):
        result = cli.process(
            command,
            "--db-url",
            dsn,
            "--out",
            str(cli.cwd / "schemas"),
            *(["--report-dir", str(tmp_path / "reports")] if command == "report" else []),
            SUPABASE_SERVICE_KEY=SERVICE_KEY,
        )
        assert_error_with_hint(result)
        assert "no_such_db" in result.stderr
        for secret in (PASSWORD, SERVICE_KEY):
            assert secret not in result.stdout + result.stderr
    assert files_containing(tmp_path, PASSWORD) == []


@pytest.mark.postgres
def test_secrets_in_a_working_url_reach_no_output_file_or_report(
    cli: Cli, db_at_3: str, tmp_path: Path
) -> None:
    # Trust auth ignores the password; the service key rides along as application_name.
    dsn = db_at_3.replace("postgres@", f"postgres:{PASSWORD}@", 1) + (
        f"&application_name={SERVICE_KEY}"
    )
    out = ["--db-url", dsn, "--out", str(cli.cwd / "schemas")]
    env = {"SUPABASE_SERVICE_KEY": SERVICE_KEY}
    summary = tmp_path / "summary.md"

    results = [
        cli.process("generate", *out, **env),
        cli.process("diff", "--format", "json", *out, **env),
        cli.process(
            "report",
            "--report-dir",
            str(tmp_path / "reports"),
            *out,
            **env,
            GITHUB_STEP_SUMMARY=str(summary),
        ),
        cli.process(
            "report", "--format", "json", "--report-dir", str(tmp_path / "reports"), *out, **env
        ),
        cli.process("report", "--format", "github", *out, **env),
    ]

    assert [r.returncode for r in results] == [0, 0, 0, 0, 0], [r.stderr for r in results]
    for result in results:
        for secret in (PASSWORD, SERVICE_KEY):
            assert secret not in result.stdout + result.stderr
    for secret in (PASSWORD, SERVICE_KEY):
        assert files_containing(tmp_path, secret) == []
    reports = sorted((tmp_path / "reports").iterdir())
    assert len(reports) == 2
    assert "postgres:***@" in summary.read_text(encoding="utf-8")


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["check", "generate", "report"])
def test_a_wrong_password_exits_2_and_no_output_names_it(
    cli: Cli, password_role: tuple[str, str], tmp_path: Path, command: str
) -> None:
    right, wrong = password_role
    args = ["--out", str(cli.cwd / "schemas"), "--verbose"]
    if command == "report":
        args += ["--report-dir", str(tmp_path / "reports")]

    result = cli.process(command, "--db-url", wrong, *args, SUPABASE_SERVICE_KEY=SERVICE_KEY)

    assert_error_with_hint(result)
    assert "password authentication failed" in result.stderr
    for secret in (PASSWORD, SERVICE_KEY):
        assert secret not in result.stdout + result.stderr
        assert files_containing(tmp_path, secret) == []
    # The same role with its right password gets through: the password was the problem.
    assert cli.process("generate", "--db-url", right, "--out", str(tmp_path / "ok")).returncode == 0


@pytest.mark.postgres
@pytest.mark.parametrize("verbose", [True, False], ids=["typer-app", "fast-check"])
def test_a_statement_timeout_exits_2_naming_it_without_the_password(
    tmp_path: Path, pg_server: TempServer, fresh_db: str, verbose: bool
) -> None:
    # Without --verbose, `check --db-url URL --out DIR` is answered by the entry's fast path.
    pg_server.psql(SLOW_CATALOG_SQL, dbname(fresh_db))
    cli = make_cli(tmp_path / "project", MINIMAL_CONFIG + "statement-timeout = 1\n")
    dsn = fresh_db.replace("postgres@", f"postgres:{PASSWORD}@", 1)
    args = ["--verbose"] if verbose else []

    result = cli.process("check", *args, "--db-url", dsn, "--out", str(cli.cwd / "schemas"))

    assert_error_with_hint(result)
    assert "catalog query exceeded the statement timeout (1 ms)" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def run_with_stdout_closed(cli: Cli, *args: str) -> tuple[int, bytes]:
    """Run the CLI with its stdout's reader gone before the first line, as `| head -0` does."""
    run = subprocess.Popen(
        [sys.executable, "-m", "sync_schema", *args],
        cwd=cli.cwd,
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert run.stdout is not None
    run.stdout.close()
    try:
        _out, err = run.communicate(timeout=120)
    finally:
        run.kill()
    return run.returncode, err


@pytest.mark.postgres
def test_generate_into_a_closed_pipe_writes_and_exits_0_quietly(cli: Cli, db_at_3: str) -> None:
    code, err = run_with_stdout_closed(cli, "generate", *db_args(db_at_3, cli))

    assert (code, err) == (0, b"")
    assert (cli.cwd / "schemas" / "schema.json").is_file()


@pytest.mark.postgres
def test_check_on_drift_into_a_closed_pipe_still_exits_1(cli: Cli, stale: list[str]) -> None:
    code, err = run_with_stdout_closed(cli, "check", *stale)

    assert (code, err) == (1, b"")


def test_ctrl_c_while_the_cli_is_still_importing_exits_130_without_a_traceback(
    cli: Cli,
) -> None:
    # The console script's own code, with a Ctrl-C arriving while typer is being imported.
    script = (
        "import builtins, os, signal\n"
        "real = builtins.__import__\n"
        "def hooked(name, *args, **kwargs):\n"
        "    if name == 'typer':\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = hooked\n"
        "from sync_schema.__main__ import entry\n"
        "entry()\n"
    )
    result = cli.python(script, "check", timeout=60)

    assert result.returncode == 130
    assert "Traceback" not in result.stderr
    assert "KeyboardInterrupt" not in result.stderr


@pytest.mark.postgres
def test_a_getenv_in_a_migration_exits_2_and_the_secret_reaches_no_file(cli: Cli) -> None:
    migrations = cli.cwd / "migrations"
    migrations.mkdir()
    (migrations / "001_init.sql").write_text(
        "create table t (id int primary key);\n"
        "\\getenv key SUPABASE_SERVICE_KEY\n"
        "comment on table t is :'key';\n",
        encoding="utf-8",
    )

    result = cli.process(
        "generate", "--migrations", str(migrations), SUPABASE_SERVICE_KEY=SERVICE_KEY
    )

    assert_error_with_hint(result)
    assert "001_init.sql:2" in result.stderr
    assert "\\getenv" in result.stderr
    assert files_containing(cli.cwd, SERVICE_KEY) == []
    assert not (cli.cwd / "schemas").exists()


def test_a_cancelled_forked_child_removes_its_temp_dir(tmp_path: Path) -> None:
    ready = tmp_path / "ready"

    def work() -> None:
        with tempfile.TemporaryDirectory(dir=tmp_path, prefix="work-"):
            ready.touch()
            time.sleep(120)

    child = forked.ForkedCall.start(work)
    deadline = time.monotonic() + 60
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    child.cancel()

    assert ready.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ready"]


# --- update --commit ---------------------------------------------------------------------------


def git(repo: Path, cli: Cli, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, env=cli.env, capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.postgres
def test_update_commit_makes_one_commit_listing_the_changes_then_none(
    cli: Cli, db_at_3: str, pg_server: TempServer, tmp_path: Path
) -> None:
    repo = cli.cwd
    git(repo, cli, "init", "-q")
    git(repo, cli, "add", "pyproject.toml")
    git(repo, cli, "commit", "-q", "-m", "initial")
    args = ["--db-url", db_at_3, "--out", "schemas"]
    assert cli("generate", *args).returncode == 0
    git(repo, cli, "add", "schemas")
    git(repo, cli, "commit", "-q", "-m", "schemas at migration 3")
    apply_fourth_migration(db_at_3, pg_server, tmp_path)
    (repo / "unrelated.txt").write_text("not part of the schemas commit\n", encoding="utf-8")

    first = cli("update", "--commit", *args)

    assert first.returncode == 0, first.stderr
    assert git(repo, cli, "rev-list", "--count", "HEAD").strip() == "3"
    message = git(repo, cli, "log", "-1", "--format=%B")
    assert message.startswith("chore(schemas): sync with database\n")
    assert "- [CRITICAL] TABLE project_members: removed\n" in message
    assert (
        "- [HIGH] ENUM project_status: modified (Added values: pending, on_hold; "
        "Removed values: draft" in message
    )
    assert (
        "- [HIGH] TABLE organizations: modified (Added columns: billing_cycle, max_members; "
        "Removed columns: updated_at" in message
    )
    assert (
        "- [LOW] TABLE requirements: modified "
        "(Changed types (same Python types): priority (smallint -> integer))" in message
    )
    committed = git(repo, cli, "show", "--name-only", "--format=", "HEAD").split()
    assert committed
    assert all(path.startswith("schemas/") for path in committed)
    assert git(repo, cli, "status", "--porcelain", "--", "schemas") == ""

    second = cli("update", "--commit", *args)

    assert second.returncode == 0, second.stderr
    assert "Nothing to commit" in second.stdout
    assert git(repo, cli, "rev-list", "--count", "HEAD").strip() == "3"


def test_the_first_commit_says_first_generation_not_no_schema_change() -> None:
    first = commit_message([], first=True)
    later = commit_message([])

    assert "- first generation: no previous snapshot to compare with\n" in first
    assert "no schema change" not in first
    assert "- regenerated files (no schema change)\n" in later


# --- extending SchemaSync ----------------------------------------------------------------------


TEXT = ir.TypeRef("pg_catalog", "text", "base", "text")


class RequireTableComments(SchemaSync):
    """A project rule: every table must carry a comment."""

    def compare_schemas(self) -> list[Change]:
        missing = [
            Change(
                "TABLE",
                t.schema,
                t.name,
                "modified",
                Severity.MEDIUM,
                (Detail(Severity.MEDIUM, "Missing comment", ("COMMENT ON TABLE",)),),
            )
            for t in self.db_schema.tables
            if not t.is_view and not t.comment
        ]
        return sort_changes([*super().compare_schemas(), *missing])


def test_a_schema_sync_subclass_adds_a_rule_to_the_output(tmp_path: Path) -> None:
    documented = ir.Table(
        "public", "organizations", "table", (ir.Column("id", TEXT, nullable=False),), comment="x"
    )
    bare = ir.Table("public", "tags", "table", (ir.Column("id", TEXT, nullable=False),))
    old = ir.Database(schemas=("public",), tables=(documented,))
    new = ir.Database(schemas=("public",), tables=(documented, bare))

    plain = SchemaSync(old, new).compare_schemas()
    ruled = RequireTableComments(old, new).compare_schemas()

    assert [(c.severity, c.name, c.change) for c in plain] == [(Severity.LOW, "tags", "added")]
    assert [(c.severity, c.name, c.change) for c in ruled] == [
        (Severity.MEDIUM, "tags", "modified"),
        (Severity.LOW, "tags", "added"),
    ]
    assert format_change(ruled[0]) == [
        "[MEDIUM] TABLE: tags",
        "  Change: modified",
        "  Missing comment: COMMENT ON TABLE",
    ]
    settings = Settings(
        root=tmp_path,
        out=tmp_path / "schemas",
        migrations=tmp_path,
        schemas=("public",),
        db_url=None,
        db_url_origin="embedded",
    )
    text = report.markdown(ruled, TreeDiff(), settings, None, new, datetime.now(tz=UTC))
    assert (
        "- **[MEDIUM] TABLE: `tags`** (modified)\n  - Missing comment: `COMMENT ON TABLE`" in text
    )
    assert "| MEDIUM | 1 |" in text


# --- the seed's flags and projects -------------------------------------------------------------


@pytest.mark.postgres
def test_every_root_seed_flag_works_like_its_subcommand(
    cli: Cli, db_at_3: str, pg_server: TempServer, tmp_path: Path
) -> None:
    args = db_args(db_at_3, cli)

    update = cli("--update", *args)
    assert update.returncode == 0, update.stderr
    assert (cli.cwd / "schemas" / "schema.json").is_file()
    assert cli("--check", *args).returncode == 0
    apply_fourth_migration(db_at_3, pg_server, tmp_path)

    check = cli("--check", *args)
    assert check.returncode == 1
    assert "[CRITICAL] TABLE: project_members" in check.stdout
    diff = cli("--diff", *args)
    assert diff.returncode == 1
    assert "[HIGH] ENUM: project_status\n  Change: modified\n" in diff.stdout
    report_run = cli("--report", *args)
    assert report_run.returncode == 1, report_run.stderr
    reports = [p for p in cli.cwd.iterdir() if REPORT_NAME.fullmatch(p.name)]
    assert len(reports) == 1
    assert cli("--update", *args).returncode == 0
    assert cli("--check", *args).returncode == 0

    both = cli("--check", "--diff", *args)
    assert both.returncode == 2
    assert "error: choose one of --check, --diff" in both.stderr


@pytest.mark.postgres
def test_project_id_selects_the_project_url_variable_and_out(cli: Cli, db_at_3: str) -> None:
    (cli.cwd / "pyproject.toml").write_text(PROJECTS_CONFIG, encoding="utf-8")
    env = {"PROD_DATABASE_URL": db_at_3}

    update = cli("--update", "--project-id", "prod", **env)
    assert update.returncode == 0, update.stderr
    assert (cli.cwd / "prod_schemas" / "schema.json").is_file()
    assert not (cli.cwd / "schemas").exists()

    check = cli("--check", "--project-id", "prod", **env)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines() == [
        "prod_schemas/ is in sync with the database from $PROD_DATABASE_URL (project prod)."
    ]
    assert cli("--project-id", "prod", "check", **env).returncode == 0
    assert cli("check", "--project-id", "prod", **env).returncode == 0
    assert cli("--check", SUPABASE_PROJECT_ID="prod", **env).returncode == 0

    report_run = cli("--report", "--project-id", "prod", **env)
    assert report_run.returncode == 0, report_run.stderr
    (written,) = list((cli.cwd / "reports").iterdir())
    assert REPORT_NAME.fullmatch(written.name)
    assert "- Project: `prod`" in written.read_text(encoding="utf-8")


def test_an_unknown_project_id_exits_2_listing_the_known_ids(cli: Cli) -> None:
    (cli.cwd / "pyproject.toml").write_text(PROJECTS_CONFIG, encoding="utf-8")

    result = cli("--check", "--project-id", "nope")

    assert_error_with_hint(result)
    assert "unknown project id 'nope'" in result.stderr
    (hint,) = lines_of(result.stderr, "hint: ")
    assert "known ids: prod, staging" in hint


def test_a_project_whose_url_variable_is_unset_exits_2_naming_it(cli: Cli) -> None:
    (cli.cwd / "pyproject.toml").write_text(PROJECTS_CONFIG, encoding="utf-8")

    result = cli("--check", "--project-id", "prod")

    assert_error_with_hint(result)
    (hint,) = lines_of(result.stderr, "hint: ")
    assert "PROD_DATABASE_URL" in hint


# --- the embedded server -----------------------------------------------------------------------


def test_check_on_the_embedded_server_names_the_broken_migration_and_line(cli: Cli) -> None:
    migrations = cli.cwd / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    broken = migrations / "20250301000000_broken.sql"
    broken.write_text(
        "-- A typo in a table name.\n\nselect * from public.no_such_table;\n", encoding="utf-8"
    )

    result = cli("check", "--migrations", "migrations", "--out", "schemas")

    assert_error_with_hint(result)
    (error,) = lines_of(result.stderr, "error: ")
    assert "migrations/20250301000000_broken.sql:3" in error
    assert "no_such_table" in error
    assert "20250301000000_broken.sql" in lines_of(result.stderr, "hint: ")[0]


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message", "known"),
    [
        pytest.param(
            '[tool.sync-schema]\nout = "schemas"\nbogus = true\n',
            "unknown key 'bogus' in [tool.sync-schema]",
            ["migrations", "out", "projects", "report-dir", "schemas"],
            id="top-level",
        ),
        pytest.param(
            '[tool.sync-schema.projects.prod]\ndb-url = "postgresql://app:S3cretPw@db/app"\n',
            "unknown key 'db-url' in [tool.sync-schema.projects.prod]",
            ["db-url-env", "out", "schemas"],
            id="project",
        ),
    ],
)
def test_an_unknown_config_key_exits_2_and_the_hint_lists_the_known_keys(
    cli: Cli, config: str, message: str, known: list[str]
) -> None:
    (cli.cwd / "pyproject.toml").write_text(config, encoding="utf-8")

    result = cli("check", "--db-url", UNREACHABLE)

    assert_error_with_hint(result)
    assert message in result.stderr
    (hint,) = lines_of(result.stderr, "hint: ")
    assert hint.startswith("hint: known keys: ")
    listed = hint.removeprefix("hint: known keys: ").split(", ")
    assert set(known) <= set(listed)
    assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.postgres
def test_nullability_overrides_shape_the_code_but_not_the_database_hash(
    tmp_path: Path, pg_server: TempServer, fresh_db: str
) -> None:
    pg_server.psql(
        "create table public.t (id int primary key, note text);"
        "create view public.v as select id, note from public.t;",
        dbname(fresh_db),
    )
    overrides = '\n[tool.sync-schema.nullability]\n"public.v.note" = false\n"public.v.id" = true\n'
    cli = make_cli(tmp_path / "project", MINIMAL_CONFIG + overrides)
    args = db_args(fresh_db, cli)

    assert cli("generate", *args).returncode == 0
    views = (cli.cwd / "schemas" / "database" / "views.py").read_text(encoding="utf-8")
    assert "    id: int | None\n" in views  # inferred NOT NULL, overridden
    assert "    note: str\n" in views  # nullable in the table, overridden
    assert cli("check", "--hash-only", *args).returncode == 0
    assert cli("check", *args).returncode == 0

    stale = make_cli(tmp_path / "other", MINIMAL_CONFIG + overrides.replace("note", "gone"))
    result = stale("check", *db_args(fresh_db, stale))
    assert_error_with_hint(result)
    assert "public.v.gone" in result.stderr


# --- init --------------------------------------------------------------------------------------

INIT_SOURCE = ("--repository", "acme/sync-schema", "--ref", "v9")
WORKFLOW = Path(".github/workflows/schema-check.yml")
REUSABLE = Path(__file__).parents[2] / ".github" / "workflows" / "reusable-schema-check.yml"


def _bare_project(tmp_path: Path) -> Cli:
    """A project folder with no pyproject.toml: what `init` starts from."""
    cli = make_cli(tmp_path / "app")
    (cli.cwd / "pyproject.toml").unlink()
    (cli.cwd / "supabase" / "migrations").mkdir(parents=True)
    return cli


def _yaml(path: Path) -> dict[object, object]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    if True in data:  # YAML 1.1 reads the key `on` as True
        data["on"] = data.pop(True)
    return data


def test_init_scaffolds_config_hook_and_workflow_in_a_new_project(tmp_path: Path) -> None:
    from sync_schema.config import Overrides, load_settings

    cli = _bare_project(tmp_path)

    result = cli("init", *INIT_SOURCE)

    assert result.returncode == 0, result.stdout + result.stderr
    settings = load_settings(Overrides(), cwd=cli.cwd)
    assert settings.migrations == cli.cwd / "supabase" / "migrations"
    assert settings.out == cli.cwd / "schemas"
    hooks = (cli.cwd / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: https://github.com/acme/sync-schema" in hooks
    assert "rev: v9" in hooks
    assert "id: check-schemas" in hooks
    assert "schemas/** linguist-generated=true" in (cli.cwd / ".gitattributes").read_text()
    for name in ("pyproject.toml", ".pre-commit-config.yaml", str(WORKFLOW), ".gitattributes"):
        assert f"created {name}" in result.stdout


def test_init_workflow_calls_the_reusable_workflow_with_inputs_it_has(tmp_path: Path) -> None:
    cli = _bare_project(tmp_path)
    assert cli("init", *INIT_SOURCE).returncode == 0

    workflow = _yaml(cli.cwd / WORKFLOW)
    reusable = _yaml(REUSABLE)["on"]
    assert isinstance(reusable, dict)
    call = reusable["workflow_call"]
    (job,) = workflow["jobs"].values()  # type: ignore[attr-defined]
    assert job["uses"] == f"acme/sync-schema/.github/workflows/{REUSABLE.name}@v9"
    assert job["with"]["sync-schema-repository"] == "acme/sync-schema"
    assert job["with"]["sync-schema-ref"] == "v9"
    assert set(job["with"]) <= set(call["inputs"])
    assert set(job["secrets"]) <= set(call["secrets"])
    assert workflow["permissions"] == {}
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_init_appends_to_an_existing_pyproject_and_keeps_its_text(tmp_path: Path) -> None:
    cli = _bare_project(tmp_path)
    original = '[project]\nname = "app"\nversion = "1"\n\n[tool.ruff]\nline-length = 99\n'
    (cli.cwd / "pyproject.toml").write_text(original, encoding="utf-8")

    result = cli("init", *INIT_SOURCE)

    assert result.returncode == 0, result.stderr
    text = (cli.cwd / "pyproject.toml").read_text(encoding="utf-8")
    assert text.startswith(original)
    assert "[tool.sync-schema]" in text
    assert "updated pyproject.toml" in result.stdout


def test_init_overwrites_nothing_that_exists_without_force(tmp_path: Path) -> None:
    cli = _bare_project(tmp_path)
    assert cli("init", *INIT_SOURCE).returncode == 0
    paths = [
        cli.cwd / name
        for name in ("pyproject.toml", ".pre-commit-config.yaml", str(WORKFLOW), ".gitattributes")
    ]
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    before = {path: path.read_bytes() for path in paths}

    again = cli("init", "--repository", "other/fork", "--ref", "v10")

    assert again.returncode == 0, again.stderr
    assert {path: path.read_bytes() for path in paths} == before
    assert "--force" in again.stdout
    assert "kept .pre-commit-config.yaml" in again.stdout


def test_init_force_rewrites_its_own_section_and_keeps_the_rest(tmp_path: Path) -> None:
    cli = _bare_project(tmp_path)
    (cli.cwd / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.sync-schema]\nout = "old"\n\n'
        '[tool.sync-schema.naming]\n"public.people" = "Person"\n\n[tool.ruff]\nline-length = 99\n',
        encoding="utf-8",
    )

    result = cli("init", "--force", *INIT_SOURCE)

    assert result.returncode == 0, result.stderr
    text = (cli.cwd / "pyproject.toml").read_text(encoding="utf-8")
    assert 'out = "old"' not in text
    assert 'out = "schemas"' in text
    assert '[project]\nname = "app"' in text
    assert "[tool.ruff]\nline-length = 99" in text
    assert "public.people" not in text
    assert (cli.cwd / WORKFLOW).read_text(encoding="utf-8").count("acme/sync-schema") >= 2


def test_init_without_a_repository_names_the_option(tmp_path: Path) -> None:
    cli = _bare_project(tmp_path)

    result = cli("init")

    assert_error_with_hint(result)
    assert "--repository" in result.stderr
    assert not (cli.cwd / "pyproject.toml").exists()


# --- messages in the user's terms --------------------------------------------------------------


def test_a_mistyped_command_is_corrected_once(cli: Cli) -> None:
    result = cli("dif")

    assert result.returncode == 2
    assert result.stderr.count("Did you mean") == 1, result.stderr


def test_help_keeps_the_examples_on_their_lines_and_names_no_seed(cli: Cli) -> None:
    result = cli("--help", COLUMNS="80")

    assert result.returncode == 0
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert any(
        line.startswith("sync-schema generate") and line.endswith("from the migrations")
        for line in lines
    ), result.stdout
    assert "seed" not in result.stdout.lower()


@pytest.mark.parametrize(
    ("command", "refused"), [("diff", "markdown"), ("diff", "github"), ("report", "text")]
)
def test_a_format_a_command_does_not_write_is_not_offered(
    cli: Cli, command: str, refused: str
) -> None:
    result = cli(command, "--format", refused)

    assert result.returncode == 2
    assert "Invalid value for '--format'" in result.stderr


def test_hash_only_without_a_snapshot_names_the_command_not_make(cli: Cli) -> None:
    (cli.cwd / "supabase" / "migrations").mkdir(parents=True)
    (cli.cwd / "supabase" / "migrations" / "1_t.sql").write_text(
        "create table public.t (id int primary key);\n", encoding="utf-8"
    )

    result = cli("check", "--hash-only")

    assert_error_with_hint(result)
    assert "sync-schema generate" in result.stderr
    assert "make" not in result.stderr
