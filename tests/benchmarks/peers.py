"""`make bench-peers`: sync-schema's generate and check against three peers on three schema sizes.

    python -m tests.benchmarks.peers [--runs 5] [--databases example,pagila,big1000]
                                     [--postgres-meta-version latest]
                                     [--json bench-peers.json] [--markdown] [--from-json FILE]

The peers, each installed on first use outside the project's dependencies:

* sqlacodegen (SQLAlchemy models), into the venv .venv/peers/sqlacodegen;
* supabase-pydantic (`sb-pydantic gen`, Pydantic models), into the venv .venv/peers/supabase-pydantic;
* Supabase's own generator (`supabase gen types --lang=python`: postgres-meta's typegen), the
  newest @supabase/postgres-meta on npm, run as compare_supabase runs it (no container).

The databases are compare_supabase's: `example` (supabase/migrations, small), `pagila` (the
Pagila schema, medium; from $PAGILA_DIR, skipped with a note when absent) and `big1000` (big).

None of the peers has a check, so each peer's generate is what both of ours are compared with.
Per database and peer: one unmeasured run of every command, then `--runs` triples, each command
a separate process: ours generate (into a fresh dir), ours check (`--db-url`, against the tree the
warm-up wrote: in sync) and the peer, in that order and then reversed, so ours always runs next to
the peer it is compared with. A ratio is ours / peer within one triple; the table gives the
median of those. Targets (issue #22): against the fastest peer (lowest median), generate <= 0.7x
and check <= 0.3x. All commands run in an empty directory, so no pyproject.toml applies.
sync-schema's modules are byte-compiled first, as pip compiles the peers' at install.

sb-pydantic takes a host and a port from its URL and hands them to psycopg2, while the throwaway
server listens only on a unix socket: it runs through a three-line wrapper that points
psycopg2.connect's host at the socket directory (the same call, otherwise unchanged).
A measurement, not a test: exit status 0 whatever the numbers; 2 when a command fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sync_schema import __version__
from sync_schema.embedded.server import TempServer
from tests.benchmarks import compare_supabase
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

PEERS_DIR = REPO / ".venv" / "peers"
GENERATE_MAX = 0.7  # ours / fastest peer
CHECK_MAX = 0.3
#: peer name -> (pip packages, distributions whose versions are reported, console script)
PIP_PEERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "sqlacodegen": (
        ("sqlacodegen", "psycopg[binary]"),
        ("sqlacodegen", "SQLAlchemy", "psycopg"),
        "sqlacodegen",
    ),
    "supabase-pydantic": (
        ("supabase-pydantic",),
        ("supabase-pydantic", "pydantic", "psycopg2-binary"),
        "sb-pydantic",
    ),
}
PEERS = ("sqlacodegen", "supabase-pydantic", "postgres-meta")
# psycopg2.connect(host=<the URL's host>) cannot name a socket directory: point it there.
_SB_PYDANTIC_WRAPPER = (
    "import os, sys, psycopg2; _c = psycopg2.connect\n"
    "psycopg2.connect = lambda *a, **k: _c(*a, **{**k, 'host': os.environ['BENCH_PGHOST']})\n"
    "from supabase_pydantic.cli import cli; sys.argv[0] = 'sb-pydantic'; sys.exit(cli())\n"
)


def _versions(python: Path, distributions: tuple[str, ...]) -> dict[str, str] | None:
    code = (
        "import importlib.metadata as m, json, sys;"
        "print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))"
    )
    result = subprocess.run(
        [str(python), "-c", code, *distributions], capture_output=True, text=True, check=False
    )
    return json.loads(result.stdout) if result.returncode == 0 else None


def ensure_pip_peer(name: str, root: Path = PEERS_DIR) -> dict[str, str]:
    """Create the peer's own venv and pip-install it there unless present; its versions."""
    packages, distributions, script = PIP_PEERS[name]
    venv = root / name
    python = venv / "bin" / "python"
    if (venv / "bin" / script).exists() and (found := _versions(python, distributions)):
        return found
    if not python.exists():
        print(f"creating {venv} ...", file=sys.stderr, flush=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"installing {', '.join(packages)} into {venv} ...", file=sys.stderr, flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *packages], check=True)
    found = _versions(python, distributions)
    if found is None or not (venv / "bin" / script).exists():
        raise BenchError(f"{name} is still not usable in {venv} after pip install")
    return found


