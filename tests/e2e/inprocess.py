"""Run the CLI's entry point inside the test process, as the `sync-schema` script would run it.

A subprocess costs a Python start and every import again (about half a second here); most
end-to-end tests only need the exit code and the two streams. The run gets the folder, the
environment and argv it asks for, and every piece of process state the entry point touches
(signal handlers, the cycle collector's thresholds, the environment, the folder) is put back
after it. Tests that need a real process (signals, import probes, a closed pipe) run one.
"""

from __future__ import annotations

import gc
import io
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

from sync_schema.__main__ import entry


@contextmanager
def _process_state(cwd: Path, env: Mapping[str, str], argv: list[str]) -> Iterator[None]:
    """The folder, environment and argv of a fresh process; everything restored on exit."""
    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    saved_argv = sys.argv
    saved_handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    saved_gc = gc.get_threshold()
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.argv = argv
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv = saved_argv
        for number, handler in saved_handlers.items():
            signal.signal(number, handler)
        gc.set_threshold(*saved_gc)


def _exit_code(done: SystemExit, err: io.StringIO) -> int:
    """The process's exit status for `sys.exit(code)`, as the interpreter computes it."""
    code = done.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    err.write(f"{code}\n")
    return 1


def run_cli(
    args: list[str], *, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """`sync-schema *args` in `cwd` with exactly `env`, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    argv = [str(Path(sys.executable).parent / "sync-schema"), *args]
    with _process_state(cwd, env, argv), redirect_stdout(out), redirect_stderr(err):
        try:
            entry()
            code = 0
        except SystemExit as done:
            code = _exit_code(done, err)
        except Exception:
            traceback.print_exc(file=err)
            code = 1
    return subprocess.CompletedProcess(["sync-schema", *args], code, out.getvalue(), err.getvalue())
