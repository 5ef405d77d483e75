"""Pause Python's cyclic garbage collector around allocation-heavy work that makes no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Disable the cyclic GC inside the block; restore the caller's setting after it."""
    # Reading a big catalog allocates some 100k rows, tuples and dataclasses that form no
    # cycles, so every collection the allocations trigger finds nothing; in a host application
    # (the startup guard) the older generations it walks hold the whole app's heap too.
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
