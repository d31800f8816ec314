"""The results table (Markdown, printed and written to RESULTS.md).

RESULTS.md keeps whatever follows the generated block, so an analysis written below a run
survives the next run: the block is everything between ``BEGIN`` and ``END``.
"""
from __future__ import annotations

import re
from pathlib import Path

from .figures import FLOWRED, NODE_RED, Figure

__all__ = ["table", "render", "write_results"]

BEGIN = "<!-- benchmarks: generated results, begin -->"
END = "<!-- benchmarks: generated results, end -->"


def _cell(figure: Figure, runtime: str) -> str:
    s = figure.spread(runtime)
    return "—" if s is None else s.show(figure.digits)


def table(figures: list[Figure]) -> str:
    """One row per figure: medians with (min–max), the ratio of medians, the target and verdict."""
    lines = [f"| scenario | figure | unit | {FLOWRED} | {NODE_RED} | {FLOWRED}/{NODE_RED} | target | |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for f in figures:
        ratio = f.ratio()
        lines.append(f"| {f.scenario} | {f.metric} | {f.unit} | {_cell(f, FLOWRED)} | {_cell(f, NODE_RED)} | "
                     f"{'—' if ratio is None else f'{ratio:.2f}'} | {f.target or ''} | {f.verdict()} |")
    return "\n".join(lines)


def render(figures: list[Figure], machine: dict[str, str], notes: list[str], when: str, command: str) -> str:
    """The generated block: when and how it ran, the machine, notes (skips), the table."""
    out = [BEGIN, f"Run {when} with `{command}`; each cell is the median of the runs with (min–max).", "",
           "| machine | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in machine.items()]
    out.append("")
    out += [f"**{note}**" for note in notes]
    if notes:
        out.append("")
    out += [table(figures), "", END]
    return "\n".join(out)


def write_results(path: Path, block: str) -> None:
    """Put ``block`` into ``path``: replace the previous generated block, keep the rest."""
    if path.exists():
        text = path.read_text()
        pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
        if pattern.search(text):
            path.write_text(pattern.sub(lambda _: block, text, count=1))
            return
        path.write_text(text.rstrip("\n") + "\n\n" + block + "\n")
        return
    path.write_text("# Benchmark results: FlowRed and Node-RED on the same flows\n\n" + block + "\n")
