"""The benchmark suite keeps working: ``python -m benchmarks --quick --no-node-red`` runs every
scenario on FlowRed with tiny sizes and writes its table (a smoke test, not a measurement); the
chain scenarios (throughput, function-heavy, python-function, mixed) each measure hops/s."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_runs_every_scenario_on_flowred_with_tiny_sizes(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--no-node-red", "--results", str(results)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    text = results.read_text()
    assert "Node-RED column skipped: --no-node-red was given." in text
    for scenario in ("throughput", "startup", "token-vending", "debug-flood", "function-heavy", "python-function",
                     "mixed", "startup-functions"):
        assert f"| {scenario} |" in text
    for scenario in ("throughput", "function-heavy", "python-function", "mixed"):
        rows = [line.split("|") for line in text.splitlines() if line.startswith(f"| {scenario} | hops/s")]
        assert len(rows) == 1 and rows[0][4].strip() not in ("", "—")
