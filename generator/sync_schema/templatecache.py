"""Compiled templates kept between runs: Jinja's compile is a tenth of a small `generate`.

A cache entry is used only for the same template source (Jinja compares its checksum), the
same Jinja and Python (Jinja's bucket magic and this folder's name) and the same Environment
options that shape the compiled code (this folder's name). Anything the cache cannot read or
write is skipped: it only ever saves time. Imported by render.environment only, with Jinja.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from typing import TYPE_CHECKING

import jinja2

from sync_schema.cachedir import cache_root

if TYPE_CHECKING:
    from jinja2.bccache import Bucket


def compile_key(env: jinja2.Environment) -> str:
    """A digest of what, beside the source, decides a template's compiled code."""
    facts = [
        jinja2.__version__,
        f"{sys.version_info.major}.{sys.version_info.minor}",
        *(
            repr(getattr(env, name))
            for name in (
                "block_start_string",
                "block_end_string",
                "variable_start_string",
                "variable_end_string",
                "comment_start_string",
                "comment_end_string",
                "line_statement_prefix",
                "line_comment_prefix",
                "trim_blocks",
                "lstrip_blocks",
                "newline_sequence",
                "keep_trailing_newline",
                "optimized",
                "is_async",
            )
        ),
        # A callable autoescape decides per template at compile time: name it, not its id.
        getattr(env.autoescape, "__qualname__", repr(env.autoescape)),
        *sorted(env.extensions),
    ]
    return hashlib.sha256("\0".join(facts).encode()).hexdigest()[:16]


def attach(env: jinja2.Environment) -> jinja2.Environment:
    """Give `env` a bytecode cache under the user's cache folder (unchanged when none is usable)."""
    root = cache_root()
    if root is None:
        return env
    folder = root / f"jinja-{compile_key(env)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return env
    env.bytecode_cache = _ForgivingCache(str(folder))
    return env


class _ForgivingCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, except that a cache it cannot read or write is a miss, not an error."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # a truncated or foreign file: compile afresh
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)
