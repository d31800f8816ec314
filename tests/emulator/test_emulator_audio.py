"""The emulator's audio endpoints, driven with the real ``openai`` SDK: speech is real audio
(MP3 frames, a RIFF/WAVE file, raw PCM) of silence, and transcribing it gives its text back."""
from __future__ import annotations

import struct

import openai
import pytest

from flowred.openai_emulator import Emulator
from flowred.openai_emulator.audio import MP3_FRAME, PCM_RATE

from conftest import EMULATOR_KEY


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


async def test_speech_is_mp3_by_default_and_as_long_as_the_words(client):
    speech = await client.audio.speech.create(model="tts-1", input="Hello world!", voice="onyx")
    data = speech.read()
    assert speech.response.headers["content-type"] == "audio/mpeg"
    assert data.startswith(b"ID3\x04")
    tag_end = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10]))
    frames = data[tag_end:]
    assert frames[:2] == b"\xff\xfb" and len(frames) % len(MP3_FRAME) == 0
    # 2 words x 0.4 s at 1152 samples / 44.1 kHz per frame
    assert len(frames) // len(MP3_FRAME) == round(0.8 / (1152 / 44100))
    longer = (await client.audio.speech.create(model="tts-1", input="one two three four", voice="onyx")).read()
    assert len(longer) > len(data)


async def test_speech_as_wav_and_pcm(client):
    wav = await client.audio.speech.create(model="gpt-4o-mini-tts", input="a b c d e", voice="alloy",
                                           response_format="wav", speed=2.0)
    data = wav.read()
    assert wav.response.headers["content-type"] == "audio/wav"
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and struct.unpack("<I", data[4:8])[0] == len(data) - 8
    fmt = data.index(b"fmt ")
    assert struct.unpack("<HHIIHH", data[fmt + 8:fmt + 24]) == (1, 1, PCM_RATE, PCM_RATE * 2, 2, 16)
    size = struct.unpack("<I", data[data.index(b"data") + 4:data.index(b"data") + 8])[0]
    assert size == 2 * int(1.0 * PCM_RATE)  # 5 words x 0.4 s / speed 2
    pcm = await client.audio.speech.create(model="tts-1", input="a b c d e", voice="alloy", response_format="pcm")
    assert pcm.response.headers["content-type"] == "audio/pcm" and pcm.read() == bytes(2 * int(2.0 * PCM_RATE))


async def test_transcribing_the_emulators_speech_gives_its_text(client):
    for fmt in ("mp3", "wav"):
        audio = (await client.audio.speech.create(model="tts-1", input="Grüße aus dem Emulator", voice="onyx",
                                                  response_format=fmt)).read()
        result = await client.audio.transcriptions.create(model="whisper-1", file=(f"speech.{fmt}", audio))
        assert result.text == "Grüße aus dem Emulator"
        assert result.usage.type == "duration" and result.usage.seconds >= 1
    translated = await client.audio.translations.create(model="whisper-1", file=("speech.wav", audio))
    assert translated.text == "Grüße aus dem Emulator"


async def test_transcription_formats_and_other_audio(client):
    audio = (await client.audio.speech.create(model="tts-1", input="one two three", voice="onyx",
                                              response_format="wav")).read()
    text = await client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio), response_format="text")
    assert text == "one two three\n"
    srt = await client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio), response_format="srt")
    assert srt == "1\n00:00:00,000 --> 00:00:01,200\none two three\n\n"
    vtt = await client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio), response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:01.200\none two three")
    verbose = await client.audio.transcriptions.create(model="whisper-1", file=("a.wav", audio),
                                                       response_format="verbose_json", language="de")
    assert (verbose.language, verbose.duration, verbose.segments[0].text) == ("de", 1.2, "one two three")
    other = await client.audio.transcriptions.create(model="whisper-1", file=("noise.ogg", bytes(32000)))
    assert other.text == "[2 seconds of audio]"


async def test_bad_audio_requests_are_openais_400s(client):
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.speech.create(model="tts-1", input="x", voice="onyx", response_format="flac")
    assert caught.value.param == "response_format" and caught.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as caught:
        await client.audio.speech.create(model="tts-1", input="x" * 4097, voice="onyx")
    assert caught.value.param == "input"
    with pytest.raises(openai.BadRequestError) as caught:
        await client.post("/audio/transcriptions", body={"model": "whisper-1", "file": "/tmp/a.mp3"},
                           options={"headers": {"Content-Type": "multipart/form-data"}}, files=[], cast_to=object)
    assert caught.value.param == "file"
