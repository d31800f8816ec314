"""Value helpers shared by the runtime: JavaScript's ``undefined`` and message cloning."""
from copy import deepcopy

import orjson

__all__ = ["UNDEFINED", "clone_message", "all_scalar"]


class _Undefined:
    """JavaScript's ``undefined``: a property that is not there, as distinct from ``null`` (None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return "UNDEFINED"


UNDEFINED = _Undefined()

_loads = orjson.loads
_dumps = orjson.dumps


def clone_message(msg: dict) -> dict:
    """Deep-clone a msg as Node-RED's ``RED.util.cloneMessage`` (util.js): everything is copied
    except ``msg.req`` and ``msg.res``, which stay the same objects (HTTP request/response handles).

    Plain-JSON msgs (the common case) are cloned by an orjson round trip, several times faster
    than ``copy.deepcopy``; anything orjson cannot encode exactly (bytes, sets, objects,
    NaN, Infinity) falls back to ``copy.deepcopy``. Tuples come back as lists on the fast path,
    as they would from JSON.
    """
    req = msg.get("req")
    res = msg.get("res")
    if req is not None or res is not None:
        rest = {k: v for k, v in msg.items() if k != "req" and k != "res"}
        out = clone_message(rest)
        if "req" in msg:
            out["req"] = req
        if "res" in msg:
            out["res"] = res
        return out
    try:
        data = _dumps(msg)
    except (TypeError, orjson.JSONEncodeError):
        return deepcopy(msg)
    # orjson writes NaN and +-Infinity as null: only then walk the msg to tell them apart.
    if b"null" in data and _has_nonfinite(msg):
        return deepcopy(msg)
    return _loads(data)


def _has_nonfinite(value) -> bool:
    """True when a float NaN or +-Infinity is anywhere inside ``value`` (dicts and lists)."""
    t = type(value)
    if t is float:
        return value != value or value in (_INF, _NINF)
    if t is dict:
        return any(_has_nonfinite(v) for v in value.values())
    if t is list:
        return any(_has_nonfinite(v) for v in value)
    return False


_INF = float("inf")
_NINF = float("-inf")


_SCALARS = frozenset((str, int, float, bool, type(None)))


def all_scalar(values) -> bool:
    """True when every value is a str, number, bool or None: nothing a receiver could mutate.
    A node that builds msgs from such values alone may send them with ``Node.send_built``."""
    scalars = _SCALARS
    for v in values:
        if type(v) not in scalars:
            return False
    return True
