"""The emulator's image generation endpoint, driven with the real ``openai`` SDK."""
from __future__ import annotations

import base64
import struct
import zlib

import openai
import pytest

from flowred.openai_emulator import Emulator

from conftest import EMULATOR_KEY


@pytest.fixture
async def client(emulator: Emulator):
    async with openai.AsyncOpenAI(base_url=emulator.base_url, api_key=EMULATOR_KEY, max_retries=0) as c:
        yield c


def png_size_and_pixel(png: bytes) -> tuple[tuple[int, int], bytes]:
    """(width, height) from IHDR and the first pixel's RGB from IDAT."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    size = struct.unpack(">II", png[16:24])
    start = png.index(b"IDAT") + 4
    length = struct.unpack(">I", png[start - 8:start - 4])[0]
    raw = zlib.decompress(png[start:start + length])
    return size, raw[1:4]


async def test_generate_gives_n_equal_pngs_of_the_size_asked(client):
    result = await client.images.generate(model="gpt-image-1", prompt="a red box", size="1536x1024", n=2)
    assert len(result.data) == 2 and result.data[0].b64_json == result.data[1].b64_json
    size, pixel = png_size_and_pixel(base64.b64decode(result.data[0].b64_json))
    assert size == (1536, 1024)
    again = await client.images.generate(model="gpt-image-1", prompt="a red box", size="1536x1024")
    other = await client.images.generate(model="gpt-image-1", prompt="a blue box", size="auto")
    assert again.data[0].b64_json == result.data[0].b64_json
    other_size, other_pixel = png_size_and_pixel(base64.b64decode(other.data[0].b64_json))
    assert other_size == (1024, 1024) and other_pixel != pixel
    assert result.usage.input_tokens == 3


async def test_url_format_is_a_data_url(client):
    result = await client.images.generate(model="dall-e-2", prompt="a box", size="256x256", response_format="url")
    assert result.data[0].b64_json is None
    prefix, _, encoded = result.data[0].url.partition(",")
    assert prefix == "data:image/png;base64"
    assert png_size_and_pixel(base64.b64decode(encoded))[0] == (256, 256)


async def test_bad_requests_are_openais_400s(client):
    with pytest.raises(openai.BadRequestError) as caught:
        await client.images.generate(model="gpt-image-1", prompt="a box", size="big")
    assert caught.value.param == "size" and caught.value.code == "invalid_value"
    with pytest.raises(openai.BadRequestError) as caught:
        await client.post("/images/generations", body={"model": "gpt-image-1"}, cast_to=object)
    assert caught.value.param == "prompt" and caught.value.code == "missing_required_parameter"
    with pytest.raises(openai.BadRequestError) as caught:
        await client.images.generate(model="gpt-image-1", prompt="a box", n=11)
    assert caught.value.param == "n"
    bad_key = openai.AsyncOpenAI(base_url=str(client.base_url), api_key="sk-wrong-key-000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await bad_key.images.generate(model="gpt-image-1", prompt="a box")
    await bad_key.close()
