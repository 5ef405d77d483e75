"""Compiled templates cached between runs: never stale, never an error, same output."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from sync_schema import cachedir, layout, render, templatecache


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cachedir.CACHE_ENV, str(folder))
    return folder


def _render(templates: Path, name: str = "hello.py.jinja") -> str:
    return render.environment(templates).get_template(name).render(who="world")


def _cached_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.rglob("*.cache"))


def test_a_template_compiled_once_is_read_from_the_cache_with_the_same_output(
    tmp_path: Path, cache_dir: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hello.py.jinja").write_text("{% if who %}\n  x = {{ who }}\n{% endif %}\n")

    first = _render(templates)
    cached = _cached_files(cache_dir)
    second = _render(templates)

    assert first == second == "  x = world\n"
    assert len(cached) == 1
    assert _cached_files(cache_dir) == cached


def test_an_edited_template_is_compiled_afresh_not_read_from_the_cache(
    tmp_path: Path, cache_dir: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    template = templates / "hello.py.jinja"
    template.write_text("a = {{ who }}\n")
    assert _render(templates) == "a = world\n"

    template.write_text("b = {{ who }}\n")

    assert _render(templates) == "b = world\n"


def test_environments_that_compile_differently_never_share_a_cache_entry() -> None:
    base = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
    keys = {
        templatecache.compile_key(jinja2.Environment(**options))  # noqa: S701
        for options in (
            base,
            {**base, "trim_blocks": False},
            {**base, "lstrip_blocks": False},
            {**base, "keep_trailing_newline": False},
            {**base, "autoescape": True},
            {**base, "block_start_string": "<%"},
        )
    }
    assert len(keys) == 6


def test_the_builtin_templates_render_through_a_cache(cache_dir: Path) -> None:
    env = render.environment()

    env.get_template(layout.PY_FILES["enums.py"])

    assert isinstance(env.bytecode_cache, jinja2.FileSystemBytecodeCache)
    assert len(_cached_files(cache_dir)) == 1


def test_a_corrupt_cache_entry_is_compiled_afresh(tmp_path: Path, cache_dir: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hello.py.jinja").write_text("c = {{ who }}\n")
    _render(templates)
    for entry in _cached_files(cache_dir):
        entry.write_bytes(entry.read_bytes()[:40])

    assert _render(templates) == "c = world\n"


def test_a_cache_folder_that_cannot_be_made_or_written_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "hello.py.jinja").write_text("d = {{ who }}\n")
    monkeypatch.setenv(cachedir.CACHE_ENV, str(blocker / "cache"))

    assert _render(templates) == "d = world\n"
    assert render.environment(templates).bytecode_cache is None


def test_an_empty_cache_setting_turns_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cachedir.CACHE_ENV, "")

    assert render.environment().bytecode_cache is None
