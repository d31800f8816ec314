"""The V8 isolates (``py_mini_racer``) that run function nodes' code, and the job scheduler of each.

Node-RED runs every function node in one V8 isolate, a ``vm`` context per node. FlowRed does the
same where it is safe: the function nodes of an event loop whose code runs only inside a job
(no ``await``, promise callbacks or ``async``: see ``runs_later``) share ``SHARED_ISOLATES``
isolates (two: each runs on its own thread, so two nodes' batches run while Python applies a
third's), each node's code compiled once into its own scope (function_sandbox.js ``define``),
a deploy's new nodes all in one call. A node whose code
may run after a job ended (a promise continuation cannot be told apart from another node's) gets
an isolate of its own, as before, so that its memory bomb or endless loop is always its own.

Each isolate has one worker task: it takes the queued jobs of its nodes (msgs, timers, On
Start/On Stop, link call answers), up to ``MAX_BATCH`` of them with the same time limit, and
runs them in one call into V8; what the code did comes back as one flat list of effects that
each node applies. The heap limit (``functionHeapLimit``) and the time limit hold per isolate,
and a node that trips either in the shared isolate is moved to an isolate of its own (where it
starts over: On Start runs again), so that the other nodes keep answering. If the shared heap
stays over half its limit once the offender is gone, or the offender is not known, the shared
isolate is rebuilt and every node in it starts over in a new one.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import re
import weakref
from collections import deque
from contextlib import AbstractContextManager
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable

import orjson
from py_mini_racer import JSEvalException, MiniRacer

from flowred import UNDEFINED

from .js_engine import start_v8

if TYPE_CHECKING:
    from .function import FunctionNode

logger = logging.getLogger(__name__)

SANDBOX_JS = "\n".join(resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
                       for name in ("red_util.js", "function_sandbox.js"))
OOM_DRAIN_WAIT = 5.0  # seconds to ask an isolate that ran out of memory which job it was running
OOM_POLL = 0.25  # seconds between looks at whether code running outside a run (after an await) hit the limit
BATCH_BUDGET = 0.02   # seconds after which a batch starts no new job (function_sandbox.js)
MAX_BATCH = 500       # jobs handed to V8 in one call
CHUNK = 65536         # UTF-16 code units per channel chunk (function_sandbox.js)
SHARED_ISOLATES = 2   # isolates the function nodes of a loop share (each runs on its own thread)
_PARSE_LINE = re.compile(r":(\d+): (\w*Error: [^\n]*)")
_PARTS = {"body": "body", "init": "setup", "fin": "cleanup"}
_API = "context, flow, global, env, console, setTimeout, clearTimeout, setInterval, clearInterval"
_RUNS_LATER = re.compile(r"\b(await|async|Promise|linkcall|queueMicrotask|eval|Function)\b|\.\s*(then|catch|finally)\b")

_shared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # loop -> {heap MiB: [Isolate]}


def runs_later(*code: str) -> bool:
    """Whether code may run outside the job that started it (``await``, promise callbacks,
    ``async`` functions, ``eval``): such a node gets an isolate of its own."""
    return any(_RUNS_LATER.search(c) for c in code)


def isolate_for(heap_mib: int, private: bool, bell: Callable) -> "Isolate":
    """The running loop's shared isolate with ``heap_mib`` MiB of heap (made on first use), or a
    new private one. ``bell(mr, callback)`` registers a JS→Python notification of MiniRacer
    ``mr`` (a context manager entered for the JS function). Raises JSEvalException when V8
    cannot start."""
    if private:
        return Isolate(heap_mib, False, bell)
    loop = asyncio.get_running_loop()
    isolates = _shared.setdefault(loop, {}).setdefault(heap_mib, [])
    if len(isolates) < SHARED_ISOLATES:
        isolates.append(Isolate(heap_mib, True, bell))
        return isolates[-1]
    return min(isolates, key=Isolate.size)


class CodeError(Exception):
    """The user's code does not compile: ``SyntaxError: ... (body:line 3)``."""


