"""Guarantees against the database and the disk: least privilege, atomic and exclusive writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from sync_schema import ir
from sync_schema.config import Overrides, load_settings
from sync_schema.embedded.migrations import apply_migrations
from sync_schema.embedded.server import TempServer
from sync_schema.errors import ConfigError, SyncSchemaError, redact
from sync_schema.guard import assert_schema_matches
from sync_schema.source.introspect import introspect
from sync_schema.tree_store import read_tree
from tests.conftest import MIGRATIONS, ROLE_PASSWORD

pytestmark = pytest.mark.postgres


def _cli(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SUPABASE_PROJECT_ID")}
    env["SOURCE_DATE_EPOCH"] = "1767225600"  # LAST_SYNC must not depend on when a run happens
    env.update(env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-m", "sync_schema", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str, cwd: Path, env_extra: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = _cli(*args, cwd=cwd, env_extra=env_extra)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_introspection_needs_only_connect_and_usage(pg_server: TempServer, fresh_db: str) -> None:
    apply_migrations(fresh_db, MIGRATIONS)
    dbname = str(conninfo_to_dict(fresh_db)["dbname"])
    pg_server.psql(
        "do $$ begin create role catalog_reader login; exception when duplicate_object then null;"
        " end $$;",
        dbname,
    )
    pg_server.psql(
        f'revoke all on database "{dbname}" from public; '
        f'grant connect on database "{dbname}" to catalog_reader; '
        "revoke all on all tables in schema public from public, catalog_reader; "
        "grant usage on schema public to catalog_reader;",
        dbname,
    )
    reader_dsn = make_conninfo(fresh_db, user="catalog_reader")
    with psycopg.connect(reader_dsn) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from public.organizations")
        conn.rollback()
    assert introspect(reader_dsn) == introspect(fresh_db)


@pytest.fixture
def two_trees(fresh_db: str, tmp_path: Path) -> tuple[str, Path, dict[str, bytes]]:
    """A tree generated from migrations 1..3, then the database moved on to migration 4."""
    apply_migrations(fresh_db, MIGRATIONS, limit=3)
    out = tmp_path / "schemas"
    code, _out, err = _run("generate", "--db-url", fresh_db, "--out", str(out), cwd=tmp_path)
    assert code == 0, err
    old = read_tree(out)
    fourth = tmp_path / "fourth"
    fourth.mkdir()
    last = sorted(MIGRATIONS.glob("*.sql"))[-1]
    (fourth / last.name).write_bytes(last.read_bytes())
    apply_migrations(fresh_db, fourth)
    return fresh_db, out, old


@pytest.mark.parametrize("kill_after", [0.3, 0.8, 1.4, 2.5])
def test_a_killed_generate_leaves_the_old_tree_or_the_new_one(
    two_trees: tuple[str, Path, dict[str, bytes]], tmp_path: Path, kill_after: float
) -> None:
    dsn, out, old = two_trees
    proc = _cli(
        "generate", "--db-url", dsn, "--out", str(out), cwd=tmp_path,
        env_extra={"SYNC_SCHEMA_TEST_WRITE_DELAY": "1.0"},
    )  # fmt: skip
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # A later run repairs nothing by hand: whatever is there is one whole tree.
    tree = read_tree(out)
    reference = tmp_path / "reference"
    for rel, data in old.items():
        (reference / rel).parent.mkdir(parents=True, exist_ok=True)
        (reference / rel).write_bytes(data)
    code, _o, err = _run("generate", "--db-url", dsn, "--out", str(reference), cwd=tmp_path)
    assert code == 0, err
    new = read_tree(reference)
    assert tree in (old, new)
    # The next run clears what the killed one staged.
    code, _o, err = _run("generate", "--db-url", dsn, "--out", str(out), cwd=tmp_path)
    assert code == 0, err
    assert not list(out.parent.glob(".schemas.*"))


def test_concurrent_generates_do_not_corrupt_the_tree(
    two_trees: tuple[str, Path, dict[str, bytes]], tmp_path: Path
) -> None:
    dsn, out, _old = two_trees
    slow = {"SYNC_SCHEMA_TEST_WRITE_DELAY": "0.5"}
    procs = [
        _cli("generate", "--db-url", dsn, "--out", str(out), cwd=tmp_path, env_extra=slow)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert all(code == 0 for code, _err in results), results
    code, stdout, _err = _run("check", "--db-url", dsn, "--out", str(out), cwd=tmp_path)
    assert code == 0, stdout


def test_generate_refuses_to_delete_a_hand_written_file(fresh_db: str, tmp_path: Path) -> None:
    apply_migrations(fresh_db, MIGRATIONS)
    out = tmp_path / "schemas"
    out.mkdir()
    (out / "custom.py").write_text("X = 1\n", encoding="utf-8")
    code, _out, err = _run("generate", "--db-url", fresh_db, "--out", str(out), cwd=tmp_path)
    assert code == 2
    assert "custom.py" in err
    assert "--force" in err
    assert sorted(read_tree(out)) == ["custom.py"]
    code, _out, err = _run(
        "generate", "--db-url", fresh_db, "--out", str(out), "--force", cwd=tmp_path
    )
    assert code == 0, err
    assert "custom.py" not in read_tree(out)
    # The generated header proves nothing: only schema.json's file list does.
    (out / "database" / "stale.py").write_text(
        "# Generated by sync-schema. Do not edit.\n", encoding="utf-8"
    )
    code, _out, err = _run("generate", "--db-url", fresh_db, "--out", str(out), cwd=tmp_path)
    assert code == 2, err
    assert (out / "database" / "stale.py").exists()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("bad-pyproject", "pyproject.toml"),
        ("unknown-project", "unknown project id"),
        ("missing-migrations", "no-such-dir"),
        ("empty-database", "no tables"),
        ("unreadable-snapshot", "schema.json"),
    ],
)
def test_bad_input_exits_2_with_a_hint_and_writes_nothing(
    fresh_db: str, tmp_path: Path, case: str, expected: str
) -> None:
    out = tmp_path / "schemas"
    args = ["generate", "--out", str(out)]
    if case == "bad-pyproject":
        (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\nschemas = 3\n")
        args += ["--db-url", fresh_db]
    elif case == "unknown-project":
        args += ["--project-id", "nope", "--db-url", fresh_db]
    elif case == "missing-migrations":
        args += ["--migrations", str(tmp_path / "no-such-dir")]
    elif case == "empty-database":
        args += ["--db-url", fresh_db]
    else:
        apply_migrations(fresh_db, MIGRATIONS)
        out.mkdir()
        (out / "schema.json").write_text("{not json", encoding="utf-8")
        args += ["--db-url", fresh_db]
    before = read_tree(out)
    code, stdout, stderr = _run(*args, cwd=tmp_path)
    assert code == 2, (stdout, stderr)
    assert expected in stderr
    assert "hint:" in stderr
    assert "Traceback" not in stderr
    assert read_tree(out) == before


def test_canonical_json_round_trips_after_all_migrations(fresh_db: str) -> None:
    apply_migrations(fresh_db, MIGRATIONS)
    db = introspect(fresh_db)
    assert ir.from_json(ir.to_json(db, indent=2)) == db


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "true", '"30000"'])
def test_statement_timeout_must_be_a_positive_number_of_milliseconds(
    tmp_path: Path, value: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.sync-schema]\nstatement-timeout = {value}\n")

    with pytest.raises(ConfigError) as raised:
        load_settings(Overrides(), cwd=tmp_path)

    assert "statement-timeout" in raised.value.message
    assert "positive number of milliseconds" in raised.value.hint


def test_the_guard_refuses_a_zero_statement_timeout(fresh_db: str, tmp_path: Path) -> None:
    with pytest.raises(SyncSchemaError, match="statement timeout") as raised:
        assert_schema_matches(fresh_db, tmp_path, statement_timeout_ms=0)
    assert "positive number of milliseconds" in raised.value.hint


def _at_in_password_url(fresh_db: str) -> str:
    """fresh_db's URL with an unencoded `@` in its password, over TCP to a closed port."""
    dbname = conninfo_to_dict(fresh_db)["dbname"]
    return f"postgresql://postgres:ab@cdSECRETTAIL@127.0.0.1:9/{dbname}"


