"""Speech, transcription and translation, answered with real audio files of silence.

- ``POST /v1/audio/speech`` (JSON ``model``, ``input`` ≤ 4096 characters, ``voice``,
  ``response_format`` mp3 | wav | pcm, ``speed`` 0.25..4) → the audio bytes with OpenAI's content
  type (``audio/mpeg``, ``audio/wav``, ``audio/pcm``): 0.4 s of silence per word of ``input``
  divided by ``speed``. mp3 is MPEG-1 Layer III (44.1 kHz mono, 128 kbit/s) behind an ID3v2.4
  tag; wav and pcm are 24 kHz mono 16-bit, as OpenAI's. The input text rides in the file (an
  ID3 ``TXXX:openai-emulator-input`` frame, a RIFF ``LIST/INFO/ICMT`` chunk) so that
  transcribing the emulator's own speech gives the text back; pcm has no room for it. OpenAI's
  other formats (opus, aac, flac) are a 400 here.
- ``POST /v1/audio/transcriptions`` and ``/v1/audio/translations`` (multipart ``file``,
  ``model``, ``response_format`` json | text | srt | vtt | verbose_json, ``language``) → the text
  carried in the file, or ``"[N seconds of audio]"`` for any other audio, as
  ``{"text", "usage"}`` (json; translations: ``{"text"}``), plain text, one SubRip/WebVTT cue, or
  ``{task, language, duration, text, segments}``.
"""
from __future__ import annotations

import re
import struct
from typing import Literal

from aiohttp import web
from pydantic import Field

from .errors import OpenAIError
from .store import file_field, form, required, text_field
from .text_models import Lenient
from .validation import authenticate, validated

SECONDS_PER_WORD = 0.4
PCM_RATE = 24000
MP3_RATE = 44100
MP3_FRAME = b"\xff\xfb\x90\xc0" + bytes(413)  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono: 417 bytes
MP3_FRAME_SECONDS = 1152 / MP3_RATE
TEXT_TAG = b"openai-emulator-input"
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm"}


class SpeechRequest(Lenient):
    """``POST /v1/audio/speech``: only the fields the emulator uses are declared."""

    model: str
    input: str = Field(max_length=4096)
    voice: str | dict
    response_format: str = "mp3"
    speed: float = Field(1.0, ge=0.25, le=4.0)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/v1/audio/speech", speech)
    app.router.add_post("/v1/audio/transcriptions", transcription)
    app.router.add_post("/v1/audio/translations", translation)


async def speech(request: web.Request) -> web.Response:
    """``POST /v1/audio/speech``: silence as long as the text would take to say."""
    authenticate(request)
    params = await validated(request, SpeechRequest)
    fmt = params.response_format
    if fmt not in CONTENT_TYPES:
        raise OpenAIError(400, f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'wav' and 'pcm' "
                          "(the emulator's formats).", param="response_format", code="invalid_value")
    seconds = max(1, len(params.input.split())) * SECONDS_PER_WORD / params.speed
    body = {"mp3": mp3_silence, "wav": wav_silence, "pcm": pcm_silence}[fmt](seconds, params.input)
    return web.Response(body=body, content_type=CONTENT_TYPES[fmt])


def pcm_silence(seconds: float, text: str = "") -> bytes:
    """``seconds`` of 24 kHz mono 16-bit little-endian zero samples (``text`` is not kept)."""
    return bytes(2 * int(seconds * PCM_RATE))


def wav_silence(seconds: float, text: str = "") -> bytes:
    """A RIFF/WAVE file: ``fmt`` (PCM, 24 kHz, mono, 16-bit), ``LIST/INFO/ICMT`` with ``text``
    (UTF-8), and ``seconds`` of zero samples."""
    samples = pcm_silence(seconds)
    comment = text.encode() + b"\0"
    comment += b"\0" * (len(comment) % 2)
    info = b"INFO" + b"ICMT" + struct.pack("<I", len(comment)) + comment
    chunks = (b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, PCM_RATE, PCM_RATE * 2, 2, 16)
              + b"LIST" + struct.pack("<I", len(info)) + info
              + b"data" + struct.pack("<I", len(samples)) + samples)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def mp3_silence(seconds: float, text: str = "") -> bytes:
    """An ID3v2.4 tag holding ``text`` in a ``TXXX`` frame, then silent MP3 frames (26 ms each)
    covering ``seconds``."""
    data = b"\x03" + TEXT_TAG + b"\0" + text.encode()
    frame = b"TXXX" + _syncsafe(len(data)) + b"\0\0" + data
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frame)) + frame
    return tag + MP3_FRAME * max(1, round(seconds / MP3_FRAME_SECONDS))


