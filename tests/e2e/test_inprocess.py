"""The in-process runner the end-to-end tests use: as a process would run, and leaving no trace."""

from __future__ import annotations

import gc
import os
import signal
from pathlib import Path

from tests.e2e.test_cli import make_cli


def test_an_in_process_run_says_what_the_process_says(tmp_path: Path) -> None:
    cli = make_cli(tmp_path / "project")
    for args in (("version",), ("check", "--db-url", "not a url"), ("no-such-command",)):
        inside, outside = cli(*args), cli.process(*args)
        assert (inside.returncode, inside.stdout, inside.stderr) == (
            outside.returncode,
            outside.stdout,
            outside.stderr,
        ), args


def _process_state() -> tuple[object, ...]:
    return (
        Path.cwd(),
        dict(os.environ),
        signal.getsignal(signal.SIGINT),
        signal.getsignal(signal.SIGTERM),
        gc.get_threshold(),
    )


def test_an_in_process_run_puts_back_the_folder_environment_signals_and_gc(
    tmp_path: Path,
) -> None:
    cli = make_cli(tmp_path / "project")
    before = _process_state()

    assert cli("version", SYNC_SCHEMA_PROBE="1").returncode == 0

    assert _process_state() == before
