"""`make bench-peers`: sync-schema against sqlacodegen on the same big schema.

    python -m tests.benchmarks.peers [--runs 5] [--size big1000] [--json bench-peers.json]
                                     [--markdown] [--from-json FILE]

sqlacodegen goes into its own venv, .cache/bench-peers-venv (created with `python -m venv`, filled
with pip only when something is missing), so it never touches the project's dependencies. One
throwaway PostgreSQL server, the preset loaded once; then pairs of runs, each command a separate
process: ours (`python -m sync_schema generate`, into a fresh empty dir) and theirs (`sqlacodegen
URL --outfile FILE`). The order inside a pair alternates (ours first, then theirs first) so
neither always runs on the caches the other warmed. One unmeasured run of each comes first.

The target: sync-schema at least 5x faster, i.e. median(ours / theirs) <= 0.2.
Exit status 0 whatever the numbers; 2 when a command fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sync_schema import __version__
from sync_schema.pgserver import TempServer
from tests.benchmarks import bigschema
from tests.benchmarks.harness import (
    REPO,
    BenchError,
    Sample,
    add_output_arguments,
    environment,
    finish,
    load_results,
    ms,
    run_child,
    summary,
    table,
    verdict,
)
from tests.benchmarks.run import child_env

VENV = REPO / ".cache" / "bench-peers-venv"
PEER_PACKAGES = ("sqlacodegen", "psycopg[binary]")
RATIO_MAX = 0.2  # ours / theirs: at least 5x faster


def venv_python(venv: Path = VENV) -> Path:
    """The venv's interpreter."""
    return venv / "bin" / "python"


def peer_versions(venv: Path = VENV) -> dict[str, str] | None:
    """Installed versions of sqlacodegen, SQLAlchemy and psycopg, or None if one is missing."""
    python = venv_python(venv)
    if not python.exists() or not (venv / "bin" / "sqlacodegen").exists():
        return None
    code = (
        "import importlib.metadata as m, json, psycopg;"
        "print(json.dumps({p: m.version(p) for p in ('sqlacodegen', 'SQLAlchemy', 'psycopg')}))"
    )
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return json.loads(result.stdout) if result.returncode == 0 else None


