"""The ``nats`` context store: node, flow and global context in a NATS JetStream key-value
bucket, seen by every worker of a cluster. FlowRed's own; Node-RED has no such store.

Configured as any context store (``contextStorage.default = {module = "nats"}``, or a named
store); ``config``: ``url`` (default: the cluster's URL; the store then shares the worker's
cluster connection) and ``bucket`` (default ``flowred_<cluster name>_context``, or
``flowred_context`` without a cluster).

Layout: one KV entry per top-level context key, ``<scope>.<key>`` (scope ``global``, a flow id,
or ``<node id>:<flow id>``), its value JSON (bytes as Node.js Buffer JSON, as the
``localfilesystem`` store writes them). A scope or key that is not a valid KV token (letters,
digits, ``_``, ``-``) is written as ``=`` + its UTF-8 base64url, so every key round-trips.
``a.b`` reads and writes the entry ``a``.

Node-RED's ``get``/``keys`` are synchronous: they answer from a local copy of the bucket, which
a KV watch keeps up to date (another worker's ``set`` is seen within milliseconds on one
machine). ``set`` changes the local copy at once and writes to the bucket in the background,
in order; values are stored as JSON, so ``get`` returns a copy, never the object that was set.
Plain ``set`` is last-writer-wins across workers; ``cas`` (what ``update`` uses) is
compare-and-set on the entry's KV revision.
"""
from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import re
import threading
from typing import Any

import orjson

from .context_file import _json_default
from .log import logger
from .props import delete_property, get_property, parse_path, set_property
from .values import UNDEFINED

__all__ = ["NatsStore", "decode_token", "encode_token"]

_PLAIN = re.compile(r"^[A-Za-z0-9_-]+$")
WRITE_TIMEOUT = 5.0  # seconds a background write may wait for JetStream's answer


