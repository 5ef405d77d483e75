"""Run one piece of work in a forked child process, so two cores render at once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

#: How long a cancelled child may take to clean up (its formatter's temp dir) before SIGKILL.
CANCEL_GRACE_SECONDS = 5.0


def available() -> bool:
    """Whether forking is safe and useful here: Linux (macOS frameworks dislike fork), 2+ CPUs."""
    return sys.platform == "linux" and hasattr(os, "fork") and (os.cpu_count() or 1) >= 2


class ForkedCall:
    """A JSON-able result computed by a forked child; `result()` is None if the child failed.

    The child inherits the parent's memory, so nothing is pickled on the way in; its result
    comes back as JSON through a pipe. On any failure the caller simply does the work itself,
    which raises the real error with its hint.
    """

    def __init__(self, pid: int, read_fd: int) -> None:
        self._pid = pid
        self._read_fd = read_fd
        self._done = False

    @classmethod
    def start(cls, work: Callable[[], Any]) -> ForkedCall:
        """Fork; the child runs `work()`, writes its JSON result and exits without cleanup."""
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child; the parent checks its result
            os.close(read_fd)
            status = 1
            try:
                interrupt_once_on(signal.SIGTERM, signal.SIGINT)
                payload = json.dumps(work()).encode("utf-8")
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(payload)
                status = 0
            finally:
                os._exit(status)  # no atexit handlers, no flushing the parent's buffers
        os.close(write_fd)
        return cls(pid, read_fd)

    def result(self) -> Any:
        """The child's result, or None when it failed (waits for it)."""
        chunks = []
        with os.fdopen(self._read_fd, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        _pid, status = os.waitpid(self._pid, 0)
        self._done = True
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            return json.loads(b"".join(chunks))
        except ValueError:
            return None

    def cancel(self) -> None:
        """Stop and reap the child if its result was never collected.

        SIGTERM first, so the child unwinds and removes its temp dirs; SIGKILL if it has not
        exited after CANCEL_GRACE_SECONDS.
        """
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            os.close(self._read_fd)  # a child blocked writing its result gets EPIPE and exits
        if not self._exited_after(signal.SIGTERM, CANCEL_GRACE_SECONDS):
            self._exited_after(signal.SIGKILL, None)

    def _exited_after(self, signum: int, grace: float | None) -> bool:
        """Send signum and reap the child; False if it still runs after grace seconds."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signum)
        deadline = None if grace is None else time.monotonic() + grace
        while True:
            try:
                pid, _status = os.waitpid(self._pid, 0 if deadline is None else os.WNOHANG)
            except ChildProcessError:
                return True
            if pid != 0:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.005)


def interrupt_once_on(*signals: int) -> None:
    """Make the first of these signals raise KeyboardInterrupt, and ignore the rest.

    The unwinding then runs every cleanup (temp dirs) without a second signal cutting it short.
    """
    fired = False

    def handler(_signum: int, _frame: FrameType | None) -> None:
        nonlocal fired
        if not fired:
            fired = True
            raise KeyboardInterrupt

    for signum in signals:
        signal.signal(signum, handler)
