"""`make bench` rows: `check` from migrations with nothing changed, against a bare Python.

    python -m tests.benchmarks.fastcheck [--runs 5]

Two projects, each generated once first (unmeasured): a copy of this repository's migrations
and schemas/, and a folder of 1000 migrations of one table each (made deterministically). Then
`sync-schema check` and `python -c "import sys"` run in alternating pairs; the row gives each
one's median wall time and the median of the per-pair ratios (the machine is shared: a ratio
of neighbours holds when its speed drifts). Target: at most 10x. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.harness import REPO, table
from tests.benchmarks.run import child_env

RATIO_MAX = 10.0
TABLES = 1000
CONFIG = '[tool.sync-schema]\nmigrations = "migrations"\nout = "schemas"\nschemas = ["public"]\n'


def this_repository(where: Path) -> Path:
    """This repository's config, migrations and schemas/, copied (the fingerprint may be stale)."""
    root = where / "repo"
    shutil.copytree(REPO / "supabase", root / "supabase")
    shutil.copytree(REPO / "schemas", root / "schemas")
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    section = text[text.index("[tool.sync-schema]") :]
    (root / "pyproject.toml").write_text(section.replace('"examples/app"', ""), encoding="utf-8")
    return root


def thousand_tables(where: Path) -> Path:
    """1000 migration files of one table each, every one referencing the one before."""
    root = where / "big"
    folder = root / "migrations"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    for n in range(TABLES):
        ref = f",\n  prev_id bigint references t{n - 1:04d} (id)" if n else ""
        (folder / f"{20240101000000 + n}_t{n:04d}.sql").write_text(
            f"create table t{n:04d} (\n  id bigint primary key,\n  name text not null,\n"
            f"  created_at timestamptz not null default now(){ref}\n);\n",
            encoding="utf-8",
        )
    return root


def sync_schema() -> str:
    return str(Path(sys.executable).with_name("sync-schema"))


def paired(cwd: Path, runs: int) -> tuple[float, float, float]:
    """Median seconds of check and of bare Python, and the median per-pair ratio."""
    env = child_env()
    check, bare = [sync_schema(), "check"], [sys.executable, "-c", "import sys"]

    def once(argv: list[str], code: int) -> float:
        start = time.perf_counter()
        result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != code:
            raise SystemExit(f"{' '.join(argv)} exited {result.returncode}: {result.stderr!r}")
        return elapsed

    once(check, 0)
    once(bare, 0)  # warm-up
    pairs = [(once(check, 0), once(bare, 0)) for _ in range(runs)]
    return (
        statistics.median(a for a, _ in pairs),
        statistics.median(b for _, b in pairs),
        statistics.median(a / b for a, b in pairs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sync-schema-fastcheck-") as tmp:
        for name, make in (("this repository", this_repository), ("1000 tables", thousand_tables)):
            root = make(Path(tmp))
            env = child_env()
            subprocess.run(
                [sync_schema(), "generate"],
                cwd=root,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            check_s, bare_s, ratio = paired(root, args.runs)
            rows.append(
                [
                    f"check, migrations unchanged ({name})",
                    f"{check_s * 1000:.0f}",
                    f"{bare_s * 1000:.0f}",
                    f"{ratio:.1f}x",
                    "ok" if ratio <= RATIO_MAX else f"over {RATIO_MAX:.0f}x",
                ]
            )
    print(table(["row", "check ms", "bare python ms", "ratio (median of pairs)", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
