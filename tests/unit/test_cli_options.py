"""The CLI's shared flags: declared once, offered by every database command, layered over the root's."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer

from sync_schema.cli.app import app
from sync_schema.cli.options import DatabaseFlags, ImpactMode
from sync_schema.config import Overrides

DATABASE_COMMANDS = ("generate", "update", "check", "diff", "report")
SHARED = (
    "db_url",
    "migrations",
    "out",
    "schema",
    "config",
    "project_id",
    "linked",
    "templates",
    "supabase_shim",
    "verbose",
    "impact",
    "app_dir",
)
OWN = {
    "generate": ("force", "commit"),
    "update": ("force", "commit"),
    "check": ("full", "hash_only"),
    "diff": ("output_format", "files"),
    "report": ("report_dir", "output_format"),
}


def _commands() -> dict[str, click.Command]:
    group = typer.main.get_command(app)
    assert isinstance(group, click.Group)
    return dict(group.commands)


@pytest.mark.parametrize("name", DATABASE_COMMANDS)
def test_every_database_command_offers_the_shared_flags_then_its_own(name: str) -> None:
    params = [p.name for p in _commands()[name].params]
    source, run = SHARED[:9], SHARED[9:]
    assert params == [*source, *OWN[name], *run]


def test_the_shared_flags_are_the_fields_of_database_flags() -> None:
    assert DatabaseFlags.__dataclass_fields__.keys() == set(SHARED)


def _context(root: Overrides | None) -> typer.Context:
    ctx = typer.Context(click.Command("check"))
    ctx.obj = root
    return ctx


def test_a_subcommand_flag_wins_over_the_roots_and_the_rest_of_the_root_stays() -> None:
    root = Overrides(project_id="prod", out=Path("root_out"), schemas=("auth",))
    flags = DatabaseFlags(out=Path("sub_out"), db_url="postgresql://h/db")
    got = flags.overrides(_context(root))
    assert got == Overrides(
        project_id="prod", out=Path("sub_out"), schemas=("auth",), db_url="postgresql://h/db"
    )


def test_flags_left_unset_change_nothing_and_linked_turns_on() -> None:
    assert DatabaseFlags().overrides(_context(None)) == Overrides()
    assert DatabaseFlags(schema=[]).overrides(_context(None)) == Overrides()
    assert DatabaseFlags(linked=True).overrides(_context(None)) == Overrides(linked=True)
    assert DatabaseFlags(schema=["a", "b"]).overrides(_context(None)) == Overrides(
        schemas=("a", "b")
    )


def test_extra_settings_ride_along_and_run_flags_are_not_settings() -> None:
    flags = DatabaseFlags(verbose=True, impact=ImpactMode.mypy, app_dir=[Path("src")])
    got = flags.overrides(_context(None), report_dir=Path("reports"))
    assert got == Overrides(report_dir=Path("reports"))
