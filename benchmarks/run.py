"""Run the amili-async benchmarks, print the table, write ``results.json`` and ``results.png``.

    python benchmarks/run.py            # all five, full sizes
    python benchmarks/run.py --quick    # same measurements, reduced sizes (< 30 s)
    python benchmarks/run.py --only overhead refresh

Every target compares numbers taken within one run (a ratio, a count, or the
SDK's client CPU time against a peer's, measured alternately against the same
server), so that the drift of a noisy machine mostly cancels out; each figure
is reported with the machine's CPU count and Python version, next to its
target, whether it was met, and the peers' values for the same figure. A
missed target is reported as missed: the benchmarks are not tuned to their
targets. The total at the end gives wall time and CPU time (this process and
the servers it started): on a shared machine the wall time says little.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import (
    bench_bulk,
    bench_memory,
    bench_overhead,
    bench_ratelimit,
    bench_refresh,
)
from benchmarks._common import BENCH_DIR, BenchResult, Figure, machine_info

__all__ = [
    "BENCHMARKS",
    "machine_info",
    "main",
    "render_markdown",
    "render_table",
    "results_json",
    "run_benchmarks",
    "write_chart",
    "write_json",
]

#: The benchmarks in the order they run: name -> ``run(size)``.
BENCHMARKS: dict[str, Callable[[str], BenchResult]] = {
    "overhead": bench_overhead.run,
    "bulk": bench_bulk.run,
    "memory": bench_memory.run,
    "ratelimit": bench_ratelimit.run,
    "refresh": bench_refresh.run,
}


def run_benchmarks(
    names: Sequence[str] | None = None,
    size: str = "full",
    *,
    log: Callable[[str], object] | None = None,
) -> list[BenchResult]:
    """Run the named benchmarks (all by default) at ``size``: ``full``, ``quick`` or ``smoke``."""
    results = []
    for name in names or list(BENCHMARKS):
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r}; one of: {', '.join(BENCHMARKS)}")
        if log is not None:
            log(f"running {name} ({size}) ...")
        result = BENCHMARKS[name](size)
        if log is not None:
            log(f"  {name} done in {result.seconds:.1f} s")
        results.append(result)
    return results


def _figures(results: Sequence[BenchResult]) -> list[Figure]:
    return [figure for result in results for figure in result.figures]


def _verdict(figure: Figure) -> str:
    return {True: "pass", False: "FAIL", None: "-"}[figure.passed]


def _peers(figure: Figure) -> str:
    return "; ".join(peer.formatted() for peer in figure.peers) or "-"


def render_table(results: Sequence[BenchResult], machine: dict[str, Any], size: str) -> str:
    """The results as a plain-text table, headed by the machine they were taken on.

    Each row: the figure, its value, its target, pass/FAIL, the peers' values
    for the same figure, and the details (in a last column that is not padded).
    """
    header = ("Figure", "Value", "Target", "Result", "Peers", "Details")
    rows = [
        (f.label, f.formatted(), str(f.target or "-"), _verdict(f), _peers(f), f.note)
        for f in _figures(results)
    ]
    padded = len(header) - 1
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(padded)]

    def line(row: Sequence[str]) -> str:
        cells = [row[i].ljust(widths[i]) for i in range(padded)]
        return "  ".join([*cells, row[padded]]).rstrip()

    title = (
        f"amili-async benchmarks ({size}) - {machine['cpu_count']} CPUs, "
        f"Python {machine['python']} ({machine['python_implementation']}), {machine['platform']}"
    )
    rule = "-" * max(len(title), len(line(header)))
    return "\n".join([title, rule, line(header), rule, *[line(row) for row in rows], rule])


def render_markdown(results: Sequence[BenchResult], machine: dict[str, Any]) -> str:
    """The results as a Markdown table (for the README)."""
    lines = [
        f"{machine['cpu_count']} CPUs, Python {machine['python']}, {machine['platform']}",
        "",
        "| Figure | Value | Target | Result | Peers | Details |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in _figures(results):
        target = str(f.target) if f.target else "-"
        lines.append(
            f"| {f.label} | {f.formatted()} | {target} | {_verdict(f)} | {_peers(f)} | {f.note} |"
        )
    return "\n".join(lines)


def results_json(
    results: Sequence[BenchResult], machine: dict[str, Any], size: str
) -> dict[str, Any]:
    """Flat figures and peers (``overhead_ratio``, ...), machine, targets, pass/fail, details."""
    figures = _figures(results)
    data: dict[str, Any] = {}
    for figure in figures:
        data[figure.key] = figure.value
        data.update({peer.key: peer.value for peer in figure.peers})
    data.update(
        {
            "cpu_count": machine["cpu_count"],
            "python": machine["python"],
            "mode": size,
            "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "machine": machine,
            "targets": {f.key: str(f.target) for f in figures if f.target is not None},
            "pass": {f.key: f.passed for f in figures if f.target is not None},
            "all_passed": all(f.passed for f in figures if f.target is not None),
            "figures": [
                {
                    "key": f.key,
                    "label": f.label,
                    "value": f.value,
                    "unit": f.unit.strip(),
                    "target": str(f.target) if f.target else None,
                    "passed": f.passed,
                    "note": f.note,
                    "peers": [
                        {"key": p.key, "label": p.label, "value": p.value, "unit": p.unit.strip()}
                        for p in f.peers
                    ],
                }
                for f in figures
            ],
            "seconds": {result.name: round(result.seconds, 2) for result in results},
            "details": {result.name: result.details for result in results},
        }
    )
    return data


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (servers, memory runs)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` as indented JSON."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")


def write_chart(results: Sequence[BenchResult], machine: dict[str, Any], path: Path) -> bool:
    """Draw one PNG with a panel per benchmark; ``False`` when matplotlib is missing."""
    try:
        from benchmarks import _chart
    except ImportError:
        return False
    _chart.draw(results, machine, path)
    return True


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description="Measure amili-async against raw httpx, requests and its own targets.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="same measurements at reduced sizes (< 30 s)"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME", help="run only these"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=BENCH_DIR,
        help="where results.json and results.png go (default: %(default)s)",
    )
    parser.add_argument("--no-chart", action="store_true", help="do not draw results.png")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the SDK side of the overhead benchmark and print the report, then exit",
    )
    args = parser.parse_args(argv)
    if args.profile:
        print(bench_overhead.profile())
        return 0
    size = "quick" if args.quick else "full"
    machine = machine_info()
    started, cpu = time.perf_counter(), _cpu_seconds()
    results = run_benchmarks(args.only, size, log=lambda text: print(text, file=sys.stderr))
    elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    print(render_table(results, machine, size))
    print(f"total {elapsed:.1f} s wall, {cpu:.1f} s CPU (this process and its children)")
    if args.markdown:
        print()
        print(render_markdown(results, machine))
    args.out.mkdir(parents=True, exist_ok=True)
    data = results_json(results, machine, size)
    data["total_seconds"] = round(elapsed, 1)
    data["total_cpu_seconds"] = round(cpu, 1)
    write_json(data, args.out / "results.json")
    print(f"wrote {args.out / 'results.json'}")
    if not args.no_chart:
        if write_chart(results, machine, args.out / "results.png"):
            print(f"wrote {args.out / 'results.png'}")
        else:
            print("matplotlib is not installed (pip install -e '.[bench]'): no chart drawn")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
