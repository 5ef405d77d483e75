"""The entry's own argv parsing of `check --db-url`: only the forms click reads the same way."""

from __future__ import annotations

import pytest

from sync_schema.cli.fast import parse


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["check", "--db-url", "postgresql:///x"], {"--db-url": "postgresql:///x"}),
        (
            ["check", "--out", "o", "--db-url=postgresql:///x"],
            {"--db-url": "postgresql:///x", "--out": "o"},
        ),
        (["check", "--db-url=a=b"], {"--db-url": "a=b"}),
    ],
)
def test_the_plain_check_from_a_url_is_parsed_by_the_entry(
    argv: list[str], expected: dict[str, str]
) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["check"],  # from migrations: fingerprint.fast_check's or the CLI's
        ["generate", "--db-url", "u"],
        ["--db-url", "u", "check"],  # a root option
        ["check", "--db-url"],  # click's missing-value error
        ["check", "--db-url", ""],
        ["check", "--db-url", "--out"],
        ["check", "--db-url", "u", "--db-url", "v"],  # repeated: click's rule
        ["check", "--db-url", "u", "--full"],
        ["check", "--db-url", "u", "--verbose"],
        ["check", "--db-url", "u", "--impact"],
        ["check", "--db-url", "u", "extra"],
        ["check", "--db", "u"],
        ["check", "--out", "o"],  # no URL: the environment or the migrations decide
        ["check", "--db-url", "u", "--help"],
    ],
)
def test_any_other_argv_goes_to_the_typer_app(argv: list[str]) -> None:
    assert parse(argv) is None