def encode_token(text: str) -> str:
    """``text`` as one KV key token: itself when it is letters, digits, ``_`` and ``-``, else
    ``=`` + base64url of its UTF-8 without padding (``decode_token`` reverses it)."""
    if _PLAIN.match(text):
        return text
    return "=" + base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The text ``encode_token`` made ``token`` from."""
    if not token.startswith("="):
        return token
    data = token[1:]
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)).decode("utf-8", "surrogatepass")


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_json_default)


class NatsStore:
    """A context store on a JetStream KV bucket (see the module text). ``config``: the store's
    ``config`` table (``url``, ``bucket``). Call ``await connect(cluster)`` in the running loop
    before use (ContextManager.start does) and ``await close()`` at shutdown.

    Thread-safe: function nodes call it from their V8 threads. Before ``connect`` it reads as
    empty and ``set`` raises RuntimeError."""

    def __init__(self, config: dict | None = None) -> None:
        config = config or {}
        self.url: str | None = config.get("url")
        self.bucket: str | None = config.get("bucket")
        self._data: dict[str, dict[str, Any]] = {}   # scope -> top-level key -> value
        self._revs: dict[str, int] = {}               # KV key -> last revision seen (0: none)
        self._inflight: dict[str, int] = {}           # KV key -> local writes not yet acknowledged
        self._acked: dict[str, int] = {}              # KV key -> highest revision of those acknowledged
        self._deferred: dict[str, Any] = {}           # KV key -> newest watched entry while writes are in flight
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._nc: Any = None
        self._own_nc = False
        self._kv: Any = None
        self._watch_task: asyncio.Task | None = None
        self._writes: set[asyncio.Task] = set()
        self._cas_tail: dict[str, asyncio.Future] = {}  # KV key -> the last compare-and-set queued on it

    # -- lifecycle ---------------------------------------------------------------------------
    async def connect(self, cluster: Any = None) -> None:
        """Open the bucket (create it when missing), load it and start watching it. Shares
        ``cluster``'s connection when the store names no other URL. Raises ClusterError
        (flowred.cluster.connection) when NATS cannot be reached or the bucket not opened."""
        if self._kv is not None:
            return
        from .cluster.connection import ClusterError, ClusterOptions, connect

        self._loop = asyncio.get_running_loop()
        if cluster is not None and (not self.url or self.url == cluster.options.url):
            self._nc, js = cluster.nc, cluster.js
            bucket = self.bucket or cluster.bucket_name("context")
        else:
            if not self.url:
                raise ClusterError("the nats context store needs a url (or run the worker with --cluster)")
            own = await connect(ClusterOptions(self.url))
            self._nc, js, self._own_nc = own.nc, own.js, True
            bucket = self.bucket or "flowred_context"
        try:
            try:
                self._kv = await js.key_value(bucket)
            except Exception:
                try:
                    self._kv = await js.create_key_value(bucket=bucket, history=1)
                except Exception:
                    self._kv = await js.key_value(bucket)
            watcher = await self._kv.watchall()
            first = await watcher.updates(timeout=30)
            while first is not None:
                self._seen(first)
                first = await watcher.updates(timeout=30)
        except Exception as exc:
            raise ClusterError(f"cannot open the context bucket {bucket}: {exc or type(exc).__name__}") from exc
        self._watch_task = self._loop.create_task(self._watch(watcher))
        logger.info(f"Context store  : nats bucket {bucket}")

    async def close(self) -> None:
        """Wait (up to WRITE_TIMEOUT s) for the writes in flight, stop watching, and close the
        store's own connection (a shared cluster connection stays open)."""
        await asyncio.sleep(0)  # writes scheduled from other threads become tasks
        if self._writes:
            await asyncio.wait(list(self._writes), timeout=WRITE_TIMEOUT)
        if self._watch_task is not None:
            self._watch_task.cancel()
            self._watch_task = None
        if self._own_nc and self._nc is not None:
            try:
                await self._nc.drain()
            except Exception:
                pass
        self._kv = None

    async def _watch(self, watcher: Any) -> None:
        try:
            async for entry in watcher:
                if entry is not None:
                    self._seen(entry)
        except asyncio.CancelledError:
            try:
                await watcher.stop()
            except Exception:
                pass
            raise

    # -- the local copy ----------------------------------------------------------------------
    def _seen(self, entry: Any) -> None:
        """A watched bucket entry: applied unless older than what is known, or kept aside while
        this worker's own writes to the key are in flight."""
        with self._lock:
            if self._inflight.get(entry.key):
                old = self._deferred.get(entry.key)
                if old is None or old.revision < entry.revision:
                    self._deferred[entry.key] = entry
                return
            self._apply(entry.key, entry.revision, None if entry.operation else entry.value)

    def _apply(self, kvkey: str, rev: int, data: bytes | None) -> None:
        """Take ``data`` (None: deleted) at ``rev`` into the local copy when it is newer."""
        if rev <= self._revs.get(kvkey, 0):
            return
        self._revs[kvkey] = rev
        scope_token, _, key_token = kvkey.partition(".")
        scope, key = decode_token(scope_token), decode_token(key_token)
        if data is None:
            self._data.get(scope, {}).pop(key, None)
            return
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            logger.warning(f"Context entry {kvkey} is not JSON; ignored")
            return
        self._data.setdefault(scope, {})[key] = value

    @staticmethod
    def _kvkey(scope: str, top: Any) -> str:
        return f"{encode_token(scope)}.{encode_token(str(top))}"

    # -- the ContextStore interface ----------------------------------------------------------
    def get(self, scope: str, key: str) -> Any:
        """The value at ``key`` (a property expression) from the local copy, UNDEFINED when
        missing."""
        return get_property(self._data.get(scope, {}), key)

    def keys(self, scope: str) -> list[str]:
        """The scope's top-level keys, from the local copy."""
        return list(self._data.get(scope, {}))

    def set(self, scope: str, key: str, value: Any) -> None:
        """Set (UNDEFINED: delete) ``key`` locally at once and write its entry to the bucket in
        the background; a write that fails is logged. Raises PropertyError for a bad key,
        TypeError for a value orjson cannot encode."""
        if self._loop is None:
            raise RuntimeError("the nats context store is not connected yet")
        path = parse_path(key)
        top = path[0]
        kvkey = self._kvkey(scope, top)
        with self._lock:
            data, new = self._changed(scope, path, value)
            if data is None:
                self._data.get(scope, {}).pop(top, None)
            else:
                self._data.setdefault(scope, {})[top] = new
            self._inflight[kvkey] = self._inflight.get(kvkey, 0) + 1
        self._loop.call_soon_threadsafe(self._spawn, kvkey, data)

    def delete_scope(self, scope: str) -> None:
        """Delete every key of ``scope`` (in the bucket too)."""
        for key in self.keys(scope):
            self.set(scope, key, UNDEFINED)

    def _changed(self, scope: str, path: tuple, value: Any) -> tuple[bytes | None, Any]:
        """The new top-level entry after setting ``path`` to ``value``: (its JSON, the decoded
        value), or (None, None) when the entry goes."""
        top = path[0]
        if len(path) == 1:
            if value is UNDEFINED:
                return None, None
            data = _dumps(value)
            return data, orjson.loads(data)
        current = self._data.get(scope, {}).get(top, UNDEFINED)
        holder = {top: orjson.loads(_dumps(current))} if current is not UNDEFINED else {}
        if value is UNDEFINED:
            delete_property(holder, path)
        else:
            set_property(holder, path, value)
        if top not in holder:
            return None, None
        data = _dumps(holder[top])
        return data, orjson.loads(data)

    def _spawn(self, kvkey: str, data: bytes | None) -> None:
        task = self._loop.create_task(self._write(kvkey, data))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write(self, kvkey: str, data: bytes | None) -> None:
        rev = 0
        try:
            rev = await asyncio.wait_for(self._publish(kvkey, data), WRITE_TIMEOUT)
        except Exception as exc:
            logger.error(f"Context {decode_token(kvkey.partition('.')[2])!r} was not stored in NATS: "
                         f"{exc or type(exc).__name__}")
        finally:
            self._settle(kvkey, rev)

    async def _publish(self, kvkey: str, data: bytes | None, last: int | None = None) -> int:
        headers = {} if last is None else {"Nats-Expected-Last-Subject-Sequence": str(last)}
        if data is None:
            headers["KV-Operation"] = "DEL"
        ack = await self._kv._js.publish(self._kv._pre + kvkey, data or b"", headers=headers or None)
        return ack.seq

    def _settle(self, kvkey: str, rev: int) -> None:
        """One of this worker's writes to ``kvkey`` was acknowledged at ``rev`` (0: it failed).
        When none is left in flight, a newer entry watched meanwhile replaces the local value."""
        with self._lock:
            left = self._inflight.get(kvkey, 1) - 1
            self._acked[kvkey] = max(self._acked.get(kvkey, 0), rev)
            if left > 0:
                self._inflight[kvkey] = left
                return
            self._inflight.pop(kvkey, None)
            acked = self._acked.pop(kvkey)
            deferred = self._deferred.pop(kvkey, None)
            if deferred is not None and deferred.revision > acked:
                self._apply(kvkey, deferred.revision, None if deferred.operation else deferred.value)
            elif acked > self._revs.get(kvkey, 0):
                self._revs[kvkey] = acked

    # -- compare-and-set (update) ------------------------------------------------------------
    def peek(self, scope: str, key: str) -> tuple[Any, Any]:
        """``(token, value)``: the KV revision of ``key``'s entry and its value (UNDEFINED when
        missing) from the local copy, for ``cas``."""
        kvkey = self._kvkey(scope, parse_path(key)[0])
        with self._lock:
            token = -1 if self._inflight.get(kvkey) else self._revs.get(kvkey, 0)
            return token, self.get(scope, key)

    def cas(self, scope: str, key: str, token: Any, value: Any) -> concurrent.futures.Future:
        """Set ``key`` to ``value`` (UNDEFINED: delete) only if its entry is still at revision
        ``token`` (from ``peek``), in the bucket as a JetStream expected-last-subject-sequence
        publish. Returns a future of True (done) or False (changed meanwhile: a new ``peek``
        sees the newer value). This worker's attempts on one entry go to NATS one at a time,
        so those that lost to a local winner fail without a round trip."""
        return asyncio.run_coroutine_threadsafe(self._cas_in_turn(scope, parse_path(key), token, value), self._loop)

    async def _cas_in_turn(self, scope: str, path: tuple, token: Any, value: Any) -> bool:
        kvkey = self._kvkey(scope, path[0])
        before = self._cas_tail.get(kvkey)
        mine = self._cas_tail[kvkey] = self._loop.create_future()
        try:
            if before is not None:
                await before
            return await self._cas(kvkey, scope, path, token, value)
        finally:
            mine.set_result(None)
            if self._cas_tail.get(kvkey) is mine:
                del self._cas_tail[kvkey]

    async def _cas(self, kvkey: str, scope: str, path: tuple, token: Any, value: Any) -> bool:
        from nats.js.errors import APIError

        with self._lock:
            busy = bool(self._inflight.get(kvkey))
            current = self._revs.get(kvkey, 0)
            if not busy and current == token:
                data, _ = self._changed(scope, path, value)
        if busy or token < 0:
            await self._refresh(kvkey)  # own plain sets first
            return False
        if current != token:
            return False  # the local copy already holds a newer value
        try:
            rev = await asyncio.wait_for(self._publish(kvkey, data, last=token), WRITE_TIMEOUT)
        except APIError as exc:
            if getattr(exc, "err_code", None) != 10071:  # wrong last sequence
                raise
            await self._refresh(kvkey)
            return False
        with self._lock:
            if not self._inflight.get(kvkey):
                self._apply(kvkey, rev, data)
        return True

    async def _refresh(self, kvkey: str) -> None:
        """Read ``kvkey``'s newest entry from the bucket into the local copy."""
        from nats.js.errors import KeyNotFoundError

        await asyncio.sleep(0)
        while self._inflight.get(kvkey):  # own writes first: their acks bring the newest value
            await asyncio.sleep(0.002)
        try:
            entry = await self._kv.get(kvkey, validate_keys=False)
            rev, data = entry.revision, entry.value
        except KeyNotFoundError as exc:
            if exc.entry is None:
                return
            rev, data = exc.entry.revision, None
        with self._lock:
            if not self._inflight.get(kvkey):
                self._apply(kvkey, rev, data)
