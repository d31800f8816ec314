"""The ``function`` node: runs a user's JavaScript against each msg, in an embedded V8.

As Node-RED's function node (nodes/core/function/10-function.js, 10-function.html). The code
runs in a V8 isolate (``py_mini_racer``) shared with the event loop's other function nodes, each
node's code in its own scope (an isolate of its own when the code may run after its job ended:
see nodes/js_isolate.py); the isolate's thread runs the code while the event loop keeps
serving. The JavaScript side of the API is nodes/function_sandbox.js.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
from collections import OrderedDict, deque
from contextlib import AbstractContextManager
from typing import Any, Callable

from py_mini_racer import JSEvalException, MiniRacer
from pydantic import ConfigDict, Field, field_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, register
from flowred.fields import EmptyDefault, Text

from .common import JSError
from .js_isolate import Isolate, isolate_for, runs_later

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 10.0  # seconds any one run may take when the node sets no timeout
DEFAULT_HEAP_MIB = 128  # MiB of V8 heap per isolate when the settings name none (functionHeapLimit)
MAX_REFS = 10000      # msg.req/msg.res objects kept for msgs still inside the node
_REF = "__flowred_ref__"
_USER_DONE = re.compile(r"node\.done\s*\(\s*\)")
_AWAIT = re.compile(r"\bawait\b")
_REQ_FIELDS = ("method", "url", "originalUrl", "path", "hostname", "ip", "protocol",
               "headers", "query", "params", "cookies", "body")


class FunctionConfig(NodeConfig):
    """Function node settings (Node-RED's defaults).

    ``func``: the body of a JavaScript function of ``msg``. ``outputs``: number of outputs, a
    whole number >= 0 (text such as ``"2"`` is read as a number, empty as 0; a negative count is
    refused at deploy, naming the field: the node would lose its port and wires).
    ``timeout``: seconds one run may take, 0 = no node limit (FlowRed still stops a run after
    10 s). ``initialize``/``finalize``: the On Start and On Stop code. ``libs``: external
    modules (not supported: a node that lists any reports an error and handles no msgs).
    ``noerr``: the editor's count of syntax errors, unused at runtime.

    The editor groups the fields in tabs as Node-RED's 10-function.html: ``x-tab`` of each
    field names its tab, ``x-tabs`` of the model their order, ``x-tab-default`` the one shown first.
    """

    model_config = ConfigDict(json_schema_extra={"x-tabs": ["Setup", "On Start", "On Message", "On Stop"],
                                                 "x-tab-default": "On Message"})

    func: Text = Field("\nreturn msg;", json_schema_extra={"x-tab": "On Message"})
    outputs: int = Field(1, ge=0, json_schema_extra={"x-tab": "Setup"})
    timeout: float = Field(0, json_schema_extra={"x-tab": "Setup"})
    noerr: int = 0
    initialize: Text = Field("", json_schema_extra={"x-tab": "On Start"})
    finalize: Text = Field("", json_schema_extra={"x-tab": "On Stop"})
    libs: EmptyDefault[list[dict]] = Field([], json_schema_extra={"x-tab": "Setup"})

    @field_validator("outputs", "noerr", "timeout", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        return 0 if v in (None, "") else v


@register("function", category="function", color="#fdd0a2", inputs=1, outputs=1)
class FunctionNode(Node):
    """Runs JavaScript against each msg, as Node-RED's function node.

    The code is the body of a function: it gets ``msg`` and returns a msg, an array with one
    entry per output (a msg, an array of msgs, or null), or null/undefined to send nothing.
    Available: ``node.send(msg|array[, clone])``, ``node.done()``, ``node.warn/error/log``,
    ``node.status``, ``node.id``, ``node.name``, ``node.outputCount``, ``node.on("close")``,
    ``context``, ``flow`` and ``global`` (``get``/``set``/``keys``, also with a store name
    and a callback), ``env.get(name)``, ``RED.util.cloneMessage``,
    ``setTimeout``/``setInterval`` and their ``clear`` forms (all cleared when the node
    stops), ``console.log``, ``node.linkcall(target, msg[, {timeout, clone}])`` (Node-RED 5:
    calls the ``link in`` named or with id ``target`` and resolves with the msg its ``link
    out`` in return mode gives back; rejects with ``timeout`` after ``timeout`` ms, default
    5000), ``Buffer`` (a subset of Node.js': see function_sandbox.js). ``await`` may be used. On
    Start code runs once before the first msg, On Stop code when the node stops.

    ``context.update(key, fn[, store])`` (also on ``flow`` and ``global``; FlowRed's own, not in
    Node-RED) atomically replaces the value by ``fn(old)`` (``old`` undefined when missing; a
    result of undefined deletes the key) and returns a Promise of the new value:
    ``await global.update("count", (n) => (n || 0) + 1)``. On the ``nats`` context store it is
    a compare-and-set on the key's revision, retried (so ``fn`` may run more than once and
    should only compute); on ``memory`` and ``localfilesystem`` it is atomic in the process.
    Plain ``get`` then ``set`` is last-writer-wins: across cluster workers two such increments
    can count once.

    A thrown error is reported with its msg (catch nodes get it) as Node-RED's 10-function.js
    does: ``"TypeError: ..."`` as the Error's ``toString()``, except that a ReferenceError
    thrown in the body reads ``"ReferenceError: ReferenceError: x is not defined (line 2, col
    1)"``; catch nodes also get ``msg.error.stack`` and the Error as ``msg._error``, the debug
    sidebar shows it as an Error object. A run taking longer than ``timeout`` seconds (10 s
    when none is set) is stopped and reported as ``"Error: Script execution timed out after
    <ms>ms"``. msgs are copied into JavaScript as JSON (``msg.req``/``msg.res`` stay the same
    objects; bytes become Buffers, and Buffers leave as bytes). When the code returns the msg
    it got, that same msg object goes on with the top-level properties the code changed, added
    or deleted (as ``JSON.stringify`` reads them, key order included); properties it left as
    they were keep their values untouched, as in Node-RED.

    The code runs in a V8 isolate shared with other function nodes (Node-RED runs them all in
    one), compiled into a scope of its own: ``context``, ``flow``, ``global``, ``env``,
    ``console`` and the timers are the node's own; ``globalThis`` and the built-in prototypes
    are the isolate's. Code that uses ``await``, promise callbacks or ``async`` gets an isolate
    of its own (nodes/js_isolate.py). Each isolate's V8 heap is capped at the
    ``functionHeapLimit`` setting (MiB, default 128). Code that goes past it is stopped and its
    msg gets ``"Error: function node ran out of memory (limit 128 MiB)"`` (Node-RED's whole
    process would abort); the node then starts over in a new isolate of its own: its On Start
    code runs again, its timers and ``node.on("close")`` handlers are dropped (On Stop does not
    run for the old isolate), msgs still waiting for the code (a pending ``await``) get the same
    error, and queued msgs run in the new isolate. A node whose run is stopped for time in a
    shared isolate starts over in an isolate of its own the same way, so that the nodes it
    shared with are stalled at most once.
    """

    Config = FunctionConfig

    def __init__(self, config: FunctionConfig, flow) -> None:
        super().__init__(config, flow)
        self.js_limit = config.timeout if config.timeout > 0 else DEFAULT_LIMIT
        self._heap_mib = int(self.setting("functionHeapLimit", DEFAULT_HEAP_MIB))
        self.js_private = runs_later(config.func, config.initialize, config.finalize)
        self.user_done = bool(_USER_DONE.search(config.func))
        self.js_iso: Isolate | None = None
        self.js_key = 0
        self._msgs: deque[int] = deque()
        self._other: deque = deque()
        self._inflight: dict[int, dict] = {}
        self._views: dict[int, dict] = {}
        self._seq = itertools.count(1)
        self._refs: OrderedDict[int, Any] = OrderedDict()
        self._ref_ids = itertools.count(1)
        self.js_bytes_seen = False
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._calls: dict[str, tuple[int, asyncio.TimerHandle]] = {}
        self._ready = False
        self._failed = False
        self._status_set = False
        self.js_closing: asyncio.Future | None = None
        self._returned = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.config.libs:
            self.error("Function node not allowed to load external modules")
            return
        self._join(self.js_private, "Function node could not start V8")

    def _join(self, private: bool, failure: str) -> None:
        """Compile the code into the shared isolate (or, ``private``, a new one of its own)."""
        try:
            self.js_iso = isolate_for(self._heap_mib, private, _bell)
        except JSEvalException as exc:
            self._init_failed(f"{failure}: {exc}")
            return
        self.js_iso.attach(self)

    def code_parts(self) -> list[tuple[str, str, bool]]:
        """``(part, code, is_async)`` of the code to compile: body, and On Start/On Stop if set."""
        return [(part, code, part == "init" or bool(_AWAIT.search(code)))
                for part, code in (("body", self.config.func), ("init", self.config.initialize),
                                   ("fin", self.config.finalize))
                if code.strip() or part == "body"]

    def js_added(self) -> None:
        """The isolate compiled the code: On Start runs first, then the queued msgs."""
        self._ready = not self.config.initialize.strip()
        if not self._ready:
            self._other.append(("i", None, None))
        if self.js_has_work():
            self.js_iso.kick(self)

    async def close(self, removed: bool) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for _, handle in self._calls.values():
            handle.cancel()
        self._calls.clear()
        iso = self.js_iso
        if iso is None:
            return
        self._msgs.clear()
        self._other.clear()
        await iso.close_node(self, self.js_limit)
        self.js_iso = None
        self._inflight.clear()
        self._views.clear()
        self._refs.clear()
        if self._status_set:
            self.status({})

    # -- input -----------------------------------------------------------------------------
    def on_input(self, msg: dict) -> Any:
        if self.js_iso is None or self._failed:
            return None
        seq = next(self._seq)
        self._inflight[seq] = msg
        if "req" in msg or "res" in msg:
            self._views[seq] = {**msg, **{k: self._ref_view(msg[k]) for k in ("req", "res") if k in msg}}
        self._msgs.append(seq)
        if self.js_key:
            self.js_iso.kick(self)
        return PENDING

    def js_requeue(self, kind: str, a: Any, b: Any) -> None:
        """Put a job that did not run back in front of the queue."""
        if kind == "m":
            self._msgs.appendleft(a)
        elif kind != "x":
            self._other.appendleft((kind, a, b))

    def js_close_job(self) -> asyncio.Future:
        """Queue the close handlers and On Stop code; the future is done once they ran."""
        self.js_closing = asyncio.get_running_loop().create_future()
        self._other.append(("c", None, None))
        return self.js_closing

    def js_has_work(self) -> bool:
        return bool(self._other) or (self._ready and bool(self._msgs))

    def js_take(self, jobs: list, room: int) -> int:
        """Move up to ``room`` queued jobs onto ``jobs`` (flat ``key, kind, a, b``): timers, On
        Start and link call answers first, msgs once On Start is done. Returns how many."""
        key = self.js_key
        n = 0
        other = self._other
        while other and n < room:
            kind, a, b = other.popleft()
            jobs += (key, kind, a, b)
            n += 1
        if other or not self._ready:
            return n
        msgs = self._msgs
        inflight = self._inflight
        views = self._views
        popleft = msgs.popleft
        for _ in range(min(len(msgs), room - n)):
            seq = popleft()
            msg = views.get(seq) if views else None
            if msg is None:
                msg = inflight.get(seq)
                if msg is None:
                    continue
            jobs += (key, "m", seq, msg)
            n += 1
        return n

    def js_fail(self, kind: str, a: Any, text: str) -> None:
        """Job ``kind`` (with its first value ``a``) could not finish: report ``text``."""
        if kind == "m":
            self._views.pop(a, None)
            self.error(text, self._inflight.pop(a, None))
        elif kind == "t":
            self.error(text, {})
        elif kind == "i":
            self._init_failed(text)
        elif kind == "c":
            self.error(text)
            if self.js_closing is not None and not self.js_closing.done():
                self.js_closing.set_result(None)
        elif kind != "x":
            self.error(text)

    def js_restart(self, text: str | None, private: bool = True) -> None:
        """Start over in a new isolate (an isolate of its own unless ``private`` is False),
        after the code ran out of memory or time: timers and close handlers are dropped, msgs
        still waiting for the code (a pending ``await``) get ``text``, queued msgs stay queued
        and On Start runs again."""
        iso, self.js_iso = self.js_iso, None
        if iso is not None:
            iso.detach(self)
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._other.clear()
        if text is not None:
            queued = set(self._msgs)
            for seq in [seq for seq in self._inflight if seq not in queued]:
                self._views.pop(seq, None)
                self.error(text, self._inflight.pop(seq))
        if self.js_closing is not None:
            if not self.js_closing.done():
                self.js_closing.set_result(None)
            return
        if self._failed:
            return
        self._ready = False
        self._join(private, "Function node could not restart V8")

    def _init_failed(self, text: str) -> None:
        self.error(text)
        self._failed = True
        self._msgs.clear()
        self._inflight.clear()
        self._views.clear()

    # -- what the code did -----------------------------------------------------------------
    def js_effect(self, kind: str, v: Any) -> None:
        """Apply one effect of the code (function_sandbox.js ``emit``)."""
        if kind == "D" or kind == "d":
            # the code returned the msg it got: v is [seq, {key: new value}, deleted keys?],
            # applied to the msg object this node received, which goes on ("D": and is complete)
            msg = self._inflight.pop(v[0], None) if kind == "D" else self._inflight.get(v[0])
            if msg is None:
                return
            msg.update(v[1])
            if len(v) > 2:
                for k in v[2]:
                    msg.pop(k, None)
            self.send(self._restore(msg) if self._refs or self.js_bytes_seen else msg)
            if kind == "D":
                if self._views:
                    self._views.pop(v[0], None)
                self.done(msg)
        elif kind == "R":
            # the code returned the msg it got ("r" said which): its new content goes into the
            # msg object this node received (a new dict per msg and node would be garbage the
            # collector pays for)
            msg = self._inflight.get(self._returned)
            if msg is None:
                msg = v
            elif list(msg) == list(v):  # same keys in the same order (JSON reads in order)
                msg.update(v)
            else:
                msg.clear()
                msg.update(v)
            self.send(self._restore(msg) if self._refs or self.js_bytes_seen else msg)
        elif kind == "r":
            self._returned = v
        elif kind == "1":
            self.send(self._restore(v) if self._refs or self.js_bytes_seen else v)
        elif kind == "c":
            msg = self._inflight.pop(v, None)
            if self._views:
                self._views.pop(v, None)
            if msg is not None:
                self.done(msg)
        elif kind == "s":
            self.send([self._restore_all(out) if out else out for out in v])
        elif kind == "f":
            self._failed_msg(v[0], v[1], v[2] if len(v) > 2 else None)
        elif kind == "lc":
            self._link_call(v[0], v[1], self._restore(v[2]), v[3] / 1000)
        elif kind == "e":
            msg = v[1]
            self.error(v[0], self._restore(msg) if isinstance(msg, dict) else None)
        elif kind == "l":
            self._log(v[0], v[1])
        elif kind == "st":
            self._status_set = True
            self.status(v)
        elif kind == "ts":
            self._start_timer(v[0], v[1] / 1000, v[2])
        elif kind == "tc":
            handle = self._timers.pop(v, None)
            if handle is not None:
                handle.cancel()
        elif kind == "ready":
            self._ready = True
            if self.js_has_work():
                self.js_iso.kick(self)
        elif kind == "initfail":
            self._init_failed(v)
        elif kind == "closed":
            if self.js_closing is not None and not self.js_closing.done():
                self.js_closing.set_result(None)

    def _failed_msg(self, seq: int, text: str, js_error: dict | None) -> None:
        """The code threw (or called ``node.done(err)``) for msg ``seq``. As Node-RED, a thrown
        Error is also put on the msg as ``msg.error`` (catch nodes then see it as ``msg._error``)
        and its stack reaches catch nodes as ``msg.error.stack``."""
        self._views.pop(seq, None)
        msg = self._inflight.pop(seq, None)
        if js_error is None:
            self.error(text, msg)
            return
        err = JSError(text, js_error)
        if msg is not None:
            msg["error"] = err
        self.error(err, msg)

    # -- node.linkcall ---------------------------------------------------------------------
    def _link_call(self, call: int, target: str, msg: dict, timeout: float) -> None:
        """Send ``msg`` to the ``link in`` node ``target`` for ``node.linkcall`` (as Node-RED
        5's 10-function.js and nodes' linkcallTargets.getTargetNode): an id, else the unique
        ``link in`` of that name (this tab's first). The answer comes back through
        ``return_message``; none within ``timeout`` seconds rejects the call with ``timeout``."""
        node = self.get_node(target)
        if node is None:
            named = self.find_nodes("link in", target)
            if len(named) > 1:
                named = [n for n in named if n.z == self.z] or named
            if len(named) > 1:
                self._link_answer(call, None, f"Multiple link-in nodes named '{target}' found")
                return
            node = named[0] if named else None
        if node is None or node.type != "link in":
            self._link_answer(call, None, f"target link-in node '{target}' not found")
            return
        event_id = secrets.token_hex(14)
        stack = msg.get("_linkSource")
        if not isinstance(stack, list):
            stack = msg["_linkSource"] = []
        stack.append({"id": event_id, "node": self.id})
        timer = asyncio.get_running_loop().call_later(timeout, self._link_timeout, event_id)
        self._calls[event_id] = (call, timer)
        node.receive(msg)

    def return_message(self, event_id: Any, msg: dict) -> bool:
        """A ``link out`` in return mode gives back ``msg`` for the call ``event_id`` (as the
        link call node's); False when no call of this node waits for it."""
        waiting = self._calls.pop(event_id, None)
        if waiting is None:
            return False
        waiting[1].cancel()
        self._link_answer(waiting[0], msg, None)
        return True

    def _link_timeout(self, event_id: str) -> None:
        waiting = self._calls.pop(event_id, None)
        if waiting is not None:
            self._link_answer(waiting[0], None, "timeout")

    def _link_answer(self, call: int, msg: dict | None, error: str | None) -> None:
        if self.js_iso is None:
            return
        if msg is not None and ("req" in msg or "res" in msg):
            msg = {**msg, **{k: self._ref_view(msg[k]) for k in ("req", "res") if k in msg}}
        self._other.append(("lr", call, [msg, error]))
        if self.js_key:
            self.js_iso.kick(self)

    def _update_answer(self, uid: int, done: Any) -> None:
        """A ``context.update`` compare-and-set that had to ask its store (``nats``) is done."""
        if self.js_iso is None:
            return
        exc = done.exception()
        self._other.append(("ur", uid, [False, str(exc) or type(exc).__name__] if exc else [done.result(), None]))
        if self.js_key:
            self.js_iso.kick(self)

    def _log(self, level: int, text: str) -> None:
        if level == 30:
            self.warn(text)
        elif level == 40:
            self.log(text)
        else:
            logger.debug("[function:%s] %s", self.name or self.id, text)

    def _start_timer(self, tid: int, delay: float, repeat: bool) -> None:
        if self.js_iso is None:
            return
        delay = max(delay, 0.001)
        self._timers[tid] = asyncio.get_running_loop().call_later(delay, self._fire, tid, delay, repeat)

    def _fire(self, tid: int, delay: float, repeat: bool) -> None:
        if repeat:
            self._start_timer(tid, delay, True)
        else:
            self._timers.pop(tid, None)
        self._other.append(("t", tid, None))
        if self.js_key and self.js_iso is not None:
            self.js_iso.kick(self)

    def serve(self, request: list) -> Any:
        """Answer a synchronous request of the code: ``["env", name]``, or on context scope
        ``node``/``flow``/``global``: ``["get", scope, key, store]``, ``["set", scope, key,
        value, store]``, ``["del", scope, key, store]``, ``["keys", scope, store]``. Keys may
        be lists (several values at once, as Node-RED)."""
        op = request[0]
        if op == "env":
            return self.get_env(request[1])
        ctx = self.context()
        ctx = {"node": ctx, "flow": ctx.flow, "global": ctx.global_}[request[1]]
        if op == "peek":
            token, value = ctx.peek(request[2], request[3])
            return [token] if value is UNDEFINED else [token, value]
        if op == "cas":
            done = ctx.cas(request[2], request[4], request[5] if len(request) > 5 else UNDEFINED, request[3])
            if isinstance(done, bool):
                return done
            uid = next(self._seq)
            done.add_done_callback(lambda f: self._loop.call_soon_threadsafe(self._update_answer, uid, f))
            return {"w": uid}
        store = request[-1]
        if op == "keys":
            return ctx.keys(store)
        key = request[2]
        if op == "get":
            if isinstance(key, list):
                return [None if (v := ctx.get(k, store)) is UNDEFINED else v for k in key]
            return ctx.get(key, store)
        value = request[3] if op == "set" else UNDEFINED
        if isinstance(key, list):
            values = value if isinstance(value, list) else []
            for i, k in enumerate(key):
                ctx.set(k, values[i] if i < len(values) else UNDEFINED, store)
        else:
            ctx.set(key, value, store)
        return UNDEFINED

    # -- values between Python and JavaScript ----------------------------------------------
    def _ref_view(self, value: Any) -> dict:
        ref = next(self._ref_ids)
        self._refs[ref] = value
        if len(self._refs) > MAX_REFS:
            self._refs.popitem(last=False)
        if isinstance(value, dict):
            view = dict(value)
        else:
            view = {}
            for name in _REQ_FIELDS:
                attr = getattr(value, name, None)
                if attr is not None and not callable(attr):
                    view[name] = dict(attr) if hasattr(attr, "keys") else attr
        view[_REF] = ref
        return view

    def _restore_all(self, msgs: list) -> list:
        return [self._restore(m) for m in msgs]

    def _restore(self, msg: dict) -> dict:
        for k in ("req", "res"):
            v = msg.get(k)
            if type(v) is dict and _REF in v and v[_REF] in self._refs:
                msg[k] = self._refs[v[_REF]]
        if self.js_bytes_seen:
            for k, v in msg.items():
                msg[k] = _buffers(v)
        return msg


def _buffers(value: Any) -> Any:
    """Turn Node.js Buffer JSON (``{"type": "Buffer", "data": [...]}``) back into bytes."""
    if type(value) is dict:
        if len(value) == 2 and value.get("type") == "Buffer" and isinstance(value.get("data"), list):
            try:
                return bytes(value["data"])
            except (TypeError, ValueError):
                return value
        for k, v in value.items():
            value[k] = _buffers(v)
    elif type(value) is list:
        for i, v in enumerate(value):
            value[i] = _buffers(v)
    return value


def _bell(mr: MiniRacer, callback: Callable[[Any], None]) -> AbstractContextManager:
    """A JS→Python notification of ``mr``: entering it gives the JS function that calls
    ``callback`` on the event loop (py-mini-racer has no public way for JavaScript to call
    Python synchronously)."""
    return mr._ctx._register_js_notification(callback)