def test_an_unencoded_at_in_the_password_is_refused_and_never_shown(
    fresh_db: str, tmp_path: Path
) -> None:
    url = _at_in_password_url(fresh_db)
    runs = [
        _run("check", "--db-url", url, "--out", "schemas", cwd=tmp_path),
        _run("check", "--out", "schemas", cwd=tmp_path, env_extra={"DATABASE_URL": url}),
    ]
    for code, out, err in runs:
        assert code == 2, err
        assert "percent-encode" in err
        assert "SECRET" not in out + err
        assert "cdS" not in out + err
    with pytest.raises(SyncSchemaError) as raised:
        introspect(url)
    assert "SECRET" not in str(raised.value) + raised.value.hint
    with pytest.raises(SyncSchemaError) as raised:
        assert_schema_matches(url, tmp_path)
    assert "SECRET" not in str(raised.value) + raised.value.hint


def test_urls_are_redacted_up_to_the_last_at_of_their_authority() -> None:
    text = "cannot use postgresql://postgres:ab@cdSECRETTAIL@127.0.0.1:5432/app here"
    assert redact(text) == "cannot use postgresql://***@127.0.0.1:5432/app here"
    assert redact("postgresql://me:pw@h/db") == "postgresql://me:***@h/db"
    assert redact("postgresql://me@corp:secretpw@h/db") == "postgresql://***@h/db"


