"""The benchmarks still run: overhead and refresh at a minuscule size, through run.py's machinery.

No performance target is asserted here; ``python benchmarks/run.py`` measures.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402


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
