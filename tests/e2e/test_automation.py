"""CI/CD automation: the workflows' shape, the pre-commit hooks and the schema-sync bot.

The workflows only call Make targets and the CLI (checked here line by line), so what they do
is what these tests run: the bot's `update --commit` in a scratch git repository, the hooks'
entry points with and without a `.venv`, and the report that becomes the PR comment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.report import COMMENT_MARKER
from tests.conftest import MIGRATIONS
from tests.standin import SUPABASE_ENV

ROOT = Path(__file__).parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
HOOK_SCRIPT = ROOT / "scripts" / "pre-commit-hook.sh"
HOOKS_MANIFEST = ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT_CONFIG = ROOT / ".pre-commit-config.yaml"
MAKEFILE = ROOT / "Makefile"
# The venv running the tests: its bin holds the sync-schema console script when installed.
VENV_BIN = Path(sys.executable).parent

SYNC_BRANCH = "bot/schema-sync"
DRIFT_MESSAGE = "Schema drift detected! Run 'sync-schema diff' for details"
PASSWORD = "S3cretPw"
UNREACHABLE = f"postgresql://app:{PASSWORD}@127.0.0.1:1/app"
CONFIG = '[tool.sync-schema]\nout = "schemas"\nschemas = ["public"]\n'
# A later migration, as a developer would add one: one MEDIUM change (column added).
NEW_MIGRATION = "alter table public.organizations add column website text;\n"
# The run commands a workflow may use: anything else is logic the test suite cannot reach.
ALLOWED_RUN = ("make ", ".venv/bin/sync-schema ", "sync-schema ")
# The only write permissions, each in the job that needs it.
WRITE_PERMISSIONS = {
    ("schema-check.yml", "comment", "pull-requests"),
    ("schema-check.yml", "issue", "issues"),
    ("schema-sync.yml", "sync", "contents"),
    ("schema-sync.yml", "sync", "pull-requests"),
    # The reusable workflow runs the action in one job, the comment included.
    ("reusable-schema-check.yml", "check", "pull-requests"),
}
ACTION = ROOT / "action.yml"
REUSABLE = WORKFLOW_DIR / "reusable-schema-check.yml"
#: where the reusable workflow checks the action out, and runs it from
LOCAL_ACTION = "./.sync-schema-action"

# Variables that would change what git or the CLI does if inherited from the shell.
_INHERITED_OUT = {
    # connect.py reads these: a developer's shell must not pick the tests' database.
    *SUPABASE_ENV,
    "SUPABASE_SERVICE_KEY",
    "GITHUB_STEP_SUMMARY",
}


# --- line-based readers (no YAML library needed) -----------------------------------------------

_RUN = re.compile(r"^(?P<indent>\s*)(?:-\s+)?run:\s*(?P<value>.*)$")
_BLOCK = re.compile(r"^[|>][-+]?\d*\s*(?:#.*)?$")


def run_commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) of every `run:` in a workflow; block scalars give one per line."""
    lines = text.splitlines()
    commands: list[tuple[int, str]] = []
    index = 0
    while index < len(lines):
        match = _RUN.match(lines[index])
        index += 1
        if match is None:
            continue
        value = match["value"].strip()
        if not _BLOCK.match(value):
            if value[:1] in "'\"" and value[-1:] == value[:1]:
                value = value[1:-1]
            commands.append((index, value))
            continue
        indent = len(match["indent"])
        pending = ""
        while index < len(lines):
            line = lines[index]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            index += 1
            command = pending + line.strip()
            if command.endswith("\\"):
                pending = command[:-1].rstrip() + " "
                continue
            pending = ""
            if command and not command.startswith("#"):
                commands.append((index, command))
        if pending:
            commands.append((index, pending.strip()))
    return commands


def disallowed_runs(text: str) -> list[str]:
    """The run commands that are not a Make target or the CLI, or that expand `${{ }}`."""
    return [
        f"line {number}: {command}"
        for number, command in run_commands(text)
        if not command.startswith(ALLOWED_RUN) or "${{" in command
    ]


def hook_fields(text: str, hook_id: str) -> dict[str, str]:
    """The scalar `key: value` fields of the hook `hook_id` in a pre-commit YAML file."""
    fields: dict[str, str] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        item = re.match(r"^\s*-\s+id:\s*(\S+)$", line)
        if item:
            current = fields if item[1] == hook_id else None
            if current is not None:
                current["id"] = item[1]
            continue
        pair = re.match(r"^\s+([a-z_]+):\s*(\S.*)$", line)
        if current is not None and pair:
            current[pair[1]] = pair[2].strip("'\"")
    return fields


