"""Deviations FlowRed makes on purpose: each is named, has its reason, and accepts only the
differences it describes (a stream and a test on both raw values), never a whole stream or a
whole example. A difference an allowance accepts is listed in RESULTS.md under the allowance's
name and does not make an example "different".

Flows that cannot be compared at all (they need hardware or a service outside this machine)
are in NOT_COMPARABLE with the reason.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from benchmarks.nodered import PREFIX

from .compare import Difference

__all__ = ["Allowance", "ALLOWANCES", "NOT_COMPARABLE", "apply"]


@dataclass(frozen=True)
class Allowance:
    """``name``: short and unique; ``reason``: why FlowRed differs on purpose; ``accepts``:
    ``(example, difference) -> bool``, true only for the differences meant."""

    name: str
    reason: str
    accepts: Callable[[str, Difference], bool]


@lru_cache(maxsize=1)
def _catalog() -> dict:
    """Node-RED's English message catalog of its core nodes (from the installed Node-RED)."""
    path = PREFIX / "node_modules" / "@node-red" / "nodes" / "locales" / "en-US" / "messages.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _translate(key: Any) -> str | None:
    """The English text of a catalog key such as ``httpin.status.requesting``; None if it is not one."""
    if not isinstance(key, str) or "." not in key or " " in key:
        return None
    node: Any = _catalog()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def _status_text_translated(example: str, d: Difference) -> bool:
    fr, nr = d.flowred, d.node_red
    if not (d.stream.startswith("status ") and isinstance(fr, dict) and isinstance(nr, dict)):
        return False
    rest = lambda s: {k: v for k, v in s.items() if k != "text"}  # noqa: E731
    return rest(fr) == rest(nr) and _translate(nr.get("text")) == str(fr.get("text", "")).strip()


ALLOWANCES: list[Allowance] = [
    Allowance(
        "status-text-translated",
        "Node-RED's core nodes send some status texts as message-catalog keys (httpin.status.requesting, "
        "common.status.connected) that only its own editor translates; FlowRed sends the English text "
        "itself, so its editor and any /comms client show it as is. Accepted only when the key's "
        "English text in Node-RED's catalog is exactly FlowRed's text and fill and shape are equal.",
        _status_text_translated),
]

MSGID_SUFFIX = re.compile(r" \(msg [0-9a-f]{16}\)$")


def _error_log_msgid(example: str, d: Difference) -> bool:
    fr, nr = d.flowred, d.node_red
    return (d.stream.startswith("log") and isinstance(fr, str) and isinstance(nr, str)
            and MSGID_SUFFIX.search(fr) is not None and MSGID_SUFFIX.sub("", fr) == nr)


ALLOWANCES.append(Allowance(
    "error-log-msgid",
    "README, on purpose: node errors carry the msg's _msgid; the console line of an error ends "
    "with \" (msg <_msgid>)\". Accepted only when the line is otherwise Node-RED's line exactly.",
    _error_log_msgid))

RANDOM_IN_FLOW: dict[str, tuple[str, str, str]] = {
    "network/http/07 - Working with cookies": (
        "http GET /hello-cookie/add", "set-cookie", r"demo-\d{1,3}"),
}
"""Example → (stream, field, pattern): the flow itself makes that field of that stream random
on any runtime (here it names each new cookie ``demo-<Math.random()*1000>``); the entries must
be equal apart from that field, whose values must all match the pattern."""


def _random_in_flow(example: str, d: Difference) -> bool:
    entry = RANDOM_IN_FLOW.get(example)
    if entry is None or d.stream != entry[0] or not (isinstance(d.flowred, dict) and isinstance(d.node_red, dict)):
        return False
    stream, key, pattern = entry
    rest = lambda v: {k: x for k, x in v.items() if k != key}  # noqa: E731
    values = [*d.flowred.get(key, []), *d.node_red.get(key, [])]
    return rest(d.flowred) == rest(d.node_red) and all(re.fullmatch(pattern, str(v)) for v in values)


ALLOWANCES.append(Allowance(
    "random-in-flow",
    "not a deviation: the example's own function makes this value random (RANDOM_IN_FLOW says "
    "where and how), so no two runs of the same runtime agree either",
    _random_in_flow))

