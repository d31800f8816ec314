"""A msg's request object → the keyword arguments of the SDK method that serves it.

As the package's wrappers (``const { completion_id, ...options } = payload``), from the
method table alone: path parameters must be present and non-empty; fields the SDK method
names become its keyword arguments (file fields converted by :mod:`.files`); every other field
goes to ``extra_query`` for ``GET``/``DELETE`` and to ``extra_body`` otherwise, so unknown
keys reach OpenAI unchanged (``createRealtimeClientSecret`` passes its request through this
way). Table ``defaults`` fill fields the request leaves out. Table ``options`` (the package's
``pollIntervalMs``, ``maxConcurrency``, ``tolerance``) are taken out of the request and passed
as the SDK keyword they map to; null or absent leaves the SDK's default, as the package's
``{pollIntervalMs: undefined}``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openai import AsyncOpenAI

import inspect
from functools import lru_cache
from typing import Any, Callable

from flowred import UNDEFINED

from .errors import local_error
from .files import to_upload
from .spec import Method

SDK_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})


def sdk_function(client: AsyncOpenAI, method: Method, raw: bool = False) -> Callable[..., Any]:
    """The bound SDK function of ``method`` (its ``with_raw_response`` variant when ``raw``)."""
    return _resolve(client, method.sdk, raw)


def _resolve(client: AsyncOpenAI, sdk: str, raw: bool = False) -> Callable[..., Any]:
    *resources, name = sdk.split(".")
    target: Any = client
    for part in resources:
        target = getattr(target, part)
    if raw:
        target = target.with_raw_response
    return getattr(target, name)


@lru_cache(maxsize=None)
def _parameters(sdk: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """(names the SDK function at path ``sdk`` takes, names it requires, the ``extra_query`` /
    ``extra_body`` options it accepts), from its signature."""
    from openai import AsyncOpenAI  # the SDK loads with the first OpenAI node, not at startup

    fn = _resolve(AsyncOpenAI(api_key="signature-only", base_url="http://127.0.0.1/v1"), sdk)
    params = inspect.signature(fn).parameters
    names = frozenset(n for n in params if n not in SDK_OPTIONS)
    required = tuple(n for n, p in params.items()
                     if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD)
    return names, required, frozenset(params) & {"extra_query", "extra_body"}


def request_object(method: Method, request: Any) -> dict:
    """The msg's request object (None or missing counts as ``{}``). Raises NodeError
    (``invalid_request_body``) for anything that is not an object."""
    if request is None or request is UNDEFINED:
        return {}
    if not isinstance(request, dict):
        raise local_error(f"{method.name}: the request must be an object, got {type(request).__name__}",
                          "invalid_request_body")
    return request


def sdk_arguments(method: Method, request: Any) -> dict[str, Any]:
    """Keyword arguments for the SDK function of ``method``.

    ``request`` must be an object (None/missing counts as ``{}``). Raises NodeError (code
    ``invalid_request_body``, ``missing_required_parameter``, ``unknown_parameter`` for a field
    an SDK convenience method has no way to send, or ``invalid_file``) before any request is made.
    """
    request = request_object(method, request)
    names, required, extras = _parameters(method.sdk)
    for param in method.path_params:
        if request.get(param) in (None, ""):
            raise local_error(f"{method.name}: missing required parameter '{param}'",
                              "missing_required_parameter", param)
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in request.items():
        if key in method.options:
            if value is not None:
                kwargs[method.options[key]] = value
            continue
        if key in method.files and value is not None:
            value = to_upload(method.name, key, value)
        (kwargs if key in names else extra)[key] = value
    for key, value in method.defaults.items():
        kwargs.setdefault(key, value)
    for param in required:
        if param not in kwargs:
            raise local_error(f"{method.name}: missing required parameter '{param}'",
                              "missing_required_parameter", param)
    if extra:
        option = "extra_query" if method.verb in ("GET", "DELETE") else "extra_body"
        if option not in extras:  # a convenience method that cannot forward them: say so rather than drop them
            unknown = ", ".join(f"'{k}'" for k in extra)
            raise local_error(f"{method.name}: unknown parameter(s) {unknown}", "unknown_parameter", next(iter(extra)))
        kwargs[option] = extra
    return kwargs
