"""pyright strict (basedpyright's build) on the committed schemas/ and on code that uses it.

mypy --strict is checked in test_generated.py and test_typing.py; the generated tree must
pass both checkers, and the typing cases must mean the same to both. One pyright run checks
every file here (each run takes seconds); each test reads the diagnostics of its own files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.typecheckers import PyrightResult, pyright
from tests.unit.test_typing import BAD, GOOD

ROOT = Path(__file__).resolve().parents[2]

FILES = {
    # pyright evaluates a recursive alias differently when another module reaches it first:
    # "a_first" sorts before schemas/, so it is checked before json_types.py.
    "a_first.py": "from schemas.json_types import JsonNotNull\n\n"
    "value: JsonNotNull = {'a': [None, 1.5, {'b': 'c'}]}\n",
    "good.py": GOOD,
    "bad.py": BAD,
}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> PyrightResult:
    root = tmp_path_factory.mktemp("pyright")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    for name, text in FILES.items():
        (root / name).write_text(text, encoding="utf-8")
    return pyright(root, "schemas", *FILES)


def _of(result: PyrightResult, prefix: str) -> list[str]:
    return [d for d in result.diagnostics if d.startswith(prefix)]


def test_committed_schemas_pass_pyright_strict(checked: PyrightResult) -> None:
    assert _of(checked, "schemas/") == [], checked.output


def test_a_module_importing_only_json_not_null_sees_the_json_alias_whole(
    checked: PyrightResult,
) -> None:
    assert _of(checked, "a_first.py") == [], checked.output


def test_application_code_using_the_package_passes_pyright_strict(checked: PyrightResult) -> None:
    assert _of(checked, "good.py") == [], checked.output


def test_an_unknown_enum_label_in_an_insert_fails_pyright(checked: PyrightResult) -> None:
    (error,) = _of(checked, "bad.py")
    assert error.startswith("bad.py:3: reportAssignmentType:"), error
    assert "Literal['draft']" in error, error