def makefile_targets() -> set[str]:
    """The explicit targets of the repository's Makefile."""
    text = MAKEFILE.read_text(encoding="utf-8")
    return {
        name
        for match in re.finditer(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", text, re.M)
        for name in match[1].split()
    }


def make_targets_in(text: str) -> list[str]:
    """The Make targets a workflow runs."""
    return [
        target
        for _, command in run_commands(text)
        if command.startswith("make ")
        for target in shlex.split(command)[1:]
        if not target.startswith("-") and "=" not in target
    ]


# --- the run-line checker itself ---------------------------------------------------------------

_SAMPLE = """\
jobs:
  a:
    steps:
      - run: make lint
      - name: x
        run: "sync-schema check"
      - run: |
          make test \\
            PYTEST_ARGS=-q
          # a comment
          .venv/bin/sync-schema report --format github > comment.md
      - run: >-
          if [ -f x ]; then echo drift; fi
      - run: echo ${{ github.event.pull_request.title }}
      - run: make check-schemas ${{ inputs.args }}
      - uses: actions/github-script@0000000000000000000000000000000000000000 # v1.0.0
        with:
          script: |
            const run = 1;
"""


def test_run_checker_reads_single_lines_and_blocks() -> None:
    assert [command for _, command in run_commands(_SAMPLE)] == [
        "make lint",
        "sync-schema check",
        "make test PYTEST_ARGS=-q",
        ".venv/bin/sync-schema report --format github > comment.md",
        "if [ -f x ]; then echo drift; fi",
        "echo ${{ github.event.pull_request.title }}",
        "make check-schemas ${{ inputs.args }}",
    ]
    assert disallowed_runs(_SAMPLE) == [
        "line 13: if [ -f x ]; then echo drift; fi",
        "line 14: echo ${{ github.event.pull_request.title }}",
        "line 15: make check-schemas ${{ inputs.args }}",
    ]


# --- the workflows -----------------------------------------------------------------------------


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "schema-check.yml", "schema-sync.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_runs_only_make_targets_and_the_cli(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8")
    # The reusable workflow runs no command of its own: the action does.
    assert run_commands(text) or f"uses: {LOCAL_ACTION}" in text, f"{workflow.name} runs nothing"
    assert disallowed_runs(text) == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_make_targets_exist(workflow: Path) -> None:
    missing = sorted(
        set(make_targets_in(workflow.read_text(encoding="utf-8"))) - makefile_targets()
    )
    assert missing == [], f"{workflow.name} runs Make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_actions_are_pinned_to_a_commit(workflow: Path) -> None:
    uses = [
        line.strip()
        for line in workflow.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\s*(?:-\s+)?uses:", line)
    ]
    pinned = re.compile(r"^(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    # The local action is pinned by the sync-schema-ref its checkout step takes.
    local = f"uses: {LOCAL_ACTION}"
    assert [u for u in uses if not pinned.match(u) and u != local] == []


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_secrets_reach_steps_only_through_env(workflow: Path) -> None:
    lines = [ln.strip() for ln in workflow.read_text(encoding="utf-8").splitlines()]
    env_entry = re.compile(r"^[A-Z][A-Z0-9_]*: \$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}$")
    # Comments (a usage example) pass nothing.
    code = [ln for ln in lines if not ln.startswith("#")]
    assert [ln for ln in code if "secrets." in ln and not env_entry.match(ln)] == []


def _load(workflow: Path) -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _jobs(workflow: Path) -> dict[str, dict[str, Any]]:
    jobs = _load(workflow)["jobs"]
    assert isinstance(jobs, dict)
    return jobs


def _steps(workflow: Path) -> list[dict[str, Any]]:
    return [step for job in _jobs(workflow).values() for step in job["steps"]]


def test_permissions_are_least_privilege() -> None:
    writes = set()
    for workflow in WORKFLOWS:
        assert _load(workflow)["permissions"] == {}, f"{workflow.name}: top-level permissions"
        for name, job in _jobs(workflow).items():
            permissions = job.get("permissions")
            assert isinstance(permissions, dict), f"{workflow.name}/{name} sets no permissions"
            assert set(permissions.values()) <= {"read", "write", "none"}
            writes |= {(workflow.name, name, k) for k, v in permissions.items() if v == "write"}
    assert writes == WRITE_PERMISSIONS


def test_checkout_keeps_no_credentials_except_for_the_bot() -> None:
    for workflow in WORKFLOWS:
        for step in _steps(workflow):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                expected = workflow.name == "schema-sync.yml"
                assert step["with"]["persist-credentials"] is expected, workflow.name


def test_ci_workflow() -> None:
    workflow = WORKFLOW_DIR / "ci.yml"
    data = _load(workflow)
    assert set(data["on"]) == {"push", "pull_request"}
    (job,) = _jobs(workflow).values()
    assert job["strategy"] == {
        "fail-fast": False,
        "matrix": {"python-version": ["3.11", "3.12", "3.13"]},
    }
    assert [c for _, c in run_commands(workflow.read_text(encoding="utf-8"))] == [
        "make lint",
        "make test",
        "make check-schemas",
    ]


def test_schema_check_workflow() -> None:
    workflow = WORKFLOW_DIR / "schema-check.yml"
    on = _load(workflow)["on"]
    assert isinstance(on, dict)
    assert set(on) == {"pull_request", "schedule", "workflow_dispatch"}
    assert on["schedule"] == [{"cron": "0 9 * * *"}]
    text = workflow.read_text(encoding="utf-8")
    # The comment body (with the impact on examples/app) and the artifact glob the jobs rely on.
    assert ".venv/bin/sync-schema report --impact --format github > reports/comment.md" in text
    assert "hashFiles('reports/schema_drift_report_*.md')" in text
    assert "actions/upload-artifact@" in text


def test_schema_sync_workflow() -> None:
    workflow = WORKFLOW_DIR / "schema-sync.yml"
    data = _load(workflow)
    assert set(data["on"]) == {"schedule", "workflow_dispatch"}
    assert data["env"]["SYNC_BRANCH"] == SYNC_BRANCH
    assert "make schema-sync-push" in [c for _, c in run_commands(workflow.read_text("utf-8"))]


def test_pre_commit_ruff_matches_the_pinned_ruff() -> None:
    pin = re.search(r'"ruff==([\d.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin is not None
    config = PRE_COMMIT_CONFIG.read_text(encoding="utf-8")
    assert "https://github.com/astral-sh/ruff-pre-commit" in config
    assert re.search(rf"^\s+rev: v{re.escape(pin[1])}$", config, re.M), "bump rev with the pin"
    assert hook_fields(config, "ruff-check") and hook_fields(config, "ruff-format")


def test_pre_commit_hook_definitions() -> None:
    offered = hook_fields(HOOKS_MANIFEST.read_text(encoding="utf-8"), "check-schemas")
    assert offered["entry"] == "sync-schema check"
    assert offered["language"] == "python"
    assert offered["pass_filenames"] == "false"
    local = hook_fields(PRE_COMMIT_CONFIG.read_text(encoding="utf-8"), "check-schemas")
    assert local["entry"] == ".venv/bin/sync-schema check"
    assert local["language"] == "system"
    assert local["pass_filenames"] == "false"
    assert os.access(HOOK_SCRIPT, os.X_OK)


# --- a scratch project in its own git repository -----------------------------------------------


@dataclass(frozen=True)
class Repo:
    """A git repository laid out like a project using sync-schema (no .venv, no migrations)."""

    path: Path
    env: dict[str, str]

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.path,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=180,
        )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "sync_schema", *args)

    def git(self, *args: str) -> str:
        result = self.run("git", *args)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def commits(self, rev: str = "HEAD") -> int:
        return int(self.git("rev-list", "--count", rev))


