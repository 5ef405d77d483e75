"""`--impact` end to end: the application lines a migration breaks, in every output of the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from tests.conftest import MIGRATIONS
from tests.e2e.test_cli import MINIMAL_CONFIG, Cli, assert_error_with_hint, git, make_cli

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "20990101000000_break_the_example_app.sql"
APP = "examples/app"

ENUM = "[HIGH] ENUM: project_status"
ORGS = "[HIGH] TABLE: organizations"
REQS = "[HIGH] TABLE: requirements"
# The demo migration drops project_status's on_hold, organizations.billing_email, and turns
# requirements.priority (which logic.py does arithmetic on) into text. Every line of the app
# (its tests included) that uses one of those names, under the change that breaks it:
EXPECTED = {
    ENUM: [
        ("logic.py", "ProjectStatus.ACTIVE: frozenset({ProjectStatus.ON_HOLD, ProjectStatus.ARCHIVED}),"),
        ("logic.py", "ProjectStatus.ON_HOLD: frozenset({ProjectStatus.ACTIVE, ProjectStatus.ARCHIVED}),"),
        ("tests/test_logic.py", '("pending", ProjectStatus.ON_HOLD, False),'),
        ("tests/test_logic.py", '("active", ProjectStatus.ON_HOLD, True),'),
    ],
    ORGS: [
        ("logic.py", 'billing_email = org["billing_email"]'),
        ("tests/test_logic.py", '"billing_email": billing_email,'),
        ("tests/test_repository.py", 'assert org["billing_email"] == "ap@acme.test"'),
    ],
    REQS: [
        ("logic.py", 'cost += hours * HOURLY_RATE * (6 - requirement["priority"])'),
        ("tests/test_logic.py", '"priority": priority,'),
    ],
}  # fmt: skip
CALL_SITES = sum(len(lines) for lines in EXPECTED.values())


def expected_lines(app_root: Path) -> dict[str | None, list[tuple[str, int]]]:
    """EXPECTED as (path relative to the project, line number), each code line found once."""
    out: dict[str | None, list[tuple[str, int]]] = {}
    for header, entries in EXPECTED.items():
        for file, code in entries:
            lines = [x.strip() for x in (app_root / file).read_text(encoding="utf-8").splitlines()]
            assert lines.count(code) == 1, (file, code)
            out.setdefault(header, []).append((f"{APP}/{file}", lines.index(code) + 1))
    return out


def listed(stdout: str, prefix: str) -> dict[str | None, list[tuple[str, int]]]:
    """The `  used at path:line ...` (or `  mypy at`) lines of the output, by change header
    (None: listed after the changes, traced to none)."""
    out: dict[str | None, list[tuple[str, int]]] = {}
    header = None
    for line in stdout.splitlines():
        if line.startswith("["):
            header = line
        elif not line.startswith("  "):
            header = None
        elif line.startswith(f"  {prefix} at "):
            where = line[len(f"  {prefix} at ") :].split("  ", 1)[0]
            path, number = where.rsplit(":", 1)
            out.setdefault(header, []).append((path, int(number)))
    return out


def copy_app(project: Path) -> None:
    """examples/app inside the project, as an application sits next to its schemas/."""
    shutil.copytree(ROOT / APP, project / APP, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    shutil.copy(ROOT / "examples" / "__init__.py", project / "examples" / "__init__.py")


def run_migrations(pg_server: TempServer, dsn: str, *files: Path, scratch: Path) -> None:
    folder = scratch / f"migrations-{len(list(scratch.glob('migrations-*')))}"
    folder.mkdir()
    for file in files:
        shutil.copy(file, folder / file.name)
    apply_migrations(dsn, folder, pg_bin=pg_server.pg_bin)


@pytest.fixture
def broken(tmp_path: Path, pg_server: TempServer, fresh_db: str) -> tuple[Cli, list[str]]:
    """A project with the app and schemas/ from the repo's migrations; the demo migration then
    applied to the database. Returns the CLI and the args that point it at that database."""
    cli = make_cli(tmp_path / "project")
    copy_app(cli.cwd)
    run_migrations(pg_server, fresh_db, *sorted(MIGRATIONS.glob("*.sql")), scratch=tmp_path)
    args = ["--db-url", fresh_db, "--out", "schemas"]
    generated = cli("generate", *args)
    assert generated.returncode == 0, generated.stderr
    run_migrations(pg_server, fresh_db, DEMO, scratch=tmp_path)
    return cli, args


# --- the static scan ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_diff_impact_names_exactly_the_broken_lines_under_their_changes(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken

    result = cli("diff", "--impact", "--app-dir", APP, *args)

    assert result.returncode == 1, result.stderr
    assert listed(result.stdout, "used") == expected_lines(cli.cwd / APP)
    assert (
        f"Impact: {CALL_SITES} lines in 3 files use generated names these changes break"
        in result.stdout
    )
    logic = cli.cwd / APP / "logic.py"
    line = expected_lines(cli.cwd / APP)[ORGS][0][1]
    assert f'  used at {APP}/logic.py:{line}  billing_email = org["billing_email"]\n' in (
        result.stdout
    )
    assert logic.read_text(encoding="utf-8").splitlines()[line - 1].strip().startswith("billing")


@pytest.mark.postgres
def test_diff_impact_json_lists_the_lines_of_each_change(broken: tuple[Cli, list[str]]) -> None:
    cli, args = broken

    result = cli("diff", "--impact", "--app-dir", APP, "--format", "json", *args)

    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    by_change = {
        f"[{c['severity']}] {c['object_type']}: {c['name']}": [
            (i["path"], i["line"]) for i in c["impact"]
        ]
        for c in document["changes"]
    }
    assert {k: v for k, v in by_change.items() if v} == expected_lines(cli.cwd / APP)
    orgs = next(c for c in document["changes"] if c["name"] == "organizations")
    assert orgs["impact"][0]["code"] == 'billing_email = org["billing_email"]'
    assert orgs["impact"][0]["name"] == "OrganizationRow['billing_email']"
    assert orgs["impact"][0]["reason"] == "column removed"
    assert "mypy" not in orgs
    summary = document["impact"]
    assert summary["app_dirs"] == [APP]
    assert summary["call_sites"] == CALL_SITES
    assert summary["mypy"] is None


@pytest.mark.postgres
def test_check_impact_adds_the_lines_to_the_drift_and_keeps_exit_1(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken

    result = cli("check", "--impact", "--app-dir", APP, *args)

    assert result.returncode == 1, result.stderr
    assert listed(result.stdout, "used") == expected_lines(cli.cwd / APP)


@pytest.mark.postgres
def test_without_a_change_there_is_no_impact_section_and_exit_stays_0(
    tmp_path: Path, pg_server: TempServer, fresh_db: str
) -> None:
    cli = make_cli(tmp_path / "project")
    copy_app(cli.cwd)
    run_migrations(pg_server, fresh_db, *sorted(MIGRATIONS.glob("*.sql")), scratch=tmp_path)
    args = ["--db-url", fresh_db, "--out", "schemas"]
    assert cli("generate", *args).returncode == 0

    for command in ("diff", "check"):
        result = cli(command, "--impact", "--app-dir", APP, *args)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
        assert "used at" not in result.stdout
        assert "Impact" not in result.stdout
    report = cli("report", "--impact", "--app-dir", APP, "--format", "github", *args)
    assert report.returncode == 0, report.stderr
    assert "Impact on application code" not in report.stdout
    document = json.loads(
        cli("diff", "--impact", "--app-dir", APP, "--format", "json", *args).stdout
    )
    assert document["in_sync"] is True
    assert "impact" not in document


@pytest.mark.postgres
def test_app_dirs_in_the_config_are_not_scanned_without_impact(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken
    (cli.cwd / "pyproject.toml").write_text(
        MINIMAL_CONFIG + f'app-dirs = ["{APP}"]\n', encoding="utf-8"
    )

    plain = cli("diff", *args)
    scanned = cli("diff", "--impact", *args)

    assert plain.returncode == scanned.returncode == 1
    assert "used at" not in plain.stdout
    assert "Impact" not in plain.stdout
    assert listed(scanned.stdout, "used") == expected_lines(cli.cwd / APP)


# --- reports, the PR comment, the commit message ---------------------------------------------


@pytest.mark.postgres
def test_the_markdown_report_has_the_impact_section_grouped_by_file(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken

    result = cli("report", "--impact", "--app-dir", APP, "--report-dir", "reports", *args)

    assert result.returncode == 1, result.stderr
    (path,) = (cli.cwd / "reports").glob("schema_drift_report_*.md")
    text = path.read_text(encoding="utf-8")
    section = text.split("## Impact on application code\n", 1)[1].split("\n## ", 1)[0]
    assert f"{CALL_SITES} lines in 3 files use generated names" in section
    headings = re.findall(r"^#### `(.+)`$", section, flags=re.MULTILINE)
    assert headings == [
        f"{APP}/logic.py",
        f"{APP}/tests/test_logic.py",
        f"{APP}/tests/test_repository.py",
    ]
    line = expected_lines(cli.cwd / APP)[ORGS][0][1]
    assert (
        f'- line {line}: `billing_email = org["billing_email"]`: '
        "`OrganizationRow['billing_email']` column removed (TABLE `organizations`)\n"
    ) in section
    assert "](" not in section  # no GITHUB_* variables: no links


@pytest.mark.postgres
def test_the_github_comment_links_each_line_when_the_actions_variables_are_set(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken
    sha = "0123456789abcdef0123456789abcdef01234567"
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/projects",
        "GITHUB_SHA": sha,
        "GITHUB_WORKSPACE": str(cli.cwd),
    }

    result = cli("report", "--impact", "--app-dir", APP, "--format", "github", *args, **env)

    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("<!-- sync-schema-drift-report -->")
    assert "## Impact on application code" in result.stdout
    links = re.findall(r"\[line (\d+)\]\((\S+)\)", result.stdout)
    expected = [line for lines in expected_lines(cli.cwd / APP).values() for line in lines]
    assert sorted(url for _n, url in links) == sorted(
        f"https://github.com/acme/projects/blob/{sha}/{path}#L{line}" for path, line in expected
    )
    assert all(url.endswith(f"#L{n}") for n, url in links)


@pytest.mark.postgres
def test_update_commit_counts_the_broken_call_sites_when_app_dirs_are_configured(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken
    repo = cli.cwd
    (repo / "pyproject.toml").write_text(
        MINIMAL_CONFIG + f'app-dirs = ["{APP}"]\n', encoding="utf-8"
    )
    git(repo, cli, "init", "-q")
    git(repo, cli, "add", ".")
    git(repo, cli, "commit", "-q", "-m", "app and schemas")

    result = cli("update", "--commit", *args)

    assert result.returncode == 0, result.stderr
    assert "used at" not in result.stdout  # counted for the message, not listed without --impact
    message = git(repo, cli, "log", "-1", "--format=%B")
    assert message.startswith("chore(schemas): sync with database\n")
    assert message.rstrip("\n").endswith(f"\n\nBreaks: {CALL_SITES} call sites")
    trailers = git(repo, cli, "log", "-1", "--format=%(trailers:key=Breaks,valueonly)")
    assert trailers.strip() == f"{CALL_SITES} call sites"


@pytest.mark.postgres
def test_update_commit_without_app_dirs_writes_no_breaks_line(
    broken: tuple[Cli, list[str]],
) -> None:
    cli, args = broken
    repo = cli.cwd
    git(repo, cli, "init", "-q")
    git(repo, cli, "add", ".")
    git(repo, cli, "commit", "-q", "-m", "app and schemas")

    result = cli("update", "--commit", *args)

    assert result.returncode == 0, result.stderr
    assert "Breaks:" not in git(repo, cli, "log", "-1", "--format=%B")


# --- mypy ------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_impact_mypy_reports_new_errors_at_the_broken_lines_and_nowhere_else(
    tmp_path: Path,
) -> None:
    # One run (mypy is slow): the embedded server, as the README's demo runs it.
    cli = make_cli(tmp_path / "project", MINIMAL_CONFIG + "\n[tool.mypy]\nstrict = true\n")
    copy_app(cli.cwd)
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, migrations)
    assert cli("generate", "--migrations", str(migrations)).returncode == 0
    shutil.copy(DEMO, migrations / DEMO.name)

    result = cli(
        "diff", "--impact=mypy", "--app-dir", APP, "--migrations", str(migrations),
        MYPY_CACHE_DIR=str(tmp_path / "mypy-cache"),
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    expected = expected_lines(cli.cwd / APP)
    assert listed(result.stdout, "used") == expected
    assert listed(result.stdout, "mypy") == expected
    assert f"mypy: {CALL_SITES} new errors against the regenerated package.\n" in result.stdout
    line = expected[ORGS][0][1]
    assert (
        f'  mypy at {APP}/logic.py:{line}  TypedDict "OrganizationRow" has no key "billing_email"'
        "  [typeddict-item]\n"
    ) in result.stdout
    assert (cli.cwd / "schemas" / "enums.py").read_text(encoding="utf-8").count("ON_HOLD") == 1


def test_impact_mypy_without_mypy_installed_exits_2_with_a_hint(tmp_path: Path) -> None:
    cli = make_cli(tmp_path / "project")
    (cli.cwd / "app").mkdir()
    # The CLI must never import mypy: hide it from this interpreter and ask for --impact=mypy.
    hide = "import sys; sys.modules['mypy'] = None; from sync_schema.cli.app import main; main()"

    result = cli.python(hide, "diff", "--impact=mypy", "--app-dir", "app", timeout=60)

    assert_error_with_hint(result)
    assert "mypy" in result.stderr
    assert "hint: pip install mypy (or pip install 'sync-schema[dev]')" in result.stderr


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "flags"),
    [
        (MINIMAL_CONFIG, ["--impact", "--app-dir", "no/such/app"]),
        (MINIMAL_CONFIG, ["--app-dir", "no/such/app"]),
        (MINIMAL_CONFIG + 'app-dirs = ["no/such/app"]\n', ["--impact"]),
        (MINIMAL_CONFIG, ["--impact"]),  # nothing to scan
    ],
)
@pytest.mark.parametrize("command", ["diff", "check", "report", "update"])
def test_impact_on_a_missing_app_dir_exits_2_with_a_hint_before_any_work(
    tmp_path: Path, command: str, config: str, flags: list[str]
) -> None:
    cli = make_cli(tmp_path / "project", config)

    # An unreachable database: the folder is checked first, so nothing tries to connect.
    result = cli(command, *flags, "--db-url", "postgresql://app@127.0.0.1:1/app")

    assert_error_with_hint(result)
    assert "--app-dir" in result.stderr
    assert not (cli.cwd / "schemas").exists()


# --- renames -------------------------------------------------------------------------------------

RENAMES = """\
alter table public.requirements rename to work_items;
alter table public.organizations rename column billing_email to invoice_email;
alter type public.project_status rename value 'on_hold' to 'paused';
"""
RENAMED_TABLE = "[HIGH] TABLE: work_items"


def requirement_row_lines(app_root: Path) -> list[tuple[str, int]]:
    """Every app line that spells RequirementRow, the class of the renamed table."""
    return [
        (f"{APP}/{path.relative_to(app_root).as_posix()}", number)
        for path in sorted(app_root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\bRequirementRow\b", line)
    ]


@pytest.fixture
def renamed(tmp_path: Path, pg_server: TempServer, fresh_db: str) -> tuple[Cli, list[str]]:
    """The example project generated, then a table, a column and an enum value renamed."""
    cli = make_cli(tmp_path / "project")
    copy_app(cli.cwd)
    run_migrations(pg_server, fresh_db, *sorted(MIGRATIONS.glob("*.sql")), scratch=tmp_path)
    args = ["--db-url", fresh_db, "--out", "schemas"]
    generated = cli("generate", *args)
    assert generated.returncode == 0, generated.stderr
    migration = tmp_path / "20990102000000_renames.sql"
    migration.write_text(RENAMES, encoding="utf-8")
    run_migrations(pg_server, fresh_db, migration, scratch=tmp_path)
    return cli, args


@pytest.mark.postgres
def test_renames_are_shown_as_renames_with_the_app_lines_of_the_old_names(
    renamed: tuple[Cli, list[str]],
) -> None:
    cli, args = renamed
    app = cli.cwd / APP

    result = cli("diff", "--impact", "--app-dir", APP, *args)

    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert f"{RENAMED_TABLE}\n  Change: renamed requirements -> work_items (guess)\n" in out
    # Postgres follows the rename in the keys that reference the table: no change there.
    assert "Foreign keys" not in out
    assert (
        f"{ORGS}\n  Change: modified\n  Renamed columns: billing_email -> invoice_email (guess)\n"
    ) in out
    assert f"{ENUM}\n  Change: modified\n  Renamed values: on_hold -> paused (guess)\n" in out
    # Nothing else: a rename is not a removal plus an addition.
    assert "Removed" not in out
    assert "Added" not in out
    expected = expected_lines(app)
    assert listed(out, "used") == {
        RENAMED_TABLE: requirement_row_lines(app),
        ORGS: expected[ORGS],
        ENUM: expected[ENUM],
    }
    # The classes move with the table: the change says to which names.
    assert (
        "  Class names changed: RequirementRow -> WorkItemRow, RequirementInsert -> "
        "WorkItemInsert, RequirementUpdate -> WorkItemUpdate, Requirement -> WorkItem\n"
    ) in out


@pytest.mark.postgres
def test_renames_are_marked_as_guesses_in_json_and_the_github_report(
    renamed: tuple[Cli, list[str]],
) -> None:
    cli, args = renamed

    diff = cli("diff", "--impact", "--app-dir", APP, "--format", "json", *args)
    report = cli("report", "--impact", "--app-dir", APP, "--format", "github", *args)
    check = cli("check", *args)

    document = json.loads(diff.stdout)
    table = next(c for c in document["changes"] if c["name"] == "work_items")
    assert (table["change"], table["renamed_from"], table["guess"]) == (
        "renamed",
        "requirements",
        True,
    )
    assert {i["reason"] for i in table["impact"]} == {"renamed to WorkItemRow (guess)"}
    orgs = next(c for c in document["changes"] if c["name"] == "organizations")
    assert {i["reason"] for i in orgs["impact"]} == {"column renamed to 'invoice_email' (guess)"}
    enum = next(c for c in document["changes"] if c["name"] == "project_status")
    assert {i["reason"] for i in enum["impact"]} == {
        "value 'on_hold' renamed to 'paused': ProjectStatus.PAUSED (guess)"
    }
    (entry,) = orgs["details"][0]["entries"]
    assert entry == {
        "name": "billing_email",
        "old": "billing_email",
        "new": "invoice_email",
        "guess": True,
    }
    assert report.returncode == 1, report.stderr
    assert "`work_items`** (renamed requirements -> work_items (guess))" in report.stdout
    assert "`billing_email -> invoice_email (guess)`" in report.stdout
    assert check.returncode == 1
    assert "Change: renamed requirements -> work_items (guess)" in check.stdout
