"""The ``function`` node: runs a user's JavaScript against each msg, in an embedded V8.

As Node-RED's function node (nodes/core/function/10-function.js, 10-function.html). Each node
gets its own V8 isolate (``py_mini_racer``), whose thread runs the code while the event loop
keeps serving; the JavaScript side of the API is nodes/function_sandbox.js.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
from collections import OrderedDict, deque
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any

import orjson
from py_mini_racer import JSEvalException, MiniRacer
from pydantic import Field, field_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, NodeError, register
from flowred.fields import EmptyDefault, Text

logger = logging.getLogger(__name__)

SANDBOX_JS = resources.files(__package__).joinpath("function_sandbox.js").read_text(encoding="utf-8")
DEFAULT_LIMIT = 10.0  # seconds any one run may take when the node sets no timeout
DEFAULT_HEAP_MIB = 128  # MiB of V8 heap per isolate when the settings name none (functionHeapLimit)
OOM_DRAIN_WAIT = 5.0  # seconds to ask an isolate that ran out of memory which job it was running
OOM_POLL = 0.25  # seconds between looks at whether code running outside a run (after an await) hit the limit
BATCH_BUDGET = 0.02   # seconds after which a batch starts no new msg (function_sandbox.js)
MAX_BATCH = 500       # msgs handed to V8 in one call
MAX_REFS = 10000      # msg.req/msg.res objects kept for msgs still inside the node
CHUNK = 65536         # UTF-16 code units per channel chunk (function_sandbox.js)
_REF = "__flowred_ref__"
_USER_DONE = re.compile(r"node\.done\s*\(\s*\)")
_AWAIT = re.compile(r"\bawait\b")
_PARSE_LINE = re.compile(r":(\d+): (\w*Error: [^\n]*)")
_REQ_FIELDS = ("method", "url", "originalUrl", "path", "hostname", "ip", "protocol",
               "headers", "query", "params", "cookies", "body")
_PARTS = {"body": "body", "init": "setup", "fin": "cleanup"}


class FunctionConfig(NodeConfig):
    """Function node settings (Node-RED's defaults).

    ``func``: the body of a JavaScript function of ``msg``. ``outputs``: number of outputs, a
    whole number >= 0 (text such as ``"2"`` is read as a number, empty as 0; a negative count is
    refused at deploy, naming the field: the node would lose its port and wires).
    ``timeout``: seconds one run may take, 0 = no node limit (FlowRed still stops a run after
    10 s). ``initialize``/``finalize``: the On Start and On Stop code. ``libs``: external
    modules (not supported: a node that lists any reports an error and handles no msgs).
    ``noerr``: the editor's count of syntax errors, unused at runtime.
    """

    func: Text = "\nreturn msg;"
    outputs: int = Field(1, ge=0)
    timeout: float = 0
    noerr: int = 0
    initialize: Text = ""
    finalize: Text = ""
    libs: EmptyDefault[list[dict]] = []

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
    objects; bytes become Buffers, and Buffers leave as bytes).

    Each node's V8 heap is capped at the ``functionHeapLimit`` setting (MiB, default 128). Code
    that goes past it is stopped and its msg gets ``"Error: function node ran out of memory
    (limit 128 MiB)"`` (Node-RED's whole process would abort); the node then starts over in a
    new isolate: its On Start code runs again, its timers and ``node.on("close")`` handlers are
    dropped (On Stop does not run for the old isolate), msgs still waiting for the code (a
    pending ``await``) get the same error, and queued msgs run in the new isolate.
    """

    Config = FunctionConfig

    def __init__(self, config: FunctionConfig, flow) -> None:
        super().__init__(config, flow)
        self._limit = config.timeout if config.timeout > 0 else DEFAULT_LIMIT
        self._heap_mib = int(self.setting("functionHeapLimit", DEFAULT_HEAP_MIB))
        self._oom_poll: asyncio.TimerHandle | None = None
        self._v8: _Sandbox | None = None
        self._msgs: deque = deque()
        self._other: deque = deque()
        self._drain_wanted = False
        self._worker: asyncio.Task | None = None
        self._inflight: dict[int, dict] = {}
        self._seq = itertools.count(1)
        self._refs: OrderedDict[int, Any] = OrderedDict()
        self._ref_ids = itertools.count(1)
        self._bytes_seen = False
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._calls: dict[str, tuple[int, asyncio.TimerHandle]] = {}
        self._ready = not config.initialize.strip()
        self._failed = False
        self._status_set = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.config.libs:
            self.error("Function node not allowed to load external modules")
            return
        try:
            self._v8 = self._sandbox()
        except JSEvalException as exc:
            self.error(f"Function node could not start V8: {exc}")
            return
        except _CodeError as exc:
            self.error(str(exc))
            return
        if not self._ready:
            self._other.append(("i",))
            self._kick()
        if self._heap_mib:
            self._oom_poll = asyncio.get_running_loop().call_later(OOM_POLL, self._poll_memory)

    def _poll_memory(self) -> None:
        """Code that runs after an ``await`` runs outside any run: look whether it went over the
        heap limit (V8 stopped it), and if so let the worker start over."""
        if self._v8 is None:
            return
        if self._worker is None and self._v8.out_of_memory():
            self._drain_wanted = True
            self._kick()
        self._oom_poll = asyncio.get_running_loop().call_later(OOM_POLL, self._poll_memory)

    def _sandbox(self) -> "_Sandbox":
        """A new isolate with the node's code defined in it (raises _CodeError, JSEvalException)."""
        v8 = _Sandbox(self, self._heap_mib)
        try:
            for part, code in (("body", self.config.func), ("init", self.config.initialize),
                               ("fin", self.config.finalize)):
                if code.strip() or part == "body":
                    v8.define(part, code, is_async=part == "init" or bool(_AWAIT.search(code)))
        except BaseException:
            v8.close()
            raise
        return v8

    async def close(self, removed: bool) -> None:
        if self._oom_poll is not None:
            self._oom_poll.cancel()
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for _, handle in self._calls.values():
            handle.cancel()
        self._calls.clear()
        v8, self._v8 = self._v8, None
        if v8 is None:
            return
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        self._msgs.clear()
        self._other.clear()
        try:
            _, effects = await v8.run([("c",)], self._limit)
            self._apply(effects)
        except TimeoutError:
            self.error(_timeout_text(self._limit))
        except JSEvalException as exc:
            self.error(str(exc))
        finally:
            v8.close()
        self._inflight.clear()
        self._refs.clear()
        if self._status_set:
            self.status({})

    # -- input -----------------------------------------------------------------------------
    def on_input(self, msg: dict) -> Any:
        if self._v8 is None or self._failed:
            return None
        seq = next(self._seq)
        self._inflight[seq] = msg
        if "req" in msg or "res" in msg:
            msg = {**msg, **{k: self._ref_view(msg[k]) for k in ("req", "res") if k in msg}}
        self._msgs.append(("m", seq, msg))
        self._kick()
        return PENDING

    def _kick(self) -> None:
        if self._worker is None and self._v8 is not None:
            self._worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        try:
            while self._v8 is not None:
                if self._drain_wanted:
                    self._drain_wanted = False
                    if self._v8.out_of_memory():
                        await self._out_of_memory([], self._other)
                        continue
                    try:
                        self._apply((await self._v8.drain())[1])
                    except JSEvalException:
                        if not self._v8.out_of_memory():
                            raise
                        await self._out_of_memory([], self._other)
                elif self._other:
                    await self._run_batch(self._other)
                elif self._msgs and self._ready:
                    await self._run_batch(self._msgs)
                else:
                    break
        finally:
            self._worker = None

    async def _run_batch(self, queue: deque) -> None:
        batch = [queue.popleft() for _ in range(min(len(queue), MAX_BATCH))]
        try:
            ran, effects = await self._v8.run(batch, self._limit + BATCH_BUDGET, self.json_default)
        except TimeoutError:
            ran, effects = await self._v8.drain()
            self._apply(effects)
            if 0 <= ran < len(batch):
                self._fail(batch[ran], _timeout_text(self._limit))
                queue.extendleft(reversed(batch[ran + 1:]))
            return
        except JSEvalException as exc:
            if self._v8.out_of_memory():
                await self._out_of_memory(batch, queue)
                return
            for job in batch:
                self._fail(job, str(exc))
            return
        self._apply(effects)
        queue.extendleft(reversed(batch[ran:]))

    async def _out_of_memory(self, batch: list, queue: deque) -> None:
        """The isolate went over its heap limit running ``batch``: fail the job that was running,
        keep the later ones queued, and start over in a new isolate."""
        text = f"Error: function node ran out of memory (limit {self._heap_mib} MiB)"
        ran = -1
        try:
            async with asyncio.timeout(OOM_DRAIN_WAIT):
                ran, effects = await self._v8.drain_after_oom()
            self._apply(effects)
        except (JSEvalException, TimeoutError):
            pass
        if 0 <= ran < len(batch):
            self._fail(batch[ran], text)
            queue.extendleft(reversed(batch[ran + 1:]))
        else:
            for job in batch:
                self._fail(job, text)
        old, self._v8 = self._v8, None
        old.close()
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        self._other.clear()
        queued = {job[1] for job in self._msgs}
        for seq in [seq for seq in self._inflight if seq not in queued]:
            self.error(text, self._inflight.pop(seq))
        if self._failed:
            return
        try:
            self._v8 = self._sandbox()
        except (JSEvalException, _CodeError) as exc:
            self._init_failed(f"Function node could not restart V8: {exc}")
            return
        self._ready = not self.config.initialize.strip()
        if not self._ready:
            self._other.append(("i",))

    def _fail(self, job: tuple, text: str) -> None:
        kind = job[0]
        if kind == "m":
            self.error(text, self._inflight.pop(job[1], None))
        elif kind == "t":
            self.error(text, {})
        elif kind == "i":
            self._init_failed(text)
        else:
            self.error(text)

    def _init_failed(self, text: str) -> None:
        self.error(text)
        self._failed = True
        self._msgs.clear()
        self._inflight.clear()

    # -- what the code did -----------------------------------------------------------------
    def _apply(self, effects: list) -> None:
        for effect in effects:
            kind = effect[0]
            if kind == "s":
                self.send([self._restore_all(out) if out else out for out in effect[1]])
            elif kind == "c":
                msg = self._inflight.pop(effect[1], None)
                if msg is not None:
                    self.done(msg)
            elif kind == "f":
                self._failed_msg(effect[1], effect[2], effect[3] if len(effect) > 3 else None)
            elif kind == "b":
                self._bytes_seen = True
            elif kind == "lc":
                self._link_call(effect[1], effect[2], self._restore(effect[3]), effect[4] / 1000)
            elif kind == "e":
                msg = effect[2]
                self.error(effect[1], self._restore(msg) if isinstance(msg, dict) else None)
            elif kind == "l":
                self._log(effect[1], effect[2])
            elif kind == "st":
                self._status_set = True
                self.status(effect[1])
            elif kind == "ts":
                self._start_timer(effect[1], effect[2] / 1000, effect[3])
            elif kind == "tc":
                handle = self._timers.pop(effect[1], None)
                if handle is not None:
                    handle.cancel()
            elif kind == "ready":
                self._ready = True
                self._kick()
            elif kind == "initfail":
                self._init_failed(effect[1])

    def _failed_msg(self, seq: int, text: str, js_error: dict | None) -> None:
        """The code threw (or called ``node.done(err)``) for msg ``seq``. As Node-RED, a thrown
        Error is also put on the msg as ``msg.error`` (catch nodes then see it as ``msg._error``)
        and its stack reaches catch nodes as ``msg.error.stack``."""
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
        if self._v8 is None:
            return
        if msg is not None and ("req" in msg or "res" in msg):
            msg = {**msg, **{k: self._ref_view(msg[k]) for k in ("req", "res") if k in msg}}
        self._other.append(("lr", call, msg, error))
        self._kick()

    def _update_answer(self, uid: int, done: Any) -> None:
        """A ``context.update`` compare-and-set that had to ask its store (``nats``) is done."""
        if self._v8 is None:
            return
        exc = done.exception()
        self._other.append(("ur", uid, False, str(exc) or type(exc).__name__) if exc
                           else ("ur", uid, done.result(), None))
        self._kick()

    def _log(self, level: int, text: str) -> None:
        if level == 30:
            self.warn(text)
        elif level == 40:
            self.log(text)
        else:
            logger.debug("[function:%s] %s", self.name or self.id, text)

    def _start_timer(self, tid: int, delay: float, repeat: bool) -> None:
        if self._v8 is None:
            return
        delay = max(delay, 0.001)
        self._timers[tid] = asyncio.get_running_loop().call_later(delay, self._fire, tid, delay, repeat)

    def _fire(self, tid: int, delay: float, repeat: bool) -> None:
        if repeat:
            self._start_timer(tid, delay, True)
        else:
            self._timers.pop(tid, None)
        self._other.append(("t", tid))
        self._kick()

    def wake(self) -> None:
        """The code queued effects outside a run (a promise settled): fetch them."""
        self._drain_wanted = True
        self._kick()

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
    def json_default(self, obj: Any) -> Any:
        """JSON for values orjson does not know: bytes as Node.js Buffer JSON, sets and tuples
        as arrays, anything else as its text."""
        if isinstance(obj, (bytes, bytearray, memoryview)):
            self._bytes_seen = True
            return {"type": "Buffer", "data": list(bytes(obj))}
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        if obj is UNDEFINED:
            return None
        return str(obj)

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
        if self._bytes_seen:
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


def _timeout_text(limit: float) -> str:
    return f"Error: Script execution timed out after {round(limit * 1000)}ms"


class JSError(NodeError):
    """An Error the user's code threw: ``str()`` is its text (``"TypeError: ..."``), ``js_error``
    its ``{name, message, stack}`` (the debug sidebar shows it as Node-RED shows an Error), and
    catch nodes get ``stack`` in ``msg.error``. Copies of a msg holding it share it."""

    def __init__(self, text: str, js_error: dict) -> None:
        super().__init__(text, stack=js_error.get("stack", ""))
        self.js_error = js_error

    def __deepcopy__(self, memo: dict) -> JSError:
        return self

    def __reduce__(self) -> tuple:
        return (JSError, (str(self), self.js_error))


class _CodeError(Exception):
    """The user's code does not compile: ``SyntaxError: ... (body:line 3)``."""


class _Sandbox:
    """One V8 isolate with function_sandbox.js loaded, and its request channel.

    JavaScript asks for context and env values synchronously: it writes a request into a
    shared buffer, rings a bell (a JS→Python notification) and waits for the answer that
    ``_on_bell`` writes into the same buffer. Everything else the code does comes back as the
    effects a ``run`` returns.
    """

    def __init__(self, node: FunctionNode, heap_mib: int = 0) -> None:
        self._node = node
        self._mr = MiniRacer()
        self._heap_limit = heap_mib * 1024 * 1024
        if self._heap_limit:
            self._mr.set_hard_memory_limit(self._heap_limit)
        self._mr.eval(SANDBOX_JS)
        self._bell: AbstractContextManager = self._mr._ctx._register_js_notification(self._on_bell)
        bell_fn = self._bell.__enter__()
        mem = self._mr.eval("__flowred.buffer")
        self._mem = mem
        self._ctl = mem[:16].cast("i")
        self._request: list[str] = []
        self._reply: bytes | None = None
        info = {"id": node.id, "name": node.name, "outputCount": node.config.outputs,
                "userDone": bool(_USER_DONE.search(node.config.func))}
        self._mr.eval("__flowred.configure")(bell_fn, orjson.dumps(info).decode())

    def define(self, part: str, code: str, is_async: bool) -> None:
        """Compile one part of the user's code (body, init or fin)."""
        args = "msg, node" if part == "body" else "node"
        source = (f"__flowred.define({part!r}, {'async ' if is_async else ''}function ({args}) {{\n"
                  f"{code}\n}});\n//# sourceURL=function-{_PARTS[part]}")
        try:
            self._mr.eval(source)
        except JSEvalException as exc:
            m = _PARSE_LINE.search(str(exc))
            text = f"{m.group(2)} ({_PARTS[part]}:line {int(m.group(1)) - 1})" if m else str(exc)
            raise _CodeError(text) from None

    async def run(self, jobs: list, limit: float, default: Any = None) -> tuple[int, list]:
        """Run jobs; returns how many ran and the effects. TimeoutError after ``limit`` s."""
        self._request, self._reply = [], None
        text = orjson.dumps(jobs, default=default).decode()
        source = f"__flowred.run({orjson.dumps(text).decode()})"
        async with asyncio.timeout(limit):
            return orjson.loads(await self._mr.eval_cancelable(source))

    async def drain(self) -> tuple[int, list]:
        """Effects queued since the last run; after a stopped run, the index of that job."""
        self._request, self._reply = [], None
        return orjson.loads(await self._mr.eval_cancelable("__flowred.drain()"))

    def out_of_memory(self) -> bool:
        """Whether the isolate went over its heap limit (V8 then stops the running code)."""
        return self._mr.was_hard_memory_limit_reached()

    async def drain_after_oom(self) -> tuple[int, list]:
        """``drain`` once the code was stopped for memory: re-arms the limit first (V8 stops
        any code while it is marked reached), so that the isolate can answer."""
        self._mr.set_hard_memory_limit(self._heap_limit)
        return await self.drain()

    def close(self) -> None:
        self._ctl = self._mem = None
        self._bell.__exit__(None, None, None)
        self._mr.close()

    # -- the channel -----------------------------------------------------------------------
    def _on_bell(self, _handle: Any) -> None:
        ctl = self._ctl
        if ctl is None:
            return
        if ctl[0] == 1:
            self._answer(ctl)
        if ctl[3] == 1:
            self._node.wake()

    def _answer(self, ctl: memoryview) -> None:
        if self._reply is not None:
            self._write(ctl, self._reply)
            return
        size = ctl[1] * 2
        self._request.append(self._mem[16:16 + size].tobytes().decode("utf-16-le", "surrogatepass"))
        if ctl[2]:
            self._write(ctl, b"")
            return
        text, self._request = "".join(self._request), []
        try:
            value = self._node.serve(orjson.loads(text))
            answer = {} if value is UNDEFINED else {"v": value}
            data = orjson.dumps(answer, default=self._node.json_default)
        except Exception as exc:  # reported to the code as a thrown Error
            data = orjson.dumps({"e": str(exc) or type(exc).__name__})
        self._write(ctl, data.decode().encode("utf-16-le", "surrogatepass"))

    def _write(self, ctl: memoryview, data: bytes) -> None:
        part, rest = data[:CHUNK * 2], data[CHUNK * 2:]
        self._mem[16:16 + len(part)] = part
        self._reply = rest or None
        ctl[1] = len(part) // 2
        ctl[2] = 1 if rest else 0
        ctl[0] = 2
