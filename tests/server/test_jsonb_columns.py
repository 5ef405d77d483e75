"""Typed jsonb from a real pg_jsonschema CHECK: refs refused, code-generation keys stripped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sync_schema.embedded.server import TempServer
from tests.unit.test_jsonb import (
    _IMPORT_ALL,
    SAFE_IMPORTS,
    SECRET,
    _generate,
    _imported_modules,
    _object_with_ref,
    _profiles_with_schema,
)


@pytest.mark.postgres
def test_generate_exits_2_on_a_check_schema_that_refers_to_a_local_file(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"type": "object", "properties": {SECRET: {}}}), encoding="utf-8")
    _profiles_with_schema(pg_server, fresh_db, _object_with_ref(str(secret)))
    out = tmp_path / "typed_pkg"

    result = _generate(fresh_db, out)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "public.profiles.settings" in result.stderr
    assert "$ref" in result.stderr
    assert "hint: use only in-document refs (#/$defs/...)" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    written = [p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()]
    assert not any(SECRET in text for text in written)


@pytest.mark.postgres
def test_generate_strips_code_generation_keys_and_keeps_in_document_refs(
    pg_server: TempServer, fresh_db: str, tmp_path: Path
) -> None:
    schema = {
        "type": "object",
        "customBasePath": "this.s",
        "properties": {
            "theme": {"$ref": "#/$defs/Theme"},
            "font": {"type": "string", "customTypePath": "this.s"},
            "mode": {"type": "string", "x-python-type": "this.s"},
        },
        "$defs": {"Theme": {"type": "object", "x-python-import": {"module": "this", "name": "s"}}},
    }
    _profiles_with_schema(pg_server, fresh_db, schema)
    out = tmp_path / "typed_pkg"

    result = _generate(fresh_db, out)

    assert result.returncode == 0, result.stdout + result.stderr
    typed = (out / "jsonb" / "profiles_settings.py").read_text(encoding="utf-8")
    assert "class Theme(TypedDict" in typed
    made_by_the_tool = sorted(out.glob("**/jsonb/profiles_settings.py"))
    assert len(made_by_the_tool) == 2  # the TypedDict and the Pydantic layer
    for path in made_by_the_tool:
        assert _imported_modules(path.read_text(encoding="utf-8")) <= SAFE_IMPORTS
    imported = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, str(out)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout.splitlines()[-1]) == {"this": False}
    assert "Zen of Python" not in imported.stdout
