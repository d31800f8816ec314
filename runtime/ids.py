"""Node and message ids, as Node-RED's ``util.generateId()``: 8 random bytes as 16 hex chars."""
from random import getrandbits

__all__ = ["generate_id"]


def generate_id() -> str:
    """Return a new 16-hex-char id (64 random bits), as Node-RED's util.generateId().

    Not cryptographically strong: ids name messages and nodes, they guard nothing.
    """
    return "%016x" % getrandbits(64)
