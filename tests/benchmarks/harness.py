"""Shared pieces of the benchmarks: timing a child process, summaries, plain and Markdown tables."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class BenchError(RuntimeError):
    """A measured command failed: the numbers would be meaningless."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One child process: wall time, peak RSS, exit code."""

    seconds: float
    max_rss_kib: int
    returncode: int


def run_child(
    argv: Sequence[str],
    *,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
    stdout: Path | None = None,
) -> Sample:
    """Run argv as a separate process; time it and read its peak RSS from os.wait4.

    ru_maxrss from wait4 is the child's own peak, or that of its largest waited-for descendant
    (e.g. the ruff it runs) if that is bigger: the largest single process, not the tree's sum.
    The child's stdout goes to the file `stdout` when given, else it is discarded.
    """
    with contextlib.ExitStack() as stack:
        err = stack.enter_context(tempfile.TemporaryFile())
        out = subprocess.DEVNULL if stdout is None else stack.enter_context(stdout.open("wb"))
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: keep Popen from waiting again
        if proc.returncode not in ok:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip()[-2000:]
            raise BenchError(f"{' '.join(argv[:4])} ... exited {proc.returncode}:\n{tail}")
    return Sample(seconds, usage.ru_maxrss, proc.returncode)


def summary(samples: Sequence[Sample]) -> dict[str, float | list[float]]:
    """min/median/max seconds and peak RSS (MiB) over the runs, plus the raw times."""
    times = [s.seconds for s in samples]
    return {
        "min_s": min(times),
        "median_s": statistics.median(times),
        "max_s": max(times),
        "peak_rss_mib": max(s.max_rss_kib for s in samples) / 1024,
        "runs_s": times,
    }


def environment() -> dict[str, str | int | None]:
    """Facts about the machine that explain the numbers."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "git_commit": commit or None,
    }


def ms(seconds: float) -> str:
    """Milliseconds, for table cells."""
    return f"{seconds * 1000:.0f} ms"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, markdown: bool = False) -> str:
    """A plain-text table (aligned columns) or a Markdown one; numbers right-aligned."""

    def numeric(cell: str) -> bool:
        return bool(cell) and (cell[0].isdigit() or cell[0] in "-+.") and cell != "-"

    right = [all(numeric(r[i]) for r in rows if r[i]) and bool(rows) for i in range(len(headers))]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("| " + " | ".join("---:" if r else "---" for r in right) + " |")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)])


def verdict(ok: bool | None) -> str:
    """PASS / FAIL / n/a."""
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def add_output_arguments(parser: argparse.ArgumentParser, default_json: Path) -> None:
    """The options both benchmark commands share: seed, results file, Markdown, replay."""
    parser.add_argument("--seed", type=int, default=0, help="schema generator seed (default 0)")
    parser.add_argument("--json", type=Path, default=default_json, help="where to write results")
    parser.add_argument(
        "--markdown", action="store_true", help="also print the tables as Markdown (for README)"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="print the tables of an earlier results file; measure nothing",
    )


def load_results(args: argparse.Namespace) -> dict[str, Any] | None:
    """The results of an earlier run when --from-json is given."""
    if args.from_json is None:
        return None
    results: dict[str, Any] = json.loads(args.from_json.read_text(encoding="utf-8"))
    return results


def finish(
    args: argparse.Namespace,
    results: dict[str, Any],
    render: Callable[..., str],
) -> int:
    """Write fresh results to --json and print the tables (plain, then Markdown if asked)."""
    if args.from_json is None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    if args.markdown:
        print("\n--- Markdown (README 'Performance') ---\n")
        print(render(results, markdown=True))
    if args.from_json is None:
        print(f"\nresults written to {args.json}")
    return 0
