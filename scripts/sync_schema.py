#!/usr/bin/env python3
"""`python scripts/sync_schema.py --check` (the design document's form): the sync-schema CLI."""

import sys
from pathlib import Path

# This file shares the package's name: take its folder off the path so the import finds the
# package, and fall back to the source root of a checkout where it is not installed.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
try:
    from sync_schema.__main__ import entry
except ModuleNotFoundError as exc:
    if exc.name != "sync_schema":
        raise
    sys.path.insert(0, str(_HERE.parent / "generator"))
    from sync_schema.__main__ import entry

entry()
