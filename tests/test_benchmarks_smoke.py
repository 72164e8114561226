"""The benchmarks still run: each at a minuscule size, through run.py's machinery.

No performance target is asserted here; ``python benchmarks/run.py`` measures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402
from benchmarks._common import BenchResult, Figure, Peer, Target  # noqa: E402


def test_overhead_and_refresh_run_and_report(tmp_path: Path) -> None:
    results = run.run_benchmarks(["overhead", "refresh"], "smoke")
    machine = run.machine_info()

    table = run.render_table(results, machine, "smoke")
    assert "Client overhead" in table
    assert "Refresh herd" in table
    assert f"{machine['cpu_count']} CPUs" in table

    data = run.results_json(results, machine, "smoke")
    run.write_json(data, tmp_path / "results.json")
    written = json.loads((tmp_path / "results.json").read_text())
    assert written["overhead_ratio"] > 0
    assert written["refresh_calls"] >= 1
    assert written["cpu_count"] >= 1
    assert written["python"]
    assert set(written["pass"]) == {"overhead_ratio", "refresh_calls"}
    assert "| Figure |" in run.render_markdown(results, machine)
    overhead = results[0].details
    # openai-python is a peer when it runs here; otherwise the reason is recorded.
    assert ("overhead_ratio_openai" in written) == ("openai_missing" not in overhead)
    if "overhead_ratio_openai" in written:
        assert written["overhead_ratio_openai"] > 0
        assert "openai-python" in table


@pytest.mark.network(httpx_only="the benchmark measures its own peers, raw aiohttp among them")
def test_bulk_reports_client_cpu_for_the_sdk_and_its_peers(tmp_path: Path) -> None:
    for module in ("aiohttp", "psutil", "requests"):
        pytest.importorskip(module)
    results = run.run_benchmarks(["bulk"], "smoke")
    data = run.results_json(results, run.machine_info(), "smoke")
    for suffix in ("", "_aiohttp", "_raw_httpx_tuned", "_raw_httpx_default", "_raw_aiohttp"):
        assert data[f"cpu_ms_per_registration{suffix}"] > 0
        assert data[f"bulk_wall_s{suffix}"] > 0
    assert data["bulk_speedup_vs_sequential"] > 0
    assert set(data["pass"]) == {
        "cpu_ms_per_registration",
        "cpu_ms_per_registration_aiohttp",
        "bulk_speedup_vs_sequential",
    }
    assert "raw httpx tuned" in run.render_table(results, run.machine_info(), "smoke")
    pytest.importorskip("matplotlib")
    assert run.write_chart(results, run.machine_info(), tmp_path / "results.png")
    assert (tmp_path / "results.png").stat().st_size > 0


def test_a_relative_target_is_checked_against_the_peer_measured_in_the_same_run() -> None:
    target = Target("<=", 1.1, " ms", of=("raw httpx", 0.5))
    assert target.check(0.55)
    assert not target.check(0.56)
    assert str(target) == "≤ 1.1x raw httpx = 0.55 ms"
    figure = Figure("cpu", "CPU", 0.6, " ms", target, peers=[Peer("cpu_raw", "raw", 0.5, " ms")])
    assert figure.passed is False
    data = run.results_json([BenchResult("b", "B", [figure])], run.machine_info(), "smoke")
    assert (data["cpu"], data["cpu_raw"]) == (0.6, 0.5)
    assert data["pass"] == {"cpu": False}