ENCODED_ERROR = '{"__enc__":true,"type":"error"'


def _first_stack_lines(value: Any) -> Any:
    """``value`` with every ``stack`` string cut to its first line (``Name: message``), the
    sidebar's encoded errors (JSON text) parsed, and ``_msgid`` values left out."""
    if isinstance(value, dict):
        return {k: (v.split("\n", 1)[0] if k == "stack" and isinstance(v, str) else _first_stack_lines(v))
                for k, v in value.items() if k != "_msgid"}
    if isinstance(value, list):
        return [_first_stack_lines(v) for v in value]
    if isinstance(value, str) and value.startswith(ENCODED_ERROR):
        try:
            return _first_stack_lines(json.loads(value))
        except ValueError:
            return value
    return value


def _error_stack_frames(example: str, d: Difference) -> bool:
    fr, nr = d.flowred, d.node_red
    if not d.stream.startswith("debug") or "stack" not in json.dumps(nr) or "stack" not in json.dumps(fr):
        return False
    return _first_stack_lines(fr) == _first_stack_lines(nr)


ALLOWANCES.append(Allowance(
    "error-stack-frames",
    "not a deviation: a JavaScript Error's stack lists the frames of the runtime that ran it "
    "(Node-RED's vm script and its own files, FlowRed's V8 sandbox), so only its first line "
    "(\"Name: message\") can be equal. Accepted only when the debug entries are equal once every "
    "stack is cut to that line, which must be equal too.",
    _error_stack_frames))

TIMER_TIES: dict[str, dict[str, list[list[Any]]]] = {
    "sequence/join/02 - Manual join mode": {
        # a delay sends one part a second into a join that times out 2 s after its first part:
        # the third part comes at the very moment of the timeout, so it may be the last of the
        # first group or the first of the second
        "debug debug:659414e8.e901fc": [["Apple,Orange", "Banana,Kiwi"], ["Apple,Orange,Banana", "Kiwi"]],
    },
}
"""Example → stream → its possible outcomes (the debug values in order). Differences in such a
stream are accepted as ``timer-tie`` (not a deviation) only when each side's whole stream is one
of the outcomes, or a beginning of one when the collection window ends before the last: the flow
itself makes two timers fall due at the same instant, which one fires first is decided by
sub-millisecond scheduling on either runtime, and Node-RED's own runs give either outcome."""
TIMER_TIE = "timer-tie"


def _tied_streams(example: str, fr: dict | None, nr: dict | None) -> set[str]:
    """The streams of ``example`` where each side shows one of the TIMER_TIES outcomes."""
    if fr is None or nr is None:
        return set()
    tied = set()
    for stream, outcomes in TIMER_TIES.get(example, {}).items():
        entries = [[e.raw for e in obs.get(stream, [])] for obs in (fr, nr)]
        if not all(isinstance(e, dict) for side in entries for e in side):
            continue
        # the values may differ (and with them the format's length), nothing else
        rest = {json.dumps({k: v for k, v in e.items() if k not in ("msg", "format")}, sort_keys=True)
                for side in entries for e in side}
        sides = [[e.get("msg") for e in side] for side in entries]
        if len(rest) == 1 and all(v and any(v == o[:len(v)] for o in outcomes) for v in sides):
            tied.add(stream)
    return tied


NOT_COMPARABLE: dict[str, str] = {}
"""Example path (relative to the examples folder) → why it cannot be compared here."""


def apply(example: str, diffs: list[Difference], fr: dict | None = None,
          nr: dict | None = None) -> list[Difference]:
    """``diffs`` with the ``allowance`` of each accepted difference set; ``fr`` and ``nr`` (the
    two observations, stream → entries) let whole streams be judged (TIMER_TIES)."""
    tied = _tied_streams(example, fr, nr)
    out = []
    for d in diffs:
        if d.stream in tied:
            name: str | None = TIMER_TIE
        else:
            name = next((a.name for a in ALLOWANCES if a.accepts(example, d)), None)
        out.append(d if name is None else Difference(d.stream, d.index, d.flowred, d.node_red, name, d.path))
    return out