def _path_without_sync_schema() -> str:
    """PATH minus every folder that has a sync-schema executable."""
    folders = os.environ.get("PATH", os.defpath).split(os.pathsep)
    return os.pathsep.join(f for f in folders if f and not (Path(f) / "sync-schema").is_file())


def make_repo(path: Path, *, sync_schema_on_path: bool = True) -> Repo:
    path.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _INHERITED_OUT and not k.startswith(("PG", "GIT_"))
    }
    path_var = _path_without_sync_schema()
    if sync_schema_on_path:
        path_var = f"{VENV_BIN}{os.pathsep}{path_var}"
    env |= {
        "PATH": path_var,
        "NO_COLOR": "1",
        # The bot's identity comes from the environment, as in schema-sync.yml.
        "GIT_AUTHOR_NAME": "github-actions[bot]",
        "GIT_AUTHOR_EMAIL": "bot@example.invalid",
        "GIT_COMMITTER_NAME": "github-actions[bot]",
        "GIT_COMMITTER_EMAIL": "bot@example.invalid",
        # A developer's ~/.gitconfig (signing, hooks path) must not change the outcome.
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    repo = Repo(path, env)
    (path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    repo.git("init", "--quiet", "--initial-branch=main")
    repo.git("add", "pyproject.toml")
    repo.git("commit", "--quiet", "-m", "initial")
    return repo


def add_migration(dsn: str, folder: Path, sql: str = NEW_MIGRATION) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "20250301000000_website.sql").write_text(sql, encoding="utf-8")
    apply_migrations(dsn, folder)


# --- (a) the bot -------------------------------------------------------------------------------


@pytest.mark.postgres
def test_bot_commits_each_change_once(fresh_db: str, tmp_path: Path) -> None:
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    repo = make_repo(tmp_path / "repo")
    repo.git("switch", "--quiet", "-c", SYNC_BRANCH)

    first = repo.cli("update", "--commit", "--db-url", fresh_db)
    assert first.returncode == 0, first.stderr
    assert repo.commits() == 2
    assert repo.git("log", "-1", "--format=%s") == "chore(schemas): sync with database"
    assert repo.git("status", "--porcelain") == ""

    again = repo.cli("update", "--commit", "--db-url", fresh_db)
    assert again.returncode == 0, again.stderr
    assert "Nothing to commit" in again.stdout
    assert repo.commits() == 2

    add_migration(fresh_db, tmp_path / "later")
    third = repo.cli("update", "--commit", "--db-url", fresh_db)
    assert third.returncode == 0, third.stderr
    assert repo.commits() == 3
    message = repo.git("log", "-1", "--format=%B")
    assert message.startswith("chore(schemas): sync with database\n")
    change_lines = [ln for ln in message.splitlines() if ln.startswith("- ")]
    assert len(change_lines) == 1
    assert "organizations" in change_lines[0]
    assert "website" in change_lines[0]
    assert "[MEDIUM]" in change_lines[0]
    changed = repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert "schemas/schema.json" in changed
    assert all(name.startswith("schemas/") for name in changed)
    assert repo.cli("check", "--db-url", fresh_db).returncode == 0


@pytest.mark.postgres
def test_bot_make_target_commits_on_the_bot_branch_and_pushes(
    fresh_db: str, tmp_path: Path
) -> None:
    """`make schema-sync-push` as schema-sync.yml runs it, from main, against a bare origin."""
    if "schema-sync-push" not in makefile_targets():
        pytest.fail("the Makefile has no schema-sync-push target (schema-sync.yml runs it)")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    origin = tmp_path / "origin.git"
    repo = make_repo(tmp_path / "repo")
    assert repo.cli("generate", "--db-url", fresh_db).returncode == 0
    repo.git("add", "schemas")
    repo.git("commit", "--quiet", "-m", "schemas")
    repo.git("init", "--quiet", "--bare", str(origin))
    repo.git("remote", "add", "origin", str(origin))
    repo.git("push", "--quiet", "origin", "main")

    def bot() -> subprocess.CompletedProcess[str]:
        # STAMP= skips the venv install rule; BIN is the venv running the tests.
        return repo.run(
            "make",
            "-s",
            "-f",
            str(MAKEFILE),
            "schema-sync-push",
            "STAMP=",
            f"BIN={VENV_BIN}",
            DATABASE_URL=fresh_db,
        )

    add_migration(fresh_db, tmp_path / "later")
    result = bot()
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.git("branch", "--show-current") == SYNC_BRANCH
    assert repo.commits("main..HEAD") == 1
    assert "website" in repo.git("log", "-1", "--format=%B")
    assert repo.git("ls-remote", "origin", SYNC_BRANCH).split()[0] == repo.git("rev-parse", "HEAD")
    tree = repo.git("rev-parse", "HEAD^{tree}")

    # The next scheduled run starts from main again (the PR is not merged yet): the branch is
    # recreated with the same single commit on top of main, and pushed over the old one.
    repo.git("switch", "--quiet", "main")
    result = bot()
    assert result.returncode == 0, result.stdout + result.stderr
    assert repo.commits("main..HEAD") == 1
    # Only the sync time (LAST_SYNC, "last_sync", and so schema_version.py's recorded sha256)
    # may differ from the previous push.
    diff = repo.git("diff", "--unified=0", tree, "HEAD^{tree}")
    changed = [ln for ln in diff.splitlines() if ln.startswith(("+", "-"))]
    changed = [ln for ln in changed if not ln.startswith(("+++", "---"))]
    allowed = ("LAST_SYNC", '"last_sync"', '"schema_version.py"')
    assert all(ln[1:].lstrip().startswith(allowed) for ln in changed), diff
    assert repo.git("ls-remote", "origin", SYNC_BRANCH).split()[0] == repo.git("rev-parse", "HEAD")


# --- (b) the pre-commit hooks ------------------------------------------------------------------


def _venv_available() -> bool:
    return sys.prefix != sys.base_prefix and (VENV_BIN / "sync-schema").is_file()


HOOKS = ["git-hook", "git-hook-venv", "manifest-entry", "local-entry"]


@pytest.mark.postgres
@pytest.mark.parametrize("hook", HOOKS)
def test_hook_exits_1_on_drift_and_0_in_sync(fresh_db: str, tmp_path: Path, hook: str) -> None:
    with_venv = hook in ("git-hook-venv", "local-entry")
    if with_venv and not _venv_available():
        pytest.skip("the tests do not run in a venv with the sync-schema script")
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    repo = make_repo(tmp_path / "repo", sync_schema_on_path=not with_venv)
    if with_venv:
        # What `make venv` leaves in a checkout; the only sync-schema the hook can find.
        (repo.path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    if hook.startswith("git-hook"):
        command = [str(HOOK_SCRIPT)]
    else:
        source = HOOKS_MANIFEST if hook == "manifest-entry" else PRE_COMMIT_CONFIG
        command = shlex.split(hook_fields(source.read_text("utf-8"), "check-schemas")["entry"])
    generated = repo.cli("generate", "--db-url", fresh_db)
    assert generated.returncode == 0, generated.stderr

    in_sync = repo.run(*command, DATABASE_URL=fresh_db)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr

    add_migration(fresh_db, tmp_path / "later")
    drift = repo.run(*command, DATABASE_URL=fresh_db)
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert "Schema drift" in drift.stdout
    if hook.startswith("git-hook"):
        assert DRIFT_MESSAGE in drift.stderr


@pytest.mark.postgres
def test_git_hook_blocks_the_commit_until_regenerated(fresh_db: str, tmp_path: Path) -> None:
    """The script installed as .git/hooks/pre-commit, as `make hooks` does."""
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    repo = make_repo(tmp_path / "repo")
    hooks = repo.path / repo.git("rev-parse", "--git-path", "hooks")
    hooks.mkdir(exist_ok=True)
    shutil.copy2(HOOK_SCRIPT, hooks / "pre-commit")
    assert repo.cli("generate", "--db-url", fresh_db).returncode == 0
    repo.git("add", "schemas")
    committed = repo.run("git", "commit", "--quiet", "-m", "schemas", DATABASE_URL=fresh_db)
    assert committed.returncode == 0, committed.stdout + committed.stderr

    add_migration(fresh_db, tmp_path / "later")
    (repo.path / "app.py").write_text("print('hi')\n", encoding="utf-8")
    repo.git("add", "app.py")
    refused = repo.run("git", "commit", "--quiet", "-m", "app", DATABASE_URL=fresh_db)
    assert refused.returncode == 1
    assert DRIFT_MESSAGE in refused.stderr
    assert repo.commits() == 2

    assert repo.cli("generate", "--db-url", fresh_db).returncode == 0
    repo.git("add", "schemas")
    accepted = repo.run("git", "commit", "--quiet", "-m", "app", DATABASE_URL=fresh_db)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert repo.commits() == 3


def test_git_hook_reports_an_error_as_exit_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    result = repo.run(str(HOOK_SCRIPT), DATABASE_URL=UNREACHABLE)
    assert result.returncode == 2
    assert "Schema check failed (exit 2)" in result.stderr
    assert "drift" not in result.stderr.lower()


def test_git_hook_without_sync_schema_exits_2(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", sync_schema_on_path=False)
    result = repo.run(str(HOOK_SCRIPT))
    assert result.returncode == 2
    assert "sync-schema not found" in result.stderr


# --- (d) the report behind the PR comment, the issue and the artifact --------------------------


@pytest.mark.postgres
def test_github_report_is_the_comment_body(fresh_db: str, tmp_path: Path) -> None:
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    repo = make_repo(tmp_path / "repo")
    assert repo.cli("generate", "--db-url", fresh_db).returncode == 0

    in_sync = repo.cli("report", "--format", "github", "--db-url", fresh_db)
    assert in_sync.returncode == 0, in_sync.stderr
    # The workflow scripts take the marker from the body's first line.
    assert in_sync.stdout.splitlines()[0] == COMMENT_MARKER

    add_migration(fresh_db, tmp_path / "later")
    # The server trusts local connections, so a password is accepted and must be redacted.
    with_password = fresh_db.replace("postgres@", f"postgres:{PASSWORD}@", 1)
    drift = repo.cli("report", "--format", "github", "--db-url", with_password)
    assert drift.returncode == 1, drift.stderr
    body = drift.stdout
    assert body.splitlines()[0] == COMMENT_MARKER
    assert body.count(COMMENT_MARKER) == 1
    assert "# Schema drift report" in body
    assert "## Summary" in body
    assert "website" in body
    assert PASSWORD not in body

    # The artifact: schema-check.yml uploads reports/ when this glob matches.
    written = repo.cli("report", "--report-dir", "reports", "--db-url", fresh_db)
    assert written.returncode == 1, written.stderr
    reports = sorted((repo.path / "reports").glob("schema_drift_report_*.md"))
    assert len(reports) == 1
    assert "## Summary" in reports[0].read_text(encoding="utf-8")


def test_report_error_writes_no_report(tmp_path: Path) -> None:
    """An error (exit 2) leaves no report: schema-check.yml then posts and uploads nothing."""
    repo = make_repo(tmp_path / "repo")
    result = repo.cli("report", "--report-dir", "reports", "--db-url", UNREACHABLE)
    assert result.returncode == 2
    assert not list((repo.path / "reports").glob("schema_drift_report_*.md"))
    github = repo.cli("report", "--format", "github", "--db-url", UNREACHABLE)
    assert github.returncode == 2
    assert github.stdout == ""


# --- (e) the reusable action and workflow, for any repository ----------------------------------


def _cli_options() -> dict[str, set[str]]:
    """Each sync-schema command's option names (the root's under "")."""
    import click
    import typer

    from sync_schema.cli.app import app

    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    options = {"": {opt for p in group.params for opt in p.opts}}
    for name, command in group.commands.items():
        options[name] = {opt for p in command.params for opt in p.opts}
    return options


def _action() -> dict[Any, Any]:
    return _load(ACTION)


def _action_scripts() -> list[str]:
    return [str(step["run"]) for step in _action()["runs"]["steps"] if "run" in step]


def _sync_schema_calls(script: str) -> list[list[str]]:
    """The argument lists of every `sync-schema ...` command in a shell script."""
    calls = []
    for line in script.splitlines():
        words = line.strip().split()
        if "sync-schema" in words:
            calls.append(words[words.index("sync-schema") + 1 :])
    return calls


def test_the_action_is_composite_with_the_documented_inputs() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {
        "working-directory",
        "python-version",
        "project-id",
        "linked",
        "impact",
        "app-dirs",
        "report-dir",
        "artifact-name",
        "comment",
        "github-token",
    }
    # The scan is opt-in: a project without app-dirs gets a report without it.
    assert action["inputs"]["impact"]["default"] == "false"
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"
    uses = [str(step["uses"]) for step in action["runs"]["steps"] if "uses" in step]
    assert [u.split("@")[0] for u in uses] == [
        "actions/setup-python",
        "actions/upload-artifact",
        "actions/github-script",
    ]
    text = ACTION.read_text(encoding="utf-8")
    pinned = re.compile(r"^\s*(?:-\s+)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    assert all(
        pinned.match(line) for line in text.splitlines() if re.match(r"^\s*(?:-\s+)?uses:", line)
    )


def test_the_action_runs_only_commands_the_cli_has() -> None:
    options = _cli_options()
    scripts = _action_scripts()
    calls = [call for script in scripts for call in _sync_schema_calls(script)]
    # generate: the advice the failing step prints.
    assert {call[0] for call in calls} == {"check", "report", "generate"}
    for call in calls:
        given = {word.split("=")[0] for word in call if word.startswith("--")}
        assert given <= options[call[0]], call
    # Inputs reach the scripts through env, never expanded into the script text.
    assert all("${{" not in script for script in scripts)
    # Flags the scripts build into arrays exist too.
    built = set(re.findall(r"\((--[a-z-]+)", "\n".join(scripts)))
    assert built == {"--project-id", "--linked", "--impact", "--app-dir"}
    assert built <= options["check"] | options["report"]
    assert "make " not in "\n".join(scripts)


def test_the_reusable_workflow_calls_the_action_with_its_inputs() -> None:
    data = _load(REUSABLE)
    call = data["on"]["workflow_call"]
    assert {"sync-schema-repository", "sync-schema-ref", "impact", "app-dirs"} <= set(
        call["inputs"]
    )
    assert call["inputs"]["impact"]["default"] is False
    assert set(call["secrets"]) == {
        "SUPABASE_DB_URL",
        "DATABASE_URL",
        "SUPABASE_ACCESS_TOKEN",
        "SUPABASE_DB_PASSWORD",
    }
    (job,) = _jobs(REUSABLE).values()
    (step,) = [s for s in job["steps"] if s.get("uses") == LOCAL_ACTION]
    assert set(step["with"]) <= set(_action()["inputs"])
    assert set(step["env"]) == set(call["secrets"])
    fetch = [s for s in job["steps"] if s.get("with", {}).get("path") == LOCAL_ACTION[2:]]
    assert fetch[0]["with"]["repository"] == "${{ inputs.sync-schema-repository }}"
    assert fetch[0]["with"]["ref"] == "${{ inputs.sync-schema-ref }}"


def _run_action_check(
    repo: Repo, tmp_path: Path, dsn: str, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The action's check step, as the runner runs it: bash -eo pipefail, inputs in env."""
    (script,) = [
        str(step["run"]) for step in _action()["runs"]["steps"] if step.get("id") == "check"
    ]
    runner_temp = tmp_path / "runner"
    (runner_temp / "sync-schema-bin").mkdir(parents=True, exist_ok=True)
    link = runner_temp / "sync-schema-bin" / "sync-schema"
    if not link.exists():
        link.symlink_to(VENV_BIN / "sync-schema")
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    env = {
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(output),
        "PATH": _path_without_sync_schema(),
        "DATABASE_URL": dsn,
        "SYNC_SCHEMA_PROJECT_ID": "",
        "SYNC_SCHEMA_LINKED": "false",
        "SYNC_SCHEMA_IMPACT": "false",
        "SYNC_SCHEMA_APP_DIRS": "",
        "SYNC_SCHEMA_REPORT_DIR": "sync-schema-reports",
        **inputs,
    }
    result = repo.run("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script, **env)
    outputs = dict(
        line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line
    )
    return result, outputs


@pytest.mark.postgres
def test_the_action_reports_drift_in_a_project_without_makefile_or_app_dirs(
    fresh_db: str, tmp_path: Path
) -> None:
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    repo = make_repo(tmp_path / "repo", sync_schema_on_path=False)
    assert not (repo.path / "Makefile").exists()
    assert repo.cli("generate", "--db-url", fresh_db).returncode == 0
    in_sync, outputs = _run_action_check(repo, tmp_path, fresh_db)
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    assert outputs == {"exit-code": "0"}

    add_migration(fresh_db, tmp_path / "later")
    # impact asked for, but the project has no app-dirs: the report is still written.
    drift, outputs = _run_action_check(repo, tmp_path, fresh_db, SYNC_SCHEMA_IMPACT="true")

    assert drift.returncode == 0, drift.stdout + drift.stderr
    assert outputs == {"exit-code": "1"}
    assert "::warning::the impact scan failed" in drift.stdout
    reports = repo.path / "sync-schema-reports"
    assert len(list(reports.glob("schema_drift_report_*.md"))) == 1
    comment = (reports / "comment.md").read_text(encoding="utf-8")
    assert comment.splitlines()[0] == COMMENT_MARKER
    assert "website" in comment


def test_the_action_fails_at_once_on_an_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", sync_schema_on_path=False)
    result, outputs = _run_action_check(repo, tmp_path, UNREACHABLE)
    assert result.returncode == 2, result.stdout + result.stderr
    assert outputs == {"exit-code": "2"}
    assert not (repo.path / "sync-schema-reports").exists()
    assert PASSWORD not in result.stdout + result.stderr
