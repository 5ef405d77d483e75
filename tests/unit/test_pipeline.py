"""The wired stages on an in-memory IR: forked rendering, the recorded manifest, check's shortcut."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sync_schema import fingerprint, forked, ir, pipeline, tree_store
from sync_schema.config import Overrides, Settings, load_settings
from sync_schema.ir import Database
from sync_schema.layout import SCHEMA_JSON
from sync_schema.snapshot import read_snapshot
from sync_schema.tree_store import write_tree
from tests.unit.test_render import HOSTILE_DB, col, int4, numeric, table, text

# Enough columns that build_files hands the Pydantic models to a forked child.
BIG_DB = Database(
    schemas=("public",),
    tables=tuple(
        table(
            f"t{n:03d}",
            col("id", int4()),
            *(col(f"c{i}", text() if i % 2 else numeric(10, 2), nullable=True) for i in range(24)),
        )
        for n in range(100)
    ),
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    return load_settings(
        Overrides(db_url="postgresql://unused", out=tmp_path / "pkg"), cwd=tmp_path
    )


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")


def test_big_schemas_are_rendered_by_a_forked_child_with_identical_output(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sum(len(t.columns) for t in BIG_DB.tables) >= pipeline._FORK_MIN_COLUMNS
    can_fork = forked.available()
    stats = pipeline.Stats()
    parallel = pipeline.build_files(pipeline.Run.of(settings, BIG_DB), stats)
    monkeypatch.setattr(forked, "available", lambda: False)
    serial = pipeline.build_files(pipeline.Run.of(settings, BIG_DB))

    assert parallel == serial
    assert ("forked render" in stats.stages) == can_fork


@pytest.mark.skipif(not forked.available(), reason="no fork here")
def test_a_failing_child_is_redone_in_the_parent(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = pipeline.build_files(pipeline.Run.of(settings, BIG_DB))
    monkeypatch.setattr(forked.ForkedCall, "result", lambda _self: None)

    assert pipeline.build_files(pipeline.Run.of(settings, BIG_DB)) == expected


def test_schema_json_records_every_file_hash_and_the_inputs(settings: Settings) -> None:
    files = pipeline.build_files(pipeline.Run.of(settings, HOSTILE_DB))
    _version, data, manifest, _names = read_snapshot(files[SCHEMA_JSON])

    assert manifest is not None
    assert set(manifest.files) == set(files) - {SCHEMA_JSON}
    assert manifest.inputs == pipeline.inputs_fingerprint(settings)
    assert ir.from_dict(data) == HOSTILE_DB.sorted()


def test_check_shortcut_holds_only_for_the_exact_tree(settings: Settings) -> None:
    files = pipeline.build_files(pipeline.Run.of(settings, HOSTILE_DB))
    write_tree(settings.out, files)
    previous = tree_store.read_snapshot_file(settings.out)

    assert pipeline.tree_is_current(pipeline.Run.of(settings, HOSTILE_DB, previous))
    other = Database(schemas=("public",), tables=(table("other", col("id", int4())),))
    assert not pipeline.tree_is_current(pipeline.Run.of(settings, other, previous))
    (settings.out / "enums.py").write_text("# edited\n", encoding="utf-8")
    assert not pipeline.tree_is_current(pipeline.Run.of(settings, HOSTILE_DB, previous))


def test_json_parts_hash_equals_the_hash_of_the_whole_canonical_json() -> None:
    for db in (HOSTILE_DB, BIG_DB, Database(schemas=("public",))):
        whole = hashlib.sha256(ir.dumps(ir.to_dict(db)).encode("utf-8")).hexdigest()
        assert ir.hash_parts(ir.json_parts(db)) == whole
        assert ir.db_hash(db) == whole


def test_a_stage_inside_another_counts_once_as_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 1.0, 3.0, 10.0])  # outer starts, inner starts, inner ends, outer ends
    monkeypatch.setattr("sync_schema.pipeline.time.perf_counter", lambda: next(clock))
    stats = pipeline.Stats()

    with stats.stage("render"), stats.stage("hash"):
        pass

    assert stats.stages == {"hash": 2.0, "render": 8.0}


_HEAD = '{\n"db_hash": "x",\n'
_TAIL = '"files": {\n},\n"database": {}\n}\n'


def _schema_json(line: str | None, body_extra: str = "") -> str:
    body = _HEAD + body_extra + _TAIL
    return fingerprint.with_source(body, line)


def test_generate_from_a_live_database_keeps_the_fingerprint_only_for_an_unchanged_body() -> None:
    line = fingerprint.source_line("f" * 64, _HEAD + _TAIL)
    kept = pipeline.with_fresh_source({SCHEMA_JSON: _schema_json(line)}, pipeline.Stats())
    assert kept[SCHEMA_JSON] == _schema_json(line)
    changed = {SCHEMA_JSON: _schema_json(line, '"schema_version": 2,\n')}
    dropped = pipeline.with_fresh_source(changed, pipeline.Stats())
    assert fingerprint.split(dropped[SCHEMA_JSON])[1] is None


def test_generate_from_migrations_writes_the_fingerprint_of_the_new_body() -> None:
    stale = fingerprint.source_line("0" * 64, "old body")
    files = pipeline.with_fresh_source(
        {SCHEMA_JSON: _schema_json(stale)}, pipeline.Stats(source="a" * 64)
    )
    body, line = fingerprint.split(files[SCHEMA_JSON])
    assert body == _HEAD + _TAIL
    assert line == fingerprint.source_line("a" * 64, body)
