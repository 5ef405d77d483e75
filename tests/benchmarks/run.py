"""`make bench`: time `generate` and `check` on big synthetic schemas; check the performance targets.

    python -m tests.benchmarks.run [--sizes big10,big1000,big5000] [--runs 5]
                                   [--json bench-results.json] [--markdown] [--from-json FILE]

One throwaway PostgreSQL server; each preset (see bigschema.PRESETS) is loaded into its own
database. Per preset:

* `generate` (cold: a fresh, empty output dir each run) and `check` (in sync, against a tree
  generated just before) each run as a separate process, `--runs` times: min/median/max wall time
  and the child's peak RSS (ru_maxrss from os.wait4);
* once, in-process: catalog query count and time, and the time per pipeline stage;
* last, the impact scan: an application of 200 modules on the generated package
  (bigschema.make_app), then a migration that breaks some of its names (bigschema.drift_sql);
  `check` and `check --impact` on that drift as processes, and in-process the scan's own time
  (generated names of both schemas, targets, scan), best of 3.

One unmeasured `generate` per preset comes first: it writes the tree `check` compares against and
warms the OS caches. Exit status 0 whatever the numbers (it is a measurement, not a test); 2 when
a measured command fails.
"""

from __future__ import annotations

import argparse
import atexit
import functools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sync_schema import __version__, impact
from sync_schema.config import Overrides, load_settings
from sync_schema.drift import SchemaSync
from sync_schema.embedded.server import TempServer
from sync_schema.guard import live_changes
from sync_schema.model.plan import plan_tree
from sync_schema.options import Options
from sync_schema.pipeline import Run, Stats, build_files, load_database
from sync_schema.tree_store import read_snapshot_file, write_tree
from tests.benchmarks import bigschema
from tests.benchmarks.harness import (
    REPO,
    BenchError,
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

DEFAULT_SIZES = ("big10", "big1000", "big5000")
TARGET_SIZE = "big1000"
BIG_SIZE = "big5000"
CHECK_MEDIAN_MAX_S = 1.0
GENERATE_MEDIAN_MAX_S = 1.5
PEAK_RSS_MAX_MIB = 150.0
GUARD_MAX_S = 0.3  # assert_schema_matches in a running application
SCALING_MAX = 5.0  # big5000 has 5x the tables of big1000: linear or better
IMPACT_MAX_S = 0.5  # the static scan of a 200-module app, on top of check


@functools.cache
def neutral_dir() -> Path:
    """An empty folder to run in: no pyproject.toml applies, so the default options are timed.

    (This repository's own [tool.sync-schema] turns the typed client on.)
    """
    folder = Path(tempfile.mkdtemp(prefix="sync-schema-bench-cwd-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def child_env() -> dict[str, str]:
    """The environment of the measured commands: no ambient database or project selection."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SUPABASE_PROJECT_ID", "SOURCE_DATE_EPOCH")
    }
    env["NO_COLOR"] = "1"
    return env


def in_process(dsn: str) -> dict[str, Any]:
    """One generate in this process: catalog queries and the time of each stage."""
    with tempfile.TemporaryDirectory(prefix="sync-schema-bench-") as tmp:
        settings = load_settings(Overrides(db_url=dsn, out=Path(tmp) / "pkg"), cwd=neutral_dir())
        stats = Stats()
        start = time.perf_counter()
        db = load_database(settings, stats)
        files = build_files(Run.of(settings, db), stats)
        with stats.stage("write"):
            write_tree(settings.out, files)
        total = time.perf_counter() - start
        # The startup guard, as an application calls it: best of 3, the package just written.
        guard_runs = []
        for _ in range(3):
            guard_start = time.perf_counter()
            drift = live_changes(dsn, settings.out)
            guard_runs.append(time.perf_counter() - guard_start)
            if drift is not None:
                raise BenchError(f"the guard saw drift right after generate: {drift}")
    return {
        "queries": stats.queries,
        "reader": stats.reader,
        "query_s": stats.query_seconds,
        "stages_s": dict(stats.stages),
        "total_s": total,
        "guard_s": min(guard_runs),
        "relations": len(db.tables),
        "enums": len(db.enums),
        "files": len(files),
        "generated_bytes": sum(len(t.encode("utf-8")) for t in files.values()),
    }


def measure_cli(dsn: str, runs: int) -> dict[str, Any]:
    """generate (cold) and check (in sync) as separate processes, `runs` times each."""
    base = [sys.executable, "-m", "sync_schema"]
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="sync-schema-bench-") as tmp:
        ref = Path(tmp) / "ref"
        run_child(
            [*base, "generate", "--db-url", dsn, "--out", str(ref)], cwd=neutral_dir(), env=env
        )
        generate = []
        for _ in range(runs):
            out = Path(tempfile.mkdtemp(prefix="gen-", dir=tmp))
            generate.append(
                run_child(
                    [*base, "generate", "--db-url", dsn, "--out", str(out)],
                    cwd=neutral_dir(),
                    env=env,
                )
            )
            shutil.rmtree(out)
        check = [
            run_child(
                [*base, "check", "--db-url", dsn, "--out", str(ref)], cwd=neutral_dir(), env=env
            )
            for _ in range(runs)
        ]
        # --full skips the recorded-hash shortcut: the cost of a check that must regenerate.
        check_full = [
            run_child(
                [*base, "check", "--full", "--db-url", dsn, "--out", str(ref)],
                cwd=neutral_dir(),
                env=env,
            )
            for _ in range(runs)
        ]
    return {
        "generate": summary(generate),
        "check": summary(check),
        "check_full": summary(check_full),
    }


def measure_impact(server: TempServer, size: str, dsn: str, runs: int, seed: int) -> dict[str, Any]:
    """The scan of a 200-module app after a breaking migration (which alters the database)."""
    base = [sys.executable, "-m", "sync_schema"]
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="sync-schema-bench-") as tmp:
        ref = Path(tmp) / "schemas"  # the app imports the package by this name
        run_child(
            [*base, "generate", "--db-url", dsn, "--out", str(ref)], cwd=neutral_dir(), env=env
        )
        previous = read_snapshot_file(ref)
        assert previous is not None
        committed = previous.database
        app = Path(tmp) / "app"
        for rel, text in bigschema.make_app(
            committed, impact.generated_names(plan_tree(committed, Options()))
        ).items():
            (Path(tmp) / rel).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / rel).write_text(text, encoding="utf-8")
        server.psql(bigschema.drift_sql(committed, seed), size)
        args = ["--db-url", dsn, "--out", str(ref)]
        check = [
            run_child([*base, "check", *args], cwd=neutral_dir(), env=env, ok=(1,))
            for _ in range(runs)
        ]
        check_impact = [
            run_child(
                [*base, "check", "--impact", "--app-dir", str(app), *args],
                cwd=neutral_dir(),
                env=env,
                ok=(1,),
            )
            for _ in range(runs)
        ]
        settings = load_settings(Overrides(db_url=dsn, out=ref), cwd=neutral_dir())
        live = load_database(settings)
        changes = SchemaSync(committed, live).compare_schemas()
        scans = []
        for _ in range(3):
            start = time.perf_counter()
            # Both plans, as a check with --impact makes them: the names are decided there.
            run = Run.of(settings, live, previous)
            committed_plan = run.committed_plan()
            assert committed_plan is not None
            old = impact.generated_names(committed_plan)
            new = impact.generated_names(run.plan)
            targets = impact.targets_for(changes, old, new)
            named = time.perf_counter()
            found = impact.scan([app], targets, exclude=[ref])
            scans.append((time.perf_counter() - start, named - start, found))
        total_s, names_s, found = min(scans, key=lambda x: x[0])
    return {
        "check_drift": summary(check),
        "check_impact": summary(check_impact),
        "impact": {
            "app_files": found.files,
            "parsed": found.parsed,
            "changes": len(changes),
            "targets": len(targets),
            "hits": len(found.hits),
            "call_sites": len({(h.path, h.line) for h in found.hits}),
            "names_s": names_s,
            "scan_s": total_s - names_s,
            "total_s": total_s,
        },
    }


def measure(sizes: list[str], runs: int, seed: int) -> dict[str, Any]:
    """Start one server, load every preset, measure each; the JSON document."""
    results: dict[str, Any] = {
        "environment": {**environment(), "sync_schema": __version__},
        "runs": runs,
        "seed": seed,
        "sizes": {},
    }
    with TempServer() as server:
        results["environment"]["postgres_major"] = server.major_version
        for size in sizes:
            tables, columns, enums = bigschema.PRESETS[size]
            sql = bigschema.preset_sql(size, seed)
            print(f"[{size}] loading {tables} tables ...", file=sys.stderr, flush=True)
            start = time.perf_counter()
            dsn = bigschema.load(server, size, sql)
            load_s = time.perf_counter() - start
            print(f"[{size}] loaded in {load_s:.1f} s; measuring", file=sys.stderr, flush=True)
            entry: dict[str, Any] = {
                "tables": tables,
                "columns": columns,
                "enums": enums,
                "sql_bytes": len(sql.encode("utf-8")),
                "load_s": load_s,
                "in_process": in_process(dsn),
            }
            entry.update(measure_cli(dsn, runs))
            print(f"[{size}] impact scan (alters the database)", file=sys.stderr, flush=True)
            entry.update(measure_impact(server, size, dsn, runs, seed))
            results["sizes"][size] = entry
    results["targets"] = targets(results)
    return results


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each performance target with its measured value and whether it holds (None: not measured)."""
    sizes = results["sizes"]
    target = sizes.get(TARGET_SIZE)
    big = sizes.get(BIG_SIZE)
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, limit: str, ok: bool | None, shown: str) -> None:
        out.append({"target": name, "value": value, "limit": limit, "ok": ok, "shown": shown})

    def at_most(name: str, value: float | None, limit: float, limit_text: str, fmt: str) -> None:
        ok = None if value is None else value <= limit
        add(name, value, limit_text, ok, "-" if value is None else fmt.format(value))

    for command, limit in (("check", CHECK_MEDIAN_MAX_S), ("generate", GENERATE_MEDIAN_MAX_S)):
        value = target[command]["median_s"] if target else None
        at_most(f"{command} median on {TARGET_SIZE}", value, limit, f"<= {limit:.1f} s", "{:.3f} s")
    commands = ("generate", "check", "check_full")
    rss = max(target[c]["peak_rss_mib"] for c in commands if c in target) if target else None
    at_most(
        f"peak RSS on {TARGET_SIZE} (generate, check, check --full)",
        rss,
        PEAK_RSS_MAX_MIB,
        f"<= {PEAK_RSS_MAX_MIB:.0f} MiB",
        "{:.1f} MiB",
    )
    guard = target["in_process"].get("guard_s") if target else None
    at_most(
        f"startup guard on {TARGET_SIZE} (in process)",
        guard,
        GUARD_MAX_S,
        f"<= {GUARD_MAX_S:.1f} s",
        "{:.3f} s",
    )
    # Small catalogs are read by the standard-library client (2 statements), big ones by
    # psycopg (7 queries): each reader's count must not grow with the size.
    counts = {
        size: (entry["in_process"]["reader"], entry["in_process"]["queries"])
        for size, entry in sizes.items()
    }
    by_reader: dict[str, set[int]] = {}
    for reader, count in counts.values():
        by_reader.setdefault(reader, set()).add(count)
    constant = all(len(c) == 1 for c in by_reader.values()) if len(counts) >= 2 else None
    add(
        "catalog queries constant across sizes, per reader",
        None,
        "equal",
        constant,
        ", ".join(f"{s}: {n} ({r})" for s, (r, n) in counts.items()),
    )
    scan = target.get("impact") if target else None
    at_most(
        f"impact scan on {TARGET_SIZE}, 200-module app (in process, on top of check)",
        scan["total_s"] if scan else None,
        IMPACT_MAX_S,
        f"<= {IMPACT_MAX_S:.1f} s",
        "{:.3f} s",
    )
    for command in ("generate", "check"):
        ratio = big[command]["median_s"] / target[command]["median_s"] if big and target else None
        at_most(
            f"{command}: {BIG_SIZE} / {TARGET_SIZE} median",
            ratio,
            SCALING_MAX,
            f"<= {SCALING_MAX:.0f}x (linear)",
            "{:.2f}x",
        )
    return out


def render(results: dict[str, Any], *, markdown: bool = False) -> str:
    """The three tables: CLI timings, in-process breakdown, targets."""
    sizes = results["sizes"]
    runs = results["runs"]
    cli_rows = []
    labels = {
        "generate": "generate",
        "check": "check",
        "check_full": "check --full",
        "check_drift": "check (drift)",
        "check_impact": "check --impact (drift)",
    }
    for size, entry in sizes.items():
        for command, label in labels.items():
            if command not in entry:
                continue
            s = entry[command]
            cli_rows.append(
                [
                    size,
                    str(entry["tables"]),
                    label,
                    ms(s["min_s"]),
                    ms(s["median_s"]),
                    ms(s["max_s"]),
                    f"{s['peak_rss_mib']:.1f} MiB",
                ]
            )
    stage_names: list[str] = []
    for entry in sizes.values():
        for name in entry["in_process"]["stages_s"]:
            if name not in stage_names:
                stage_names.append(name)
    stage_rows = []
    for size, entry in sizes.items():
        ip = entry["in_process"]
        stage_rows.append(
            [
                size,
                str(ip["queries"]),
                ms(ip["query_s"]),
                *(ms(ip["stages_s"][n]) if n in ip["stages_s"] else "-" for n in stage_names),
                ms(ip["total_s"] - sum(ip["stages_s"].values())),
                ms(ip["total_s"]),
                str(ip["files"]),
                f"{ip['generated_bytes'] / 1024:.0f} KiB",
            ]
        )
    impact_rows = [
        [
            size,
            str(i["app_files"]),
            str(i["parsed"]),
            str(i["changes"]),
            str(i["targets"]),
            str(i["call_sites"]),
            ms(i["names_s"]),
            ms(i["scan_s"]),
            ms(i["total_s"]),
        ]
        for size, entry in sizes.items()
        if (i := entry.get("impact"))
    ]
    target_rows = [
        [t["target"], t["shown"], t["limit"], verdict(t["ok"]).strip()] for t in results["targets"]
    ]
    env = results["environment"]
    heading = "### " if markdown else ""
    about = (
        f"sync-schema {env.get('sync_schema')} ({env.get('git_commit')}), Python {env['python']}, "
        f"PostgreSQL {env.get('postgres_major')}, {env['cpus']} CPUs, {env['platform']}"
    )
    parts = [
        f"{heading}CLI, one process per run ({runs} runs; generate cold, check in sync)",
        "",
        "check trusts the file hashes schema.json records; check --full regenerates in memory;",
        "check (drift) and check --impact run after bigschema.drift_sql, --impact scanning the",
        "200-module app of bigschema.make_app.",
        "",
        table(
            ["schema", "tables", "command", "min", "median", "max", "peak RSS"],
            cli_rows,
            markdown=markdown,
        ),
        "",
        f"{heading}In-process, one generate: catalog queries and time per stage",
        "",
        table(
            ["schema", "queries", "query time", *stage_names, "other", "total", "files", "output"],
            stage_rows,
            markdown=markdown,
        ),
        "",
        f"{heading}Impact scan, in process (best of 3): a 200-module app after a breaking migration",
        "",
        table(
            [
                "schema",
                "files",
                "parsed",
                "changes",
                "targets",
                "lines hit",
                "names",
                "scan",
                "total",
            ],
            impact_rows,
            markdown=markdown,
        ),
        "",
        f"{heading}Targets",
        "",
        table(["target", "measured", "limit", "result"], target_rows, markdown=markdown),
        "",
        ("_" + about + "_") if markdown else about,
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tests.benchmarks.run`."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__)
    parser.add_argument(
        "--sizes",
        default=",".join(DEFAULT_SIZES),
        help=f"comma-separated presets ({', '.join(bigschema.PRESETS)})",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    add_output_arguments(parser, REPO / "bench-results.json")
    args = parser.parse_args(argv)

    results = load_results(args)
    if results is None:
        sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
        unknown = [s for s in sizes if s not in bigschema.PRESETS]
        if unknown or not sizes or args.runs < 1:
            parser.error(
                f"--sizes takes {', '.join(bigschema.PRESETS)} and --runs >= 1"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        try:
            results = measure(sizes, args.runs, args.seed)
        except BenchError as exc:
            print(f"benchmark failed: {exc}", file=sys.stderr)
            return 2
    return finish(args, results, render)


if __name__ == "__main__":
    sys.exit(main())
