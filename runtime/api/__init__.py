"""The HTTP side of the runtime (aiohttp): Admin API, ``/comms`` websocket, the editor's files.

It sits beside the engine and uses only the engine's methods and its event hub; the engine
never imports it.
"""
from .app import create_app

__all__ = ["create_app"]
