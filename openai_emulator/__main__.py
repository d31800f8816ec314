"""``python -m openai_emulator``: serve the OpenAI API emulator until Ctrl-C."""
from __future__ import annotations

import argparse
import asyncio
import sys

from . import start_emulator


async def _serve(host: str, port: int, api_keys: set[str]) -> None:
    emulator = await start_emulator(host, port, api_keys)
    print(f"OpenAI emulator listening on {emulator.base_url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> int:
    """Runs the emulator on ``--host``/``--port``, accepting the ``--api-key`` keys (any key when
    none is given). Returns 0 after Ctrl-C, 1 when the address cannot be bound."""
    parser = argparse.ArgumentParser(prog="python -m openai_emulator",
                                     description="Serve a local imitation of OpenAI's API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=4010, help="TCP port (default %(default)s)")
    parser.add_argument("--api-key", action="append", default=[], dest="api_keys",
                        help="a Bearer key to accept; repeatable; none given accepts any key")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_serve(args.host, args.port, set(args.api_keys)))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