def test_a_short_password_is_not_replaced_inside_other_words(
    pg_server: TempServer, password_role: tuple[str, str], tmp_path: Path
) -> None:
    text = "postgresql://u:pg@h/db: cannot reach the database over postgresql"
    assert redact(text, ("pg",)) == (
        "postgresql://u:***@h/db: cannot reach the database over postgresql"
    )
    right, _wrong = password_role
    short = right.replace(ROLE_PASSWORD, "base", 1)  # a wrong password, and part of "database"

    code, out, err = _run("check", "--db-url", short, "--out", "schemas", cwd=tmp_path)

    assert code == 2, err
    assert "password authentication failed" in err
    assert "database" in err
    assert "***" not in out + err


@pytest.mark.parametrize(
    ("conninfo", "secret"),
    [
        ("host=h password='a long secret' user=u", "a long secret"),
        (r"host=h password='it\'s a secret' user=u", r"it\'s a secret"),
        ("host=h password = plainsecret user=u", "plainsecret"),
        ("host=h password='unterminated secret", "unterminated secret"),
        ("postgresql://h/db?password=querysecret&user=u", "querysecret"),
    ],
)
def test_key_value_passwords_with_quotes_and_spaces_are_redacted(
    conninfo: str, secret: str
) -> None:
    redacted = redact(f"error in {conninfo}")
    assert "***" in redacted
    for word in secret.split():
        assert word.strip("'\\") not in redacted or len(word) < 4  # "a", "s": common letters
    if "user=u" in conninfo:
        assert "user=u" in redacted


def test_a_wrong_quoted_password_never_reaches_an_exception(
    password_role: tuple[str, str],
) -> None:
    right, _wrong = password_role
    params = conninfo_to_dict(right)
    secret = "wrong secret's value"
    kv = make_conninfo("", **{**params, "password": secret})
    with pytest.raises(SyncSchemaError) as raised:
        introspect(kv)
    assert "password authentication failed" in str(raised.value)
    assert "secret" not in str(raised.value) + raised.value.hint
    malformed = kv.replace("password=", "password=unquoted secret ", 1)
    with pytest.raises(SyncSchemaError) as raised:
        introspect(malformed)
    assert "secret" not in str(raised.value) + raised.value.hint
