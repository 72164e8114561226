"""The one PNG chart of the benchmark results (needs matplotlib, from the ``bench`` extra)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from benchmarks._common import BenchResult, Figure

__all__ = ["draw"]

SDK = "#264653"
OTHER = "#8d99ae"
PASS = "#2a9d8f"
FAIL = "#e76f51"
TARGET = "#e9c46a"


def _status(figure: Figure) -> str:
    return {True: "pass", False: "MISSED", None: ""}[figure.passed]


def _headline(figure: Figure) -> str:
    target = f" (target {figure.target})" if figure.target else ""
    return f"{figure.formatted()}{target} {_status(figure)}".strip()


def _color(figure: Figure) -> str:
    return PASS if figure.passed else FAIL


def _by_key(result: BenchResult) -> dict[str, Figure]:
    return {figure.key: figure for figure in result.figures}


def _label_bars(axes: Axes, bars: Any, fmt: str) -> None:
    for bar in bars:
        axes.annotate(
            fmt.format(bar.get_height()),
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )


def _overhead(axes: Axes, result: BenchResult) -> None:
    d, f = result.details, _by_key(result)["overhead_ratio"]
    names = ["raw httpx\n+ json.loads", "amili-async\ncases.get (typed)"]
    values = [d["raw_us_per_call"], d["sdk_us_per_call"]]
    colors = [OTHER, _color(f)]
    if "openai_us_per_call" in d:
        names.append(f"openai-python\n{d['openai_version']} (typed)")
        values.append(d["openai_us_per_call"])
        colors.append(OTHER)
    bars = axes.bar(names, values, color=colors)
    _label_bars(axes, bars, "{:.0f} µs")
    target = d["raw_us_per_call"] * f.target.limit if f.target else None
    if target is not None:
        axes.axhline(target, color=TARGET, linestyle="--", label=f"target {f.target}")
        axes.legend(fontsize=8, loc="upper left")
    axes.set_ylabel("µs per call (in-memory transport)")
    peers = "".join(f"\n{peer.formatted()}" for peer in f.peers)
    axes.set_title(f"1. Client overhead: {_headline(f)}{peers}", fontsize=9)


def _bulk(axes: Axes, result: BenchResult) -> None:
    d, figures = result.details, _by_key(result)
    cpu, speedup = figures["cpu_ms_per_registration"], figures["bulk_speedup_vs_sequential"]
    on_aiohttp = figures.get("cpu_ms_per_registration_aiohttp")
    names = list(d["client_cpu_ms_per_request"])
    values = [d["client_cpu_ms_per_request"][name] for name in names]
    # The SDK's bars (default backend first, then aiohttp) by their targets; peers grey.
    ours = {names[0]: cpu} | ({names[1]: on_aiohttp} if on_aiohttp is not None else {})
    colors = [_color(ours[name]) if name in ours else OTHER for name in names]
    bars = axes.bar([name.replace(" ", "\n", 1) for name in names], values, color=colors)
    _label_bars(axes, bars, "{:.2f} ms")
    for bar, name in zip(bars, names, strict=True):
        axes.annotate(
            f"{d['wall_s'][name]:.2f} s wall",
            (bar.get_x() + bar.get_width() / 2, 0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
            color="white",
        )
    if cpu.target is not None:
        axes.axhline(cpu.target.bound, color=TARGET, linestyle="--", label=f"target {cpu.target}")
    if on_aiohttp is not None and on_aiohttp.target is not None:
        axes.axhline(
            on_aiohttp.target.bound,
            color=TARGET,
            linestyle=":",
            label=f"on aiohttp: target {on_aiohttp.target}",
        )
    axes.legend(fontsize=7, loc="upper left")
    axes.set_ylim(0, max(values) * 1.3)
    axes.tick_params(axis="x", labelsize=7)
    axes.set_ylabel(
        f"client CPU ms per registration ({d['items']:,}, concurrency {d['concurrency']})"
    )
    axes.set_title(
        f"2. Bulk, {d['latency_ms']:.0f} ms latency: CPU {_headline(cpu)}\n"
        + (f"on aiohttp {_headline(on_aiohttp)}\n" if on_aiohttp is not None else "")
        + f"vs sequential {_headline(speedup)}",
        fontsize=9,
    )


def _memory(axes: Axes, result: BenchResult) -> None:
    d, figures = result.details, _by_key(result)
    small, large = d["small"], d["large"]
    growth = figures["rss_mb_growth"]
    bars = axes.bar(
        [f"{small['items']:,} items", f"{large['items']:,} items"],
        [small["peak_rss_mb"], large["peak_rss_mb"]],
        color=[_color(figures["rss_mb_small"]), _color(figures["rss_mb_large"])],
    )
    _label_bars(axes, bars, "{:.1f} MB")
    limit = figures["rss_mb_large"].target
    if limit is not None:
        axes.axhline(limit.limit, color=TARGET, linestyle="--", label=f"target {limit}")
        axes.legend(fontsize=8, loc="upper left")
    axes.set_ylim(0, (limit.limit if limit else large["peak_rss_mb"]) * 1.15)
    axes.set_ylabel("peak RSS of the process (MB)")
    axes.set_title(f"3. Memory (streamed create_many)\ngrowth {_headline(growth)}", fontsize=9)


def _ratelimit(axes: Axes, result: BenchResult) -> None:
    d, figures = result.details, _by_key(result)
    error, window = figures["rate_error_pct"], figures["rate_busiest_1s_window"]
    bars = axes.bar(
        ["achieved rate\n(requests/s)", "busiest sliding\n1 s window"],
        [d["achieved_rate"], d["busiest_1s_window"]],
        color=[_color(error), _color(window)],
    )
    _label_bars(axes, bars, "{:.1f}")
    rate, limit = d["configured_rate"], d["window_limit"]
    axes.hlines(rate, -0.4, 0.4, colors=TARGET, linestyles="--", label=f"configured {rate:g}/s")
    axes.hlines(limit, 0.6, 1.4, colors="grey", linestyles=":", label=f"rate + burst = {limit:g}")
    axes.legend(fontsize=8, loc="lower right")
    axes.set_title(
        f"4. Rate limiter, {d['duration_s']:.0f} s: error {_headline(error)}\n"
        f"busiest window {_headline(window)}",
        fontsize=9,
    )


def _refresh(axes: Axes, result: BenchResult) -> None:
    d, figures = result.details, _by_key(result)
    labels = ["p50", "p99"]
    warm = [d["warm_p50_ms"], d["warm_p99_ms"]]
    herd = [d["herd_p50_ms"], d["herd_p99_ms"]]
    positions = range(len(labels))
    width = 0.38
    warm_bars = axes.bar(
        [p - width / 2 for p in positions], warm, width, color=OTHER, label="warm token"
    )
    herd_bars = axes.bar(
        [p + width / 2 for p in positions],
        herd,
        width,
        color=_color(figures["refresh_calls"]),
        label="token just expired",
    )
    _label_bars(axes, warm_bars, "{:.0f}")
    _label_bars(axes, herd_bars, "{:.0f}")
    axes.set_xticks(list(positions), labels)
    axes.set_ylabel(f"ms until each of {d['concurrency']:,} requests returned")
    axes.legend(fontsize=8, loc="upper left")
    axes.set_title(
        f"5. Refresh herd: token fetches {_headline(figures['refresh_calls'])}\n"
        f"added p50 {d['added_p50_ms']:.1f} ms, p99 {d['added_p99_ms']:.1f} ms "
        f"(fetch takes {d['token_fetch_latency_ms']:.0f} ms)",
        fontsize=9,
    )


def _summary(axes: Axes, results: Sequence[BenchResult], machine: dict[str, Any]) -> None:
    axes.axis("off")
    lines = [
        f"{machine['cpu_count']} CPUs, Python {machine['python']}",
        f"{machine['platform']}",
        "httpx {httpx}, anyio {anyio}, cattrs {cattrs}".format(**machine["versions"]),
        "",
    ]
    for result in results:
        for figure in result.figures:
            if figure.target is not None:
                lines.append(f"{_status(figure):>6}  {figure.key} = {figure.formatted()}")
    axes.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=8)
    axes.set_title("Machine and targets", fontsize=9)


_PANELS: dict[str, Callable[[Axes, BenchResult], None]] = {
    "overhead": _overhead,
    "bulk": _bulk,
    "memory": _memory,
    "ratelimit": _ratelimit,
    "refresh": _refresh,
}


def draw(results: Sequence[BenchResult], machine: dict[str, Any], path: Path) -> None:
    """Draw a panel per benchmark in ``results`` and a summary panel into ``path``."""
    panels = [result for result in results if result.name in _PANELS]
    count = len(panels) + 1
    columns = 3 if count > 2 else count
    rows = -(-count // columns)
    figure, grid = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.4 * rows), squeeze=False)
    cells = [axes for row in grid for axes in row]
    for axes, result in zip(cells, panels, strict=False):
        _PANELS[result.name](axes, result)
    _summary(cells[len(panels)], results, machine)
    for axes in cells[len(panels) + 1 :]:
        axes.axis("off")
    figure.suptitle("amili-async benchmarks", fontsize=12)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
