"""Normalising what is truly volatile in an observation, and nothing else.

Replaced: ``_msgid`` values (and those ids wherever they appear in text), timestamps (numbers
within two days of now, in ms or s; date strings as JavaScript's ``Date.toString()``/ISO 8601;
``HH:MM:SS`` clock times; the console line's own time stamp), process ids (``pid:1234``, the exec
node's status), a loopback peer's ephemeral port (``127.0.0.1:38674`` → ``127.0.0.1:<ephemeral>``,
Linux's range 32768-60999), the runtime's own loopback port (each runtime listens on a different
free port), the Admin API's flow revision hash, the random sequence id ``msg.parts.id``. Values
themselves, formats, counts and order are never touched. Each rule is named here so RESULTS.md
differences can be traced back to one.
"""
from __future__ import annotations

import re
import time
from typing import Any

__all__ = ["Normaliser"]

ISO_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
JS_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d\d \d{4} \d\d:\d\d:\d\d GMT[+-]\d{4}(?: \([^)]*\))?")
UTC_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                      r"\d{4} \d\d:\d\d:\d\d GMT")
CLOCK = re.compile(r"\b\d\d:\d\d:\d\d(?:\.\d+)?\b")
EPHEMERAL = re.compile(r"(?<=127\.0\.0\.1:)(?:3[2-9]\d{3}|[4-5]\d{4}|60\d{3})\b")
PID = re.compile(r"\bpid:\d+")
EPOCH_MS = re.compile(r"\b1[6-9]\d{11}\b")
TWO_DAYS = 2 * 86400


class Normaliser:
    """Normalises values seen on one runtime: ``port`` is that runtime's HTTP port, ``msgids``
    the ``_msgid`` values it produced (collected with :meth:`collect_ids` first)."""

    def __init__(self, port: int) -> None:
        self.port = str(port)
        self.msgids: set[str] = set()
        self.now = time.time()

    def collect_ids(self, value: Any) -> None:
        """Remember every ``_msgid`` (and ``_msgid``-like ``msgid``) value inside ``value``."""
        if isinstance(value, dict):
            for k, v in value.items():
                if k in ("_msgid", "msgid") and isinstance(v, str):
                    self.msgids.add(v)
                else:
                    self.collect_ids(v)
        elif isinstance(value, list):
            for v in value:
                self.collect_ids(v)

    def value(self, value: Any) -> Any:
        """``value`` with volatile parts replaced by ``<msgid>``, ``<timestamp>``, ``<date>``,
        ``<time>``, ``<port>``; the structure and every other value unchanged."""
        if isinstance(value, dict):
            return {k: ("<msgid>" if k == "_msgid" else "<rev>" if k in ("rev", "revision")
                        else self._parts(v) if k == "parts" else self.value(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, (int, float)):
            if abs(value / 1000 - self.now) < TWO_DAYS or abs(value - self.now) < TWO_DAYS:
                return "<timestamp>"
            return value
        if isinstance(value, str):
            return self.text(value)
        return value

    def _parts(self, parts: Any) -> Any:
        """``msg.parts`` with its sequence ``id`` (random, made by split/csv/html/...) replaced."""
        out = self.value(parts)
        if isinstance(out, dict) and isinstance(out.get("id"), str):
            out["id"] = "<seqid>"
        return out

    def text(self, s: str) -> str:
        """A string with volatile parts replaced (see :meth:`value`)."""
        for msgid in self.msgids:
            if msgid in s:
                s = s.replace(msgid, "<msgid>")
        s = JS_DATE.sub("<date>", s)
        s = UTC_DATE.sub("<date>", s)
        s = ISO_DATE.sub("<date>", s)
        s = EPOCH_MS.sub("<timestamp>", s)
        s = CLOCK.sub("<time>", s)
        s = PID.sub("pid:<pid>", s)
        if self.port in s:
            s = re.sub(rf"(?<![0-9]){self.port}(?![0-9])", "<port>", s)
        s = EPHEMERAL.sub("<ephemeral>", s)
        if s.isdigit() and len(s) == 10 and self.value(int(s)) == "<timestamp>":
            return "<timestamp>"
        return s
