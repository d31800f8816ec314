"""Seed 002's defaults for ``createRealtimeClientSecret`` (``@navai/voice-backend`` 0.1.3).

Each default is off unless set, and is filled in only where the request leaves it out; the
msg's own request object is never changed (the filled request is a copy):

- ``model`` → ``session.model``; ``voice`` → ``session.audio.output.voice``;
- instructions: when the request has no ``session.instructions``, the lines ``<instructions>``,
  ``Always reply in <language>.``, ``Use a <accent> accent while speaking.``,
  ``Use a <tone> tone while speaking.`` (each only when set) joined with ``\\n``, as navai's
  instruction builder;
- ``ttl`` (seconds, 10..7200) → ``expires_after: {anchor: "created_at", seconds: ttl}``.

``session.type`` becomes ``realtime`` when a session field is filled and the request names no
type. A ``transcription`` session gets only the TTL (it has no model, voice or instructions).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flowred import UNDEFINED

TTL_MIN, TTL_MAX = 10, 7200


def check_ttl(seconds: int) -> int:
    """``seconds`` if within 10..7200; else ValueError with navai's rule in FlowRed's words."""
    if not TTL_MIN <= seconds <= TTL_MAX:
        raise ValueError(f"TTL must be between {TTL_MIN} and {TTL_MAX} seconds, got {seconds}")
    return seconds


@dataclass(frozen=True)
class RealtimeDefaults:
    """The node's defaults; empty strings and None are "not set"."""

    model: str = ""
    voice: str = ""
    instructions: str = ""
    language: str = ""
    accent: str = ""
    tone: str = ""
    ttl: int | None = None

    def __bool__(self) -> bool:
        return any((self.model, self.voice, self.instructions, self.language, self.accent, self.tone,
                    self.ttl is not None))

    def apply(self, request: Any) -> Any:
        """A copy of ``request`` (an object, or nothing) with the defaults filled in; a
        request that is not an object is returned unchanged (the call then reports it)."""
        if request is None or request is UNDEFINED:
            request = {}
        if not isinstance(request, dict) or not self:
            return request
        body = copy.deepcopy(request)
        if self.ttl is not None and "expires_after" not in body:
            body["expires_after"] = {"anchor": "created_at", "seconds": self.ttl}
        session = body.get("session", {})
        if isinstance(session, dict) and session.get("type", "realtime") == "realtime" and self._fill_session(session):
            body["session"] = session if "type" in session else {"type": "realtime", **session}
        return body

    def _fill_session(self, session: dict) -> bool:
        """Fills model, instructions and voice into ``session``; True when any was filled."""
        filled = False
        if self.model and "model" not in session:
            session["model"], filled = self.model, True
        lines = [self.instructions] if self.instructions else []
        lines += [f"Always reply in {self.language}."] if self.language else []
        lines += [f"Use a {self.accent} accent while speaking."] if self.accent else []
        lines += [f"Use a {self.tone} tone while speaking."] if self.tone else []
        if lines and "instructions" not in session:
            session["instructions"], filled = "\n".join(lines), True
        if self.voice:
            audio = session.get("audio", {})
            output = audio.get("output", {}) if isinstance(audio, dict) else None
            if isinstance(output, dict) and "voice" not in output:
                output["voice"], filled = self.voice, True
                audio["output"] = output
                session["audio"] = audio
        return filled
