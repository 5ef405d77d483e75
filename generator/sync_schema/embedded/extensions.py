"""Extensions on the embedded server: Supabase's shim, emulations of what the server lacks, hints."""

from __future__ import annotations

import shutil
from pathlib import Path

from sync_schema.embedded.processes import run_tool, server_env

#: SQL-only stand-ins (control and script files) for extensions a server may lack.
EMULATED_EXTENSIONS_DIR = Path(__file__).with_name("supabase_extensions")


# The first major version with extension_control_path; older ones get a private share/ overlay.
CONTROL_PATH_MAJOR = 18


def emulated_extension_names() -> tuple[str, ...]:
    """The extensions sync-schema can stand in for with SQL (uuid-ossp, pgcrypto, pg_jsonschema)."""
    return tuple(sorted(p.stem for p in EMULATED_EXTENSIONS_DIR.glob("*.control")))


def installation_dirs(pg_bin: Path) -> tuple[Path, Path, Path]:
    """(bindir, sharedir, pkglibdir) of the installation pg_bin belongs to."""
    pg_config = pg_bin / "pg_config"
    if pg_config.is_file():
        result = run_tool(
            [str(pg_config), "--bindir", "--sharedir", "--pkglibdir"], env=server_env()
        )
        lines = result.stdout.splitlines()
        if result.returncode == 0 and len(lines) == 3:
            return Path(lines[0]), Path(lines[1]), Path(lines[2])
    # A relocatable build without pg_config, such as the wheel's: prefix/{bin,share,lib}.
    return pg_bin, pg_bin.parent / "share", pg_bin.parent / "lib"


def make_dirs(path: Path, under: Path) -> None:
    """Create path and its missing parents below `under`, readable by the server user."""
    parts = path.relative_to(under).parts
    for depth in range(1, len(parts) + 1):
        target = under.joinpath(*parts[:depth])
        target.mkdir(exist_ok=True)
        target.chmod(0o755)  # as root, the server runs as another user, who must read it


def copy_emulations(names: list[str], extension_dir: Path, under: Path) -> None:
    """Write the control and script files of the named emulated extensions into extension_dir."""
    make_dirs(extension_dir, under)
    for name in names:
        for source in EMULATED_EXTENSIONS_DIR.iterdir():
            # name.control and name--version.sql
            if source.name.startswith((f"{name}.", f"{name}--")):
                target = extension_dir / source.name
                shutil.copyfile(source, target)
                target.chmod(0o644)