def newest_postgres_meta() -> str:
    """The newest @supabase/postgres-meta on npm (compare_supabase's pin when npm cannot say)."""
    npm = shutil.which("npm")
    if npm is not None:
        result = subprocess.run(
            [npm, "view", compare_supabase.PGMETA_PACKAGE, "version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if result.returncode == 0 and result.stdout.strip():
            return result.stdout.strip().splitlines()[-1]
    print("note: npm view failed; using the pinned postgres-meta", file=sys.stderr)
    return compare_supabase.PGMETA_VERSION


def sqlalchemy_url(server: TempServer, dbname: str) -> str:
    """The SQLAlchemy URL of `dbname` over the server's unix socket."""
    host = quote(str(server.socket_dir), safe="/")
    return f"postgresql+psycopg://postgres@/{quote(dbname, safe='')}?host={host}"


def _nonempty(out: Path, tool: str) -> None:
    if not any(p.is_file() and p.stat().st_size for p in out.rglob("*")):
        raise BenchError(f"{tool} wrote nothing into {out}")


def peer_commands(server: TempServer, name: str, work: Path) -> dict[str, Callable[[Path], Sample]]:
    """Each peer's generate as a function of a fresh output dir."""
    env = child_env()
    bins = {peer: PEERS_DIR / peer / "bin" for peer in PIP_PEERS}

    def sqlacodegen(out: Path) -> Sample:
        outfile = out / "models.py"
        url = sqlalchemy_url(server, name)
        sample = run_child(
            [str(bins["sqlacodegen"] / "sqlacodegen"), url, "--outfile", str(outfile)],
            cwd=work,
            env=env,
        )
        _nonempty(out, "sqlacodegen")
        return sample

    def supabase_pydantic(out: Path) -> Sample:
        url = f"postgresql://postgres:unused@localhost:5432/{quote(name, safe='')}"
        argv = [str(bins["supabase-pydantic"] / "python"), "-c", _SB_PYDANTIC_WRAPPER]
        argv += ["gen", "--type", "pydantic", "--db-url", url, "--dir", str(out)]
        sample = run_child(argv, cwd=work, env={**env, "BENCH_PGHOST": str(server.socket_dir)})
        _nonempty(out, "supabase-pydantic")
        return sample

    server_js = compare_supabase.pgmeta_dir() / "dist" / "server" / "server.js"
    pgmeta_env = compare_supabase.pgmeta_env(compare_supabase.node_url(server, name))

    def postgres_meta(out: Path) -> Sample:
        node = shutil.which("node") or "node"
        stdout = out / "types.py"
        sample = run_child([node, str(server_js)], cwd=work, env=pgmeta_env, stdout=stdout)
        _nonempty(out, "postgres-meta")
        return sample

    return {
        "sqlacodegen": sqlacodegen,
        "supabase-pydantic": supabase_pydantic,
        "postgres-meta": postgres_meta,
    }


def measure_database(
    server: TempServer, name: str, dsn: str, runs: int, work: Path
) -> dict[str, Any]:
    """Warm-ups, then `runs` triples (ours generate, ours check, peer) per peer."""
    env = {**child_env(), "SOURCE_DATE_EPOCH": compare_supabase.FIXED_EPOCH}
    ours_cli = [sys.executable, "-m", "sync_schema"]
    reference = work / "reference"

    def fresh() -> Path:
        return Path(tempfile.mkdtemp(dir=work))

    def generate(out: Path) -> Sample:
        return run_child(
            [*ours_cli, "generate", "--db-url", dsn, "--out", str(out)], cwd=work, env=env
        )

    def check(_out: Path) -> Sample:
        argv = [*ours_cli, "check", "--db-url", dsn, "--out", str(reference)]
        return run_child(argv, cwd=work, env=env)

    commands: dict[str, Callable[[Path], Sample]] = {
        "generate": generate,
        "check": check,
        **peer_commands(server, name, work),
    }
    print(f"[{name}] warm-up run of each ...", file=sys.stderr, flush=True)
    generate(reference)
    for command in ("check", *PEERS):
        out = fresh()
        commands[command](out)
        shutil.rmtree(out)

    entry: dict[str, Any] = {"peers": {}}
    for peer in PEERS:
        samples: dict[str, list[Sample]] = {"generate": [], "check": [], "peer": []}
        for i in range(runs):
            order = ["generate", "check", peer]
            for command in order if i % 2 == 0 else reversed(order):
                out = fresh()
                samples["peer" if command == peer else command].append(commands[command](out))
                shutil.rmtree(out)
        theirs = [s.seconds for s in samples["peer"]]
        entry["peers"][peer] = {
            "peer": summary(samples["peer"]),
            "generate": summary(samples["generate"]),
            "check": summary(samples["check"]),
            "generate_ratio": statistics.median(
                s.seconds / t for s, t in zip(samples["generate"], theirs, strict=True)
            ),
            "check_ratio": statistics.median(
                s.seconds / t for s, t in zip(samples["check"], theirs, strict=True)
            ),
        }
        print(
            f"[{name}] {peer}: median {statistics.median(theirs):.3f} s; ours/peer generate "
            f"{entry['peers'][peer]['generate_ratio']:.2f}, check "
            f"{entry['peers'][peer]['check_ratio']:.2f}",
            file=sys.stderr,
            flush=True,
        )
    fastest = min(PEERS, key=lambda p: float(entry["peers"][p]["peer"]["median_s"]))
    best = entry["peers"][fastest]
    entry["fastest"] = fastest
    entry["targets"] = {
        "generate": {"limit": GENERATE_MAX, "ratio": best["generate_ratio"]},
        "check": {"limit": CHECK_MAX, "ratio": best["check_ratio"]},
    }
    for target in entry["targets"].values():
        target["ok"] = target["ratio"] <= target["limit"]
    return entry


def measure(names: list[str], runs: int, seed: int, pgmeta_version: str) -> dict[str, Any]:
    """Install the peers, load the databases, measure each."""
    if pgmeta_version == "latest":
        pgmeta_version = newest_postgres_meta()
    versions = {peer: ensure_pip_peer(peer) for peer in PIP_PEERS}
    versions["postgres-meta"] = compare_supabase.ensure_postgres_meta(pgmeta_version)
    # The peers' modules were byte-compiled by pip; an editable checkout's are only when Python
    # may write them (not under PYTHONDONTWRITEBYTECODE): compile ours as a wheel install would.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "generator" / "sync_schema")],
        check=True,
    )
    pagila_dir = Path(
        os.environ.get(compare_supabase.PAGILA_ENV) or compare_supabase.PAGILA_DEFAULT
    )
    results: dict[str, Any] = {
        "environment": {
            **environment(),
            "sync_schema": __version__,
            "peers": versions,
            "load_average_1m": {"start": os.getloadavg()[0]},
        },
        "runs": runs,
        "seed": seed,
        "databases": {},
    }
    with TempServer() as server, tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        results["environment"]["postgres_major"] = server.major_version
        for name, dsn, about in compare_supabase.load_databases(server, names, seed, pagila_dir):
            work = Path(tmp) / name
            work.mkdir()
            entry = measure_database(server, name, dsn, runs, work)
            results["databases"][name] = {"about": about, **entry}
    results["skipped"] = [n for n in names if n not in results["databases"]]
    results["environment"]["load_average_1m"]["end"] = os.getloadavg()[0]
    return results


def _peer_label(peer: str, versions: dict[str, dict[str, str]]) -> str:
    found = versions.get(peer, {})
    return f"{peer} {found.get(peer) or found.get('postgres-meta', '?')}"


def render(results: dict[str, Any], *, markdown: bool = False) -> str:
    """Per database: each peer's median and ours' paired ratios; then the targets."""
    heading = "### " if markdown else ""
    env = results["environment"]
    parts = [
        f"{heading}sync-schema {env['sync_schema']} against its peers "
        f"(medians of {results['runs']} alternating triples per peer, one process per run)",
        "",
    ]
    rows, targets = [], []
    for name, entry in results["databases"].items():
        for peer, found in entry["peers"].items():
            mark = " (fastest)" if peer == entry["fastest"] else ""
            rows.append(
                [
                    name,
                    _peer_label(peer, env["peers"]) + mark,
                    ms(found["peer"]["median_s"]),
                    ms(found["generate"]["median_s"]),
                    f"{found['generate_ratio']:.2f}x",
                    ms(found["check"]["median_s"]),
                    f"{found['check_ratio']:.2f}x",
                ]
            )
        for command, target in entry["targets"].items():
            targets.append(
                [
                    name,
                    command,
                    f"{target['ratio']:.2f}x",
                    f"<= {target['limit']}x",
                    verdict(target["ok"]).strip(),
                ]
            )
    headers = ["database", "peer", "its median", "generate", "gen/peer", "check", "check/peer"]
    parts += [table(headers, rows, markdown=markdown), ""]
    parts += [
        "Targets, against the fastest peer on each database:",
        "",
        table(["database", "ours", "ratio", "target", ""], targets, markdown=markdown),
        "",
    ]
    abouts = "; ".join(f"{n}: {e['about']}" for n, e in results["databases"].items())
    load = env.get("load_average_1m", {})
    about = (
        f"{abouts}. Python {env['python']}, PostgreSQL {env.get('postgres_major')}, "
        f"node {env['peers']['postgres-meta'].get('node')}, {env['cpus']} CPUs, 1-minute load "
        f"{load.get('start', 0):.1f} at the start and {load.get('end', 0):.1f} at the end."
    )
    if results.get("skipped"):
        about += f" Skipped: {', '.join(results['skipped'])}."
    parts.append(("_" + about + "_") if markdown else about)
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tests.benchmarks.peers`."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.peers", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="triples per peer (default 5)")
    parser.add_argument(
        "--databases",
        default=",".join(compare_supabase.DATABASES),
        help=f"comma-separated subset of {','.join(compare_supabase.DATABASES)}",
    )
    parser.add_argument(
        "--postgres-meta-version",
        default="latest",
        help="@supabase/postgres-meta version (default: the newest on npm)",
    )
    add_output_arguments(parser, REPO / "bench-peers.json")
    args = parser.parse_args(argv)
    results = load_results(args)
    if results is None:
        names = [n.strip() for n in args.databases.split(",") if n.strip()]
        unknown = [n for n in names if n not in compare_supabase.DATABASES]
        if unknown or not names:
            parser.error(f"unknown databases: {', '.join(unknown) or '(none)'}")
        if args.runs < 1:
            parser.error("--runs must be >= 1")
        try:
            results = measure(names, args.runs, args.seed, args.postgres_meta_version)
        except (BenchError, subprocess.CalledProcessError) as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
    return finish(args, results, render)


if __name__ == "__main__":
    sys.exit(main())