def ensure_venv(venv: Path = VENV) -> dict[str, str]:
    """Create the peers' venv and install sqlacodegen + psycopg there unless already present."""
    versions = peer_versions(venv)
    if versions is not None:
        return versions
    if not venv_python(venv).exists():
        print(f"creating {venv} ...", file=sys.stderr, flush=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {', '.join(PEER_PACKAGES)} into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run(
        [str(venv_python(venv)), "-m", "pip", "install", "--quiet", *PEER_PACKAGES], check=True
    )
    versions = peer_versions(venv)
    if versions is None:
        raise BenchError(f"sqlacodegen is still not usable in {venv} after pip install")
    return versions


def sqlalchemy_url(server: TempServer, dbname: str) -> str:
    """The SQLAlchemy URL of `dbname` over the server's unix socket."""
    host = quote(str(server.socket_dir), safe="/")
    return f"postgresql+psycopg://postgres@/{quote(dbname, safe='')}?host={host}"


def measure(size: str, runs: int, seed: int) -> dict[str, Any]:
    """Load the preset, run the alternating pairs; the JSON document."""
    versions = ensure_venv()
    env = child_env()
    ours_base = [sys.executable, "-m", "sync_schema", "generate"]
    theirs_bin = str(VENV / "bin" / "sqlacodegen")
    results: dict[str, Any] = {
        "environment": {**environment(), "sync_schema": __version__, "peers": versions},
        "size": size,
        "runs": runs,
        "seed": seed,
    }
    with TempServer() as server, tempfile.TemporaryDirectory(prefix="sync-schema-peers-") as tmp:
        results["environment"]["postgres_major"] = server.major_version
        tables = bigschema.PRESETS[size][0]
        print(f"[{size}] loading {tables} tables ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        dsn = bigschema.load(server, size, bigschema.preset_sql(size, seed))
        results["load_s"] = time.perf_counter() - start
        url = sqlalchemy_url(server, size)

        def ours() -> Sample:
            out = Path(tempfile.mkdtemp(prefix="ours-", dir=tmp))
            try:
                return run_child([*ours_base, "--db-url", dsn, "--out", str(out)], env=env)
            finally:
                shutil.rmtree(out)

        def theirs() -> Sample:
            outfile = Path(tmp) / "sqlacodegen_models.py"
            sample = run_child([theirs_bin, url, "--outfile", str(outfile)], env=env)
            if not outfile.exists() or outfile.stat().st_size == 0:
                raise BenchError("sqlacodegen wrote no output")
            results["theirs_output_bytes"] = outfile.stat().st_size
            outfile.unlink()
            return sample

        print(f"[{size}] warm-up run of each ...", file=sys.stderr, flush=True)
        ours()
        theirs()
        pairs = []
        for i in range(runs):
            if i % 2 == 0:
                mine, other = ours(), theirs()
            else:
                other, mine = theirs(), ours()
            pairs.append((mine, other))
            print(
                f"[{size}] pair {i + 1}/{runs}: ours {mine.seconds:.3f} s, "
                f"sqlacodegen {other.seconds:.3f} s",
                file=sys.stderr,
                flush=True,
            )
    ratios = [m.seconds / o.seconds for m, o in pairs]
    median_ratio = statistics.median(ratios)
    results.update(
        {
            "ours": summary([m for m, _ in pairs]),
            "theirs": summary([o for _, o in pairs]),
            "pairs": [
                {"ours_s": m.seconds, "theirs_s": o.seconds, "ratio": m.seconds / o.seconds}
                for m, o in pairs
            ],
            "median_ratio": median_ratio,
            "target": {"limit": f"<= {RATIO_MAX}", "ok": median_ratio <= RATIO_MAX},
        }
    )
    return results


def render(results: dict[str, Any], *, markdown: bool = False) -> str:
    """Per-pair table, summary table and the verdict."""
    heading = "### " if markdown else ""
    size, runs = results["size"], results["runs"]
    env = results["environment"]
    peers = env["peers"]
    pair_rows = [
        [str(i), ms(p["ours_s"]), ms(p["theirs_s"]), f"{p['ratio']:.3f}"]
        for i, p in enumerate(results["pairs"], 1)
    ]
    summary_rows = [
        [
            name,
            ms(s["min_s"]),
            ms(s["median_s"]),
            ms(s["max_s"]),
            f"{s['peak_rss_mib']:.1f} MiB",
        ]
        for name, s in (
            (f"sync-schema {env.get('sync_schema')} generate", results["ours"]),
            (f"sqlacodegen {peers['sqlacodegen']}", results["theirs"]),
        )
    ]
    ratio = results["median_ratio"]
    ok = results["target"]["ok"]
    speedup = 1 / ratio if ratio else float("inf")
    about = (
        f"{size}: {bigschema.PRESETS[size][0]} tables; SQLAlchemy {peers['SQLAlchemy']}, "
        f"psycopg {peers['psycopg']}, Python {env['python']}, "
        f"PostgreSQL {env.get('postgres_major')}, {env['cpus']} CPUs"
    )
    parts = [
        f"{heading}sync-schema vs sqlacodegen on {size} ({runs} alternating pairs, one process per run)",
        "",
        table(["pair", "ours", "sqlacodegen", "ours/theirs"], pair_rows, markdown=markdown),
        "",
        table(["tool", "min", "median", "max", "peak RSS"], summary_rows, markdown=markdown),
        "",
        f"median ratio ours/theirs: {ratio:.3f} ({speedup:.1f}x faster); "
        f"target <= {RATIO_MAX} (>= 5x faster): {verdict(ok).strip()}",
        "",
        ("_" + about + "_") if markdown else about,
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tests.benchmarks.peers`."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.peers", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="pairs of runs (default 5)")
    parser.add_argument(
        "--size", default="big1000", choices=sorted(bigschema.PRESETS), help="preset"
    )
    add_output_arguments(parser, REPO / "bench-peers.json")
    args = parser.parse_args(argv)
    results = load_results(args)
    if results is None:
        if args.runs < 1:
            parser.error("--runs must be >= 1")
        try:
            results = measure(args.size, args.runs, args.seed)
        except (BenchError, subprocess.CalledProcessError) as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
    return finish(args, results, render)


if __name__ == "__main__":
    sys.exit(main())
