"""Configuration read from pyproject.toml: what is refused, with a hint, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync_schema.config import Overrides, load_settings
from sync_schema.errors import ConfigError


def _load(tmp_path: Path, toml: bytes) -> None:
    (tmp_path / "pyproject.toml").write_bytes(toml)
    load_settings(Overrides(db_url="postgresql://localhost/x"), cwd=tmp_path)


def test_a_pyproject_that_is_not_utf8_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, b'[tool.sync-schema]\nout = "sch\xe9mas"\n')
    assert "pyproject.toml" in caught.value.message
    assert "UTF-8" in caught.value.hint


@pytest.mark.parametrize("value", ["Not A Name", "class", "_Hidden", "9Lives", "Ünïcode", ""])
def test_a_naming_override_must_be_a_plain_python_name(tmp_path: Path, value: str) -> None:
    toml = f'[tool.sync-schema.naming]\n"public.people" = "{value}"\n'.encode()
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, toml)
    assert "public.people" in caught.value.message
    assert "keyword" in caught.value.hint


def test_a_plain_naming_override_is_accepted(tmp_path: Path) -> None:
    _load(tmp_path, b'[tool.sync-schema.naming]\n"public.people" = "Person"\n')


def test_a_json_schema_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_bytes(b'{"title": "\xff"}')
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, b'[tool.sync-schema.jsonb]\n"public.p.settings" = "s.json"\n')
    assert "public.p.settings" in caught.value.message


def test_the_update_command_defaults_to_the_cli_and_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sync-schema]\n", encoding="utf-8")
    default = load_settings(Overrides(db_url="postgresql://localhost/x"), cwd=tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.sync-schema]\nupdate-command = "just schemas"\n', encoding="utf-8"
    )
    configured = load_settings(Overrides(db_url="postgresql://localhost/x"), cwd=tmp_path)

    assert default.update_command == "sync-schema generate"
    assert configured.update_command == "just schemas"
