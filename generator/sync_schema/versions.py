"""Installed tools' versions, read from their METADATA: importlib.metadata costs start-up time."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path


def installed_version(distribution: str, module: str) -> str | None:
    """The Version `distribution` (which installs `module`) declares; None when not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return None
    found = None
    if spec.origin is not None:
        # A package's origin is its __init__.py, a plain module's its own file.
        package = spec.submodule_search_locations is not None
        site = Path(spec.origin).parent.parent if package else Path(spec.origin).parent
        found = _from_dist_info(distribution, site)
    if found is not None:
        return found
    from importlib import metadata  # noqa: PLC0415 - the general lookup, when the quick one cannot

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _from_dist_info(distribution: str, site: Path) -> str | None:
    """The Version line of the one `<name>-*.dist-info/METADATA` in `site`, else None."""
    wanted = _normalized(distribution)
    try:
        infos = [
            p
            for p in site.iterdir()
            if p.name.endswith(".dist-info") and _normalized(p.name.split("-")[0]) == wanted
        ]
    except OSError:
        return None
    if len(infos) != 1:  # none (not a site dir) or stale copies: let importlib.metadata decide
        return None
    try:
        with (infos[0] / "METADATA").open(encoding="utf-8") as metadata:
            for line in metadata:
                if not line.strip():
                    break  # the headers end at the first blank line
                if line.startswith("Version:"):
                    return line.partition(":")[2].strip()
    except OSError:
        return None
    return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