class Isolate:
    """One V8 isolate with function_sandbox.js loaded, the function nodes in it (by key), the
    request channel and the worker that runs their jobs.

    JavaScript asks for context and env values synchronously: it writes a request into a
    shared buffer, rings a bell (a JS→Python notification) and waits for the answer that
    ``_on_bell`` writes into the same buffer. Everything else the code does comes back as the
    effects a run returns, or (code that ran after a run, a settled promise) a drain fetches.
    """

    def __init__(self, heap_mib: int, shared: bool, bell: Callable) -> None:
        self.heap_mib = heap_mib
        self.shared = shared
        self.closed = False
        self.bytes_seen = False
        self.nodes: dict[int, FunctionNode] = {}
        self._loop = asyncio.get_running_loop()
        self._keys = itertools.count(1)
        self._pending: dict[FunctionNode, None] = {}
        self._joining: deque = deque()
        self._join_soon = False
        self._system: list = []
        self._worker: asyncio.Task | None = None
        self._drain_wanted = False
        self._oom_poll: asyncio.TimerHandle | None = None
        start_v8()
        self._mr = MiniRacer()
        self._heap_limit = heap_mib * 1024 * 1024
        if self._heap_limit:
            self._mr.set_hard_memory_limit(self._heap_limit)
        self._mr.eval(SANDBOX_JS)
        self._bell: AbstractContextManager = bell(self._mr, self._on_bell)
        bell_fn = self._bell.__enter__()
        self._mem = self._mr.eval("__flowred.buffer")
        self._ctl = self._mem[:16].cast("i")
        self._request: list[str] = []
        self._reply: bytes | None = None
        self._mr.eval("__flowred.configure")(bell_fn)
        self._jobs = self._mr.eval("__flowred.jobsBuffer(0)")
        if self._heap_limit:
            self._oom_poll = self._loop.call_later(OOM_POLL, self._poll_memory)

    # -- nodes -----------------------------------------------------------------------------
    def size(self) -> int:
        """How many function nodes are in the isolate or about to join it."""
        return len(self.nodes) + len(self._joining)

    def attach(self, node: FunctionNode) -> None:
        """Compile ``node``'s code here: at the next turn of the event loop with every other
        node attached meanwhile, in one call (a deploy of many function nodes crosses into V8
        once), or between two runs when the isolate is busy (a call into a busy isolate would
        wait for it). A compile error is reported by the node; its msgs wait until then."""
        self._joining.append(node)
        if self._worker is None and not self._join_soon:
            self._join_soon = True
            self._loop.call_soon(self._join_now)

    def _join_now(self) -> None:
        self._join_soon = False
        if self._worker is None:
            self._add_all()

    def _add_all(self) -> None:
        """Compile the code of every node waiting to join, in one call; a node whose code
        fails is compiled again alone, for the error with its line."""
        joining = [n for n in self._joining if n.js_iso is self]
        self._joining.clear()
        if self.closed or not joining:
            return
        specs = []
        keys = {}
        for node in joining:
            key = next(self._keys)
            keys[key] = node
            info = {"id": node.id, "name": node.name, "outputCount": node.config.outputs,
                    "userDone": node.user_done}
            specs.append([key, info, [[part, self._source(part, code, is_async)]
                                      for part, code, is_async in node.code_parts()]])
        try:
            text = orjson.dumps(orjson.dumps(specs).decode()).decode()
            failed = set(orjson.loads(self._mr.eval(f"__flowred.addAll({text})")))
        except JSEvalException:
            failed = set(keys)
        for key, node in keys.items():
            if key in failed:
                self._add(node)
            else:
                self._added(key, node)

    def _add(self, node: FunctionNode) -> None:
        if self.closed or node.js_iso is not self:
            return
        key = next(self._keys)
        info = {"id": node.id, "name": node.name, "outputCount": node.config.outputs,
                "userDone": node.user_done}
        try:
            self._mr.eval(f"__flowred.add({key}, {orjson.dumps(orjson.dumps(info).decode()).decode()})")
            try:
                for part, code, is_async in node.code_parts():
                    self._define(key, part, code, is_async)
            except BaseException:
                self._mr.eval(f"__flowred.remove({key})")
                raise
        except (CodeError, JSEvalException) as exc:
            node.js_iso = None
            node.error(str(exc) if isinstance(exc, CodeError) else f"Function node could not start V8: {exc}")
            if not self.nodes:
                self.close()
            return
        self._added(key, node)

    def _added(self, key: int, node: FunctionNode) -> None:
        self.nodes[key] = node
        node.js_key = key
        if self.bytes_seen:
            node.js_bytes_seen = True
        node.js_added()

    @staticmethod
    def _source(part: str, code: str, is_async: bool) -> str:
        """An expression giving the factory of one part of the code: called with the node's
        API (``_API``) it returns the function; the user's first line is line 2."""
        args = "msg, node" if part == "body" else "node"
        return (f"(function ({_API}) {{ return {'async ' if is_async else ''}function ({args}) {{\n"
                f"{code}\n}}; }})\n//# sourceURL=function-{_PARTS[part]}")

    def _define(self, key: int, part: str, code: str, is_async: bool) -> None:
        factory, _, url = self._source(part, code, is_async).rpartition("\n//# sourceURL=")
        source = f"__flowred.define({key}, {part!r}, {factory});\n//# sourceURL={url}"
        try:
            self._mr.eval(source)
        except JSEvalException as exc:
            m = _PARSE_LINE.search(str(exc))
            text = f"{m.group(2)} ({_PARTS[part]}:line {int(m.group(1)) - 1})" if m else str(exc)
            raise CodeError(text) from None

    def detach(self, node: FunctionNode) -> None:
        """Forget ``node`` without running its On Stop code; an isolate left empty is closed."""
        key = node.js_key
        node.js_key = 0
        self._pending.pop(node, None)
        if self.nodes.pop(key, None) is None:
            return
        if not self.nodes:
            self.close()
        elif not self.closed:
            self._system += (key, "x", None, None)
            if self._worker is None:
                self._worker = self._loop.create_task(self._work())

    async def close_node(self, node: FunctionNode, limit: float) -> None:
        """Run ``node``'s close handlers and On Stop code (after what it has running), then
        forget it."""
        if node.js_key in self.nodes and not self.closed:
            closing = node.js_close_job()
            self.kick(node)
            try:
                await asyncio.wait_for(asyncio.shield(closing), limit + OOM_DRAIN_WAIT)
            except TimeoutError:
                pass
        if node.js_iso is self:
            self.detach(node)

    def kick(self, node: FunctionNode) -> None:
        """``node`` has jobs queued: have the worker run them."""
        self._pending[node] = None
        if self._worker is None and not self.closed:
            self._worker = self._loop.create_task(self._work())

    def close(self) -> None:
        """Drop the isolate (its nodes are gone or moved)."""
        if self.closed:
            return
        self.closed = True
        if self._oom_poll is not None:
            self._oom_poll.cancel()
        isolates = _shared.get(self._loop, {}).get(self.heap_mib, [])
        if self in isolates:
            isolates.remove(self)
        if self._worker is not None and self._worker is not asyncio.current_task():
            self._worker.cancel()
        self._ctl = self._mem = self._jobs = None
        self._bell.__exit__(None, None, None)
        self._mr.close()

    # -- the worker ------------------------------------------------------------------------
    def _poll_memory(self) -> None:
        """Code that runs after an ``await`` runs outside any run: look whether it went over the
        heap limit (V8 stopped it), and if so let the worker deal with it. One timer per isolate."""
        if self.closed:
            return
        if self._worker is None and self._mr.was_hard_memory_limit_reached():
            self._drain_wanted = True
            self._worker = self._loop.create_task(self._work())
        self._oom_poll = self._loop.call_later(OOM_POLL, self._poll_memory)

    async def _work(self) -> None:
        try:
            while not self.closed:
                if self._joining:
                    self._add_all()
                if self._drain_wanted:
                    self._drain_wanted = False
                    await self._drain()
                    continue
                jobs, limit = self._take()
                if not jobs:
                    break
                await self._run(jobs, limit)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not leave the nodes waiting silently
            logger.exception("function node isolate failed")
        finally:
            if self._worker is asyncio.current_task():
                self._worker = None
        if self._joining and not self.closed:
            self._worker = self._loop.create_task(self._work())

    def _take(self) -> tuple[list, float]:
        """The next batch: flat ``[key, kind, a, b, ...]`` jobs of nodes with the same time limit."""
        jobs = self._system
        self._system = []
        limit = None
        room = MAX_BATCH - len(jobs) // 4
        pending = self._pending
        for node in list(pending):
            if limit is None:
                limit = node.js_limit
            elif node.js_limit != limit:
                continue
            del pending[node]
            room -= node.js_take(jobs, room)
            if node.js_has_work():
                pending[node] = None
            if room <= 0:
                break
        return jobs, limit or 1.0

    async def _run(self, jobs: list, limit: float) -> None:
        self._request, self._reply = [], None
        data = orjson.dumps(jobs, default=self.json_default)
        if data.isascii():
            head = len(data).to_bytes(4, "little") + b"\x01\x00"
        else:
            data = data.decode().encode("utf-16-le", "surrogatepass")
            head = (len(data) // 2).to_bytes(4, "little") + b"\x02\x00"
        size = len(data) + 6
        if size > len(self._jobs):
            self._jobs = self._mr.eval(f"__flowred.jobsBuffer({size // 2 + 1})")
        jobs_buffer = self._jobs
        jobs_buffer[:6] = head
        jobs_buffer[6:size] = data
        try:
            async with asyncio.timeout(limit + BATCH_BUDGET):
                result = orjson.loads(await self._mr.eval_cancelable("__flowred.run()"))
        except TimeoutError:
            result = orjson.loads(await self._mr.eval_cancelable("__flowred.drain()"))
            self._apply(result)
            ran = result[0]
            if 0 <= ran < len(jobs) // 4:
                self._requeue(jobs, ran + 1)
                node = self.nodes.get(jobs[ran * 4])
                if node is not None:
                    node.js_fail(jobs[ran * 4 + 1], jobs[ran * 4 + 2], _timeout_text(limit))
                    if self.shared and node.js_iso is self:
                        node.js_restart(None)  # an endless loop moves the node out of the shared isolate
            return
        except JSEvalException as exc:
            if self._mr.was_hard_memory_limit_reached():
                await self._out_of_memory(jobs)
                return
            for i in range(0, len(jobs), 4):
                node = self.nodes.get(jobs[i])
                if node is not None:
                    node.js_fail(jobs[i + 1], jobs[i + 2], str(exc))
            return
        self._apply(result)
        self._requeue(jobs, result[0])

    async def _drain(self) -> None:
        """Effects queued since the last run (a promise settled)."""
        if self._mr.was_hard_memory_limit_reached():
            await self._out_of_memory([])
            return
        self._request, self._reply = [], None
        try:
            self._apply(orjson.loads(await self._mr.eval_cancelable("__flowred.drain()")))
        except JSEvalException:
            if not self._mr.was_hard_memory_limit_reached():
                raise
            await self._out_of_memory([])

    def _requeue(self, jobs: list, start: int) -> None:
        """Put the jobs from index ``start`` on back in front of their nodes' queues."""
        for i in range(len(jobs) - 4, start * 4 - 1, -4):
            node = self.nodes.get(jobs[i])
            if node is None:
                continue
            node.js_requeue(jobs[i + 1], jobs[i + 2], jobs[i + 3])
            self._pending[node] = None

    async def _out_of_memory(self, jobs: list) -> None:
        """The isolate went over its heap limit: fail the job that was running and move its node
        to a new isolate (where it starts over); when the shared heap stays full or the
        offender is not known, every node here starts over in a new shared isolate."""
        text = f"Error: function node ran out of memory (limit {self.heap_mib} MiB)"
        ran = -1
        try:
            async with asyncio.timeout(OOM_DRAIN_WAIT):
                self._mr.set_hard_memory_limit(self._heap_limit)
                result = orjson.loads(await self._mr.eval_cancelable("__flowred.drain()"))
            self._apply(result)
            ran = result[0]
        except (JSEvalException, TimeoutError):
            pass
        count = len(jobs) // 4
        if 0 <= ran < count:
            self._requeue(jobs, ran + 1)
            offenders = [self.nodes.get(jobs[ran * 4])]
            offenders[0] and offenders[0].js_fail(jobs[ran * 4 + 1], jobs[ran * 4 + 2], text)
        else:
            offenders = []
            for i in range(0, len(jobs), 4):
                node = self.nodes.get(jobs[i])
                if node is not None:
                    node.js_fail(jobs[i + 1], jobs[i + 2], text)
                    offenders.append(node)
        offenders = [n for n in dict.fromkeys(offenders) if n is not None]
        if not self.shared:
            for node in list(self.nodes.values()):
                node.js_restart(text)
            return
        for node in offenders:
            node.js_restart(text)
        if self.closed:
            return
        if offenders and ran >= 0 and not self._still_full():
            return
        isolates = _shared.get(self._loop, {}).get(self.heap_mib, [])
        if self in isolates:  # the heap stays full: every node starts over elsewhere
            isolates.remove(self)
        for node in list(self.nodes.values()):
            node.js_restart(text, node.js_private)
        self.close()

    def _still_full(self) -> bool:
        try:
            self._mr.low_memory_notification()
            used = self._mr.heap_stats()["used_heap_size"]
        except JSEvalException:
            return True
        return self._mr.was_hard_memory_limit_reached() or used > self._heap_limit / 2

    def _apply(self, fx: list) -> None:
        """Apply the flat ``[ran, key, kind, value, ...]`` result of a run or drain."""
        nodes = self.nodes
        node = None
        last = -1
        for i in range(1, len(fx), 3):
            key = fx[i]
            if key != last:
                last = key
                node = nodes.get(key)
                if key == 0:
                    self._bytes_made()
                    continue
            if node is not None:
                node.js_effect(fx[i + 1], fx[i + 2])

    def _bytes_made(self) -> None:
        if not self.bytes_seen:
            self.bytes_seen = True
            for node in self.nodes.values():
                node.js_bytes_seen = True

    def json_default(self, obj: Any) -> Any:
        """JSON for values orjson does not know: bytes as Node.js Buffer JSON, sets and tuples
        as arrays, anything else as its text."""
        if isinstance(obj, (bytes, bytearray, memoryview)):
            self._bytes_made()
            return {"type": "Buffer", "data": list(bytes(obj))}
        if isinstance(obj, (set, frozenset, tuple)):
            return list(obj)
        if obj is UNDEFINED:
            return None
        return str(obj)

    # -- the channel -----------------------------------------------------------------------
    def _on_bell(self, _handle: Any) -> None:
        ctl = self._ctl
        if ctl is None:
            return
        if ctl[0] == 1:
            self._answer(ctl)
        if ctl[3] == 1 and not self.closed:
            self._drain_wanted = True
            if self._worker is None:
                self._worker = self._loop.create_task(self._work())

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
            request = orjson.loads(text)
            node = self.nodes.get(request[0])
            if node is None:
                raise RuntimeError("the function node was stopped")
            value = node.serve(request[1:])
            answer = {} if value is UNDEFINED else {"v": value}
            data = orjson.dumps(answer, default=self.json_default)
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


def _timeout_text(limit: float) -> str:
    return f"Error: Script execution timed out after {round(limit * 1000)}ms"