def _syncsafe(n: int) -> bytes:
    return bytes(((n >> shift) & 0x7F) for shift in (21, 14, 7, 0))


def _unsyncsafe(raw: bytes) -> int:
    return (raw[0] << 21) | (raw[1] << 14) | (raw[2] << 7) | raw[3]


def audio_text_and_seconds(data: bytes) -> tuple[str | None, float]:
    """The text an emulator audio file carries (None for other audio) and its duration in
    seconds (for unknown audio: its size at 128 kbit/s)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        text, seconds, pos = None, 0.0, 12
        while pos + 8 <= len(data):
            kind, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
            body = data[pos + 8:pos + 8 + size]
            if kind == b"LIST" and body[:4] == b"INFO" and body[4:8] == b"ICMT":
                text = body[12:].split(b"\0")[0].decode(errors="replace")
            elif kind == b"data":
                seconds = size / (PCM_RATE * 2)
            pos += 8 + size + size % 2
        return text, seconds
    if data[:3] == b"ID3":
        end = 10 + _unsyncsafe(data[6:10])
        found = re.search(rb"TXXX.{6}\x03" + re.escape(TEXT_TAG) + rb"\x00", data[10:end], re.S)
        text = data[10 + found.end():end].decode(errors="replace") if found else None
        frames = data[end:].count(MP3_FRAME[:4])
        return text, frames * MP3_FRAME_SECONDS if frames else (len(data) - end) / 16000
    return None, len(data) / 16000


def _timestamp(seconds: float, separator: str) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


async def _listen(request: web.Request, task: Literal["transcribe", "translate"]) -> web.Response:
    authenticate(request)
    fields = await form(request)
    _, data = file_field(fields, "file")
    required({"model": text_field(fields, "model")}, "model")
    fmt = text_field(fields, "response_format", "json")
    language = (text_field(fields, "language") or "en") if task == "transcribe" else "en"
    text, seconds = audio_text_and_seconds(data)
    text = f"[{round(seconds)} seconds of audio]" if text is None else text
    if fmt == "json":
        usage = {"usage": {"type": "duration", "seconds": max(1, round(seconds))}} if task == "transcribe" else {}
        return web.json_response({"text": text, **usage})
    if fmt == "text":
        return web.Response(text=text + "\n", content_type="text/plain")
    if fmt == "srt":
        return web.Response(text=f"1\n{_timestamp(0, ',')} --> {_timestamp(seconds, ',')}\n{text}\n\n",
                            content_type="text/plain")
    if fmt == "vtt":
        return web.Response(text=f"WEBVTT\n\n{_timestamp(0, '.')} --> {_timestamp(seconds, '.')}\n{text}\n\n",
                            content_type="text/plain")
    if fmt == "verbose_json":
        segment = {"id": 0, "seek": 0, "start": 0.0, "end": round(seconds, 2), "text": text, "tokens": [],
                   "temperature": 0.0, "avg_logprob": 0.0, "compression_ratio": 1.0, "no_speech_prob": 0.0}
        return web.json_response({"task": "transcribe" if task == "transcribe" else "translate",
                                  "language": "english" if language == "en" else language,
                                  "duration": round(seconds, 2), "text": text, "segments": [segment]})
    raise OpenAIError(400, f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', 'verbose_json', "
                      "and 'vtt'.", param="response_format", code="invalid_value")


async def transcription(request: web.Request) -> web.Response:
    """``POST /v1/audio/transcriptions``: the text carried in the audio (see the module)."""
    return await _listen(request, "transcribe")


async def translation(request: web.Request) -> web.Response:
    """``POST /v1/audio/translations``: as a transcription, always in English."""
    return await _listen(request, "translate")
