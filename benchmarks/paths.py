"""Where the suite keeps its files: flow templates, the git-ignored cache, run directories."""
from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

__all__ = ["ROOT", "BENCH", "FLOWS", "CACHE", "RESULTS", "SESSION", "flowred_command", "run_dir", "remove_session"]

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FLOWS = BENCH / "flows"
CACHE = BENCH / ".cache"
RESULTS = BENCH / "RESULTS.md"


def flowred_command() -> Path:
    """The ``flowred`` console script of the Python environment running the suite."""
    script = Path(sys.executable).parent / "flowred"
    if not script.exists():
        raise SystemExit(f"{script} is missing: install FlowRed into this environment (make install)")
    return script


SESSION = CACHE / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
"""This process' directory of user dirs, flow files and logs: suites running at the same time
(a smoke test during a measurement) never share a flow file."""


def run_dir(*parts: str) -> Path:
    """A directory under this process' SESSION directory, created when missing."""
    path = SESSION.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def remove_session() -> None:
    """Delete SESSION (when the run went well; otherwise its logs are worth keeping)."""
    shutil.rmtree(SESSION, ignore_errors=True)
