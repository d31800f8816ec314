"""compat's timer-tie rule: a stream the example itself makes racy (TIMER_TIES) is accepted
only when each side shows one of its listed outcomes."""
from __future__ import annotations

from compat.allowances import apply
from compat.compare import Difference
from compat.observe import Entry

EXAMPLE = "sequence/join/02 - Manual join mode"
STREAM = "debug debug:659414e8.e901fc"


def _stream(*values: str) -> dict:
    return {STREAM: [Entry(None, {"format": f"string[{len(v)}]", "property": "payload", "topic": "", "msg": v})
                     for v in values]}


def _diffs(fr: dict, nr: dict) -> list[Difference]:
    a, b = fr[STREAM], nr[STREAM]
    return [Difference(STREAM, i, a[i].raw if i < len(a) else "(nothing)", b[i].raw if i < len(b) else "(nothing)")
            for i in range(max(len(a), len(b)))]


def test_either_outcome_of_the_tie_is_accepted():
    fr, nr = _stream("Apple,Orange", "Banana,Kiwi"), _stream("Apple,Orange,Banana", "Kiwi")
    assert [d.allowance for d in apply(EXAMPLE, _diffs(fr, nr), fr, nr)] == ["timer-tie", "timer-tie"]
    # the window may end before the last group on one side
    short = _stream("Apple,Orange,Banana")
    assert [d.allowance for d in apply(EXAMPLE, _diffs(fr, short), fr, short)] == ["timer-tie", "timer-tie"]


def test_anything_else_is_a_difference():
    nr = _stream("Apple,Orange,Banana", "Kiwi")
    for fr in (_stream("Apple,Orange", "Kiwi"), _stream("Apple,Orange,Banana,Kiwi"), _stream("Orange,Apple", "Kiwi")):
        assert all(d.allowance is None for d in apply(EXAMPLE, _diffs(fr, nr), fr, nr))
    # not in another example, nor without the observations
    fr = _stream("Apple,Orange", "Banana,Kiwi")
    assert all(d.allowance is None for d in apply("sequence/join/01 - Automatic join mode", _diffs(fr, nr), fr, nr))
    assert all(d.allowance is None for d in apply(EXAMPLE, _diffs(fr, nr)))
    # another field differing too is a difference
    topic = {STREAM: [Entry(None, {**e.raw, "topic": "t"}) for e in fr[STREAM]]}
    assert all(d.allowance is None for d in apply(EXAMPLE, _diffs(topic, nr), topic, nr))
