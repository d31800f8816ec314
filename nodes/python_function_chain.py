"""The runtime side of python-function's worker processes: chains of nodes, each with one worker.

A *chain* is a set of python-function nodes that share one worker process
(nodes/python_function_worker.py, which describes the protocol). A node alone is a chain of one.
Nodes started by the same deploy are joined into one chain by *fusable* wires: an output port of
a python-function node wired to exactly one node, a python-function node of the same flow (and
not to the node itself). Over a fused port the worker runs the next node's code itself, so a msg
crosses the process boundary once per chain instead of once per node. Each node keeps its own
namespace, context, status, errors (reported with its own id, so catch nodes scoped to it get
them, with its input msg as it was before the run), done/complete, time limit and On Start/On
Stop. Which ports are fused is decided per batch of msgs (``Chain.plan``) from the wiring as it
is then: a port rewired by a later deploy, a closed or failed node, and the msg trace being on
(the runtime then records every hop) send through the runtime as before; a wire closing a loop
is not fused (a loop of msgs keeps going through the runtime, where other msgs interleave).

The memory cap is per worker process, so the nodes of a chain share it; a run that has to be
killed takes the chain's worker with it, and the new worker runs each node's On Start again.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import decimal
import io
import itertools
import pickle
import struct
import sys
import time
import uuid
from collections import OrderedDict, deque
from importlib import resources
from typing import TYPE_CHECKING, Any

from flowred import NodeError

if TYPE_CHECKING:
    from .python_function import PythonFunctionNode

__all__ = ["Chain"]

GRACE = 1.0
"""Seconds a stopped run may take to unwind before its worker process is killed."""
TICK = 1.0
"""Seconds between the worker's progress ticks in a long chain (the worker's TICK)."""
EXIT_WAIT = 2.0
"""Seconds a worker may take to exit when its nodes stop, before it is killed."""
MAX_REFS = 10000
"""Objects kept for reference (``msg.req`` ...) while msgs holding them may come back."""
MAX_BATCH = 1000
"""Msgs written to a worker at once; the next batch goes when the worker has answered them all."""
DROPPED_MSG = "msg dropped: the flows were redeployed or stopped while it was in flight"
"""The warning for each msg a stopping node had not run yet (as runtime/node.py's)."""
WORKER_SOURCE = resources.files(__package__).joinpath("python_function_worker.py").read_text(encoding="utf-8")

_LEN = struct.Struct(">I")
_TO_RUNTIME = b"_to_runtime"  # in the pickle of a frame that refers to a value kept here
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None), bytes, bytearray, tuple, set, frozenset,
                    datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal,
                    uuid.UUID})


class WorkerDied(Exception):
    """The worker process ended (or was killed) before it answered."""


class _Worker:
    """One worker process of a chain and the channel to it. ``call(frame, limit)`` sends a job
    and returns its ``(ok, value, timed_out)`` (On Start, On Stop); ``run(entries, plan, limit)``
    runs a batch of ``(node, msg)``, each result handled by its node as it arrives; events and
    requests of the code are handled as they arrive."""

    def __init__(self, chain: "Chain") -> None:
        self._chain = chain
        self._members = chain.members
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._pending: asyncio.Future | None = None
        self._progress: asyncio.Future | None = None
        self.inflight: deque[tuple] = deque()  # (node, msg) sent to run, in order, whose chain is not done
        self.late: tuple | None = None  # ("late", member, entry, snap): a run past its limit, not ended yet
        self.late_at = 0.0  # when ``late`` came (time.monotonic)
        self.progressed = 0.0  # when a run last ended (time.monotonic)
        self.dead = False  # killed, or its channel closed

    @property
    def msg(self) -> dict | None:
        """The msg the runtime sent that is running (None between msgs), for node.done()."""
        return self.inflight[0][1] if self.inflight else None

    async def start(self, setup: dict) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER_SOURCE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._write(("init", setup))

    @property
    def alive(self) -> bool:
        return not self.dead and self._proc is not None and self._proc.returncode is None

    async def call(self, frame: tuple, limit: float) -> tuple[bool, Any, bool]:
        """Send ``frame`` and wait at most ``limit`` s for its result. Raises TimeoutError (the
        worker is then killed) or WorkerDied."""
        loop = asyncio.get_running_loop()
        self._pending = loop.create_future()
        self._write(frame)
        try:
            async with asyncio.timeout(limit):
                return await self._pending
        except (TimeoutError, asyncio.CancelledError):
            self.kill()
            raise
        finally:
            self._pending = None

    async def run(self, entries: list[tuple], plan: tuple | None, limit: float) -> None:
        """Run ``entries`` (``(node, msg)``) in order, in one write; each node handles its
        results as they arrive. Returns once all are answered. Raises TimeoutError when no run
        ended for ``limit`` s, or for GRACE s after the worker said a run passed its limit (the
        worker is then killed), or WorkerDied; the entries not answered are then still in
        ``inflight``, the first of them the one whose chain was running. Woken only when the
        batch is done, a run is late or the worker died, not per result."""
        loop = asyncio.get_running_loop()
        self.late = None
        self._write_runs(entries, plan)
        self.progressed = time.monotonic()
        try:
            while self.inflight:
                if self.dead:
                    raise WorkerDied()
                late = self.late
                since, wait = (self.late_at, GRACE) if late is not None else (self.progressed, limit)
                left = since + wait - time.monotonic()
                if left <= 0:
                    raise TimeoutError()
                self._progress = loop.create_future()
                try:
                    async with asyncio.timeout(left):
                        await self._progress
                except TimeoutError:
                    continue  # look again: runs may have ended meanwhile
        except (TimeoutError, asyncio.CancelledError):
            self.kill()
            raise
        finally:
            self._progress = None

    def kill(self) -> None:
        self.dead = True
        if self._proc is not None and self._proc.returncode is None:
            try:
                self._proc.kill()
            except ProcessLookupError:
                pass

    async def stop(self) -> None:
        """End the process: ask it to exit, kill it when it does not."""
        if self._proc is None:
            return
        if self._proc.returncode is None and not self.dead:
            try:
                self._write(("exit",))
                self._proc.stdin.close()
                async with asyncio.timeout(EXIT_WAIT):
                    await self._proc.wait()
            except (TimeoutError, OSError, RuntimeError):
                pass
        if self._proc.returncode is None:
            self.kill()
            await self._proc.wait()
        self.dead = True
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    # -- the channel -----------------------------------------------------------------------
    def _write(self, frame: tuple) -> None:
        buf = io.BytesIO()
        buf.write(b"\0\0\0\0")
        self._chain.pickler(buf).dump(frame)
        data = buf.getbuffer()
        data[:4] = _LEN.pack(len(data) - 4)
        self._proc.stdin.write(data)

    def _write_runs(self, entries: list[tuple], plan: tuple | None) -> None:
        """One ``("runs", [(member, pickled msg), ...], routes, complete, keep)`` frame: each msg its
        own pickle, all in one write; each entry goes to ``inflight``. A msg that cannot be
        pickled is reported with it and not sent."""
        buf = io.BytesIO()
        pickler = self._chain.pickler(buf)
        inflight = self.inflight
        blobs = []
        for entry in entries:
            node, msg = entry
            try:
                pickler.dump(msg)
            except Exception as exc:  # noqa: BLE001 - reported with the msg, the batch goes on
                node.error(NodeError(f"Function could not be given the msg: {exc}"), msg)
            else:
                blobs.append((node.index, buf.getvalue()))
                inflight.append(entry)
            buf.seek(0)
            buf.truncate()
            pickler.clear_memo()
        if blobs:
            routes, complete, keep = plan if plan is not None else (None, (), ())
            self._write(("runs", blobs, routes, complete, keep))

    async def _read(self) -> None:
        """Read what the worker writes, as much as is there at a time, and handle each frame
        in order: results, events, requests (answered at once)."""
        stream = self._proc.stdout
        chain = self._chain
        evented = False  # events of the current msg were handled: its result waits a loop turn
        try:
            data = b""
            while True:
                data += await stream.read(1 << 20)
                if len(data) == 0 or stream.at_eof() and len(data) < 4:
                    break
                end = len(data)
                file = io.BytesIO(data)
                unpickler = chain.unpickler(file)
                plain = _TO_RUNTIME not in data  # no reference back: pickle.loads, the fast path
                pos = 0
                while pos + 4 <= end:
                    nxt = pos + 4 + _LEN.unpack_from(data, pos)[0]
                    if nxt > end:  # a frame not all there: read the rest of it
                        data = data[pos:] + await stream.readexactly(nxt - end)
                        end, pos, nxt = len(data), 0, nxt - pos
                        file = io.BytesIO(data)
                        unpickler = chain.unpickler(file)
                        plain = _TO_RUNTIME not in data
                    start, pos = pos + 4, nxt
                    try:
                        if plain:
                            frame = pickle.loads(memoryview(data)[start:pos])
                        else:
                            file.seek(start)
                            frame = unpickler.load()
                    except Exception as exc:  # noqa: BLE001 - a value the runtime cannot rebuild
                        chain.members[0].error(f"Function sent a value the runtime cannot read: {exc}")
                        unpickler = chain.unpickler(file)
                        continue
                    kind = frame[0]
                    if kind == "fresult" or kind == "result":
                        if evented:  # what the events sent is delivered before the result is handled
                            evented = False
                            await asyncio.sleep(0)
                        if kind == "fresult":
                            self._fresult(frame)
                        else:
                            self._result(frame)
                    elif kind == "end":
                        if self.inflight:
                            self.inflight.popleft()
                        self._advance()
                    elif kind == "tick":
                        self._advance()
                    elif kind == "late":
                        self.late, self.late_at = frame, time.monotonic()
                        self._poke()
                    elif kind in ("ctx", "env"):
                        self._answer(frame)
                    else:
                        evented = True
                        self._event(frame)
                data = data[pos:]
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.dead = True
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(WorkerDied())
            if self._progress is not None and not self._progress.done():
                self._progress.set_exception(WorkerDied())

    def _poke(self) -> None:
        progress = self._progress
        if progress is not None and not progress.done():
            progress.set_result(None)

    def _advance(self) -> None:
        """A run ended (the one that was late, if any, stopped); the pump is woken when no msg
        is left in flight."""
        self.late = None
        self.progressed = time.monotonic()
        if not self.inflight:
            self._poke()

    def _result(self, frame: tuple) -> None:
        """``("result", ok, value, timed_out)``: of the first msg in flight, else of ``call``."""
        if self.inflight:
            node, msg = self.inflight.popleft()
            node.finish(msg, frame[1], frame[2], frame[3], self)
            self._advance()
        elif self._pending is not None and not self._pending.done():
            self._pending.set_result(frame[1:])

    def _fresult(self, frame: tuple) -> None:
        """``("fresult", member, ok, value, timed_out, entry, snap, end)``: a run of a chain;
        ``end``: the last of the chain of the first msg in flight."""
        _, idx, ok, value, timed_out, entry, snap, end = frame
        self._members[idx].finish_chained(self.msg if entry else self._chain.input(snap), ok, value, timed_out, self)
        if end and self.inflight:
            self.inflight.popleft()
        self._advance()

    def _event(self, frame: tuple) -> None:
        node = self._members[frame[1]]
        if frame[0] == "done":
            node.event(frame, self.msg if frame[3] else self._chain.input(frame[4]))
        else:
            node.event(frame, None)

    def _answer(self, frame: tuple) -> None:
        try:
            value = self._members[frame[2]].serve(frame)
            if isinstance(value, concurrent.futures.Future):  # a nats context compare-and-set
                loop = asyncio.get_running_loop()
                value.add_done_callback(lambda f: loop.call_soon_threadsafe(self._answer_later, frame[1], f))
                return
            reply = ("reply", frame[1], True, value)
        except Exception as exc:  # noqa: BLE001 - reported to the code as a RuntimeError
            reply = ("reply", frame[1], False, str(exc) or type(exc).__name__)
        self._reply(frame, reply)

    def _answer_later(self, rid: int, done: concurrent.futures.Future) -> None:
        if self.dead or self._proc is None:
            return
        exc = done.exception()
        self._reply((None, rid), ("reply", rid, False, str(exc) or type(exc).__name__) if exc
                    else ("reply", rid, True, done.result()))

    def _reply(self, frame: tuple, reply: tuple) -> None:
        try:
            self._write(reply)
        except (pickle.PicklingError, TypeError) as exc:
            self._write(("reply", frame[1], False, f"cannot pass the value: {exc}"))


def _runtime_object(ref: int, view: dict | None) -> Any:
    """Never called here: the name under which a value kept in the runtime is pickled; the
    worker's unpickler makes it a ``RuntimeObject(ref, view)``."""
    raise TypeError("a runtime object reference is only read in a python-function worker")


class _Pickler(pickle.Pickler):
    """Pickles msgs for a worker: plain data by value, anything else by reference.

    ``reducer_override`` is only called for values that are not an exact dict, list, str,
    int, float, bytes, tuple, set, bool or None, so plain msgs pickle at C speed."""

    def __init__(self, file: Any, chain: "Chain") -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self._chain = chain

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _PLAIN or isinstance(obj, type) or obj is _runtime_object:
            return NotImplemented  # by value; classes and this function by name
        return _runtime_object, self._chain.keep(obj)


class _Unpickler(pickle.Unpickler):
    """Reads what a worker sent: references (the worker's ``_to_runtime(ref)``) become the
    original objects again."""

    def __init__(self, file: Any, chain: "Chain") -> None:
        super().__init__(file)
        self._chain = chain

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" and name == "_to_runtime":
            return self._chain.kept
        return super().find_class(module, name)


class Chain:
    """The python-function nodes sharing one worker process, its queue of msgs and its pump.

    ``members`` are the nodes in the order they joined (a node's ``index``); ``join(other)``
    takes another chain's nodes in while neither has started its worker (``sealed``);
    ``boot()`` seals the chain and starts the worker (On Start of each node). ``put(node,
    msg)`` queues a msg; ``close_member(node)`` ends a node (its On Stop; the worker stops
    with the last one)."""

    def __init__(self, node: "PythonFunctionNode") -> None:
        node.index = 0
        self.members: list[PythonFunctionNode] = [node]
        self.sealed = False
        self.closing = False
        self.worker: _Worker | None = None
        self.serial = asyncio.Lock()
        self.queue: deque[tuple] = deque()  # (node, msg) waiting for the worker, in arrival order
        self.pump: asyncio.Task | None = None
        self.boot_task: asyncio.Task | None = None
        self._sidebar = node.debug_sidebar()
        self._memory = node.memory
        self._refs: OrderedDict[int, Any] = OrderedDict()
        self._ref_ids = itertools.count(1)

    def join(self, other: "Chain") -> None:
        """Take ``other``'s nodes into this chain (both unsealed)."""
        if other is self:
            return
        for node in other.members:
            node.index = len(self.members)
            node.chain = self
            self.members.append(node)
        other.members = []

    def boot(self) -> None:
        """Seal the chain and start its worker (once; later calls do nothing)."""
        if self.sealed:
            return
        self.sealed = True
        self.boot_task = asyncio.get_running_loop().create_task(self._boot())

    async def _boot(self) -> None:
        async with self.serial:
            await self.ensure_worker()

    def put(self, node: "PythonFunctionNode", msg: dict) -> None:
        self.queue.append((node, msg))
        if self.pump is None:
            self.pump = asyncio.get_running_loop().create_task(self._pump_queue())

    # -- the worker ------------------------------------------------------------------------
    async def ensure_worker(self) -> _Worker | None:
        """The running worker; a new one (each node's On Start run in it) when there is none.
        Call with ``serial`` held. None when no node can run (closing, or On Start failed)."""
        self.sealed = True  # no node joins once a worker runs the members' code
        if self.worker is not None:
            if self.worker.alive:
                return self.worker
            old, self.worker = self.worker, None
            await old.stop()
        while True:
            live = [m for m in self.members if not m.closed and not m.failed]
            if not live or self.closing:
                return None
            worker = _Worker(self)
            try:
                await worker.start({"members": [m.setup for m in self.members], "memory": self._memory,
                                    "sys_path": list(sys.path)})
            except OSError as exc:
                for m in live:
                    m.failed = True
                    m.error(f"Function could not start its worker process: {exc}")
                return None
            for m in live:
                if not m.config.initialize.strip():
                    continue
                try:
                    ok, value, timed_out = await worker.call(("start", m.index), m.timeout + GRACE)
                except (TimeoutError, WorkerDied) as exc:
                    ok, value, timed_out = False, None, isinstance(exc, TimeoutError)
                if not ok:
                    m.failed = True
                    m.error(m.failure(value, timed_out, worker))
                if not worker.alive:
                    break
            if worker.alive and any(not m.failed for m in live):
                self.worker = worker
                return worker
            await worker.stop()

    def plan(self) -> tuple | None:
        """Which ports are fused for the next batch: ``(routes, complete, keep)`` with
        ``routes[i]`` None or the member index per port (-1: through the runtime),
        ``complete[i]`` whether member ``i`` completes its msgs, ``keep[i]`` whether it may need
        a run's input msg (completion, or an error a catch node may get); None when nothing is
        fused."""
        if len(self.members) < 2 or self._sidebar.tracing:
            return None
        members = self.members
        graph: list[list[int] | None] = []
        for node in members:
            ports = None
            if not node.closed and not node.failed:
                wires = node.wires()
                for port, targets in enumerate(wires):
                    if len(targets) == 1:
                        target = targets[0]
                        if getattr(target, "chain", None) is self and target is not node and not target.closed \
                                and not target.failed:
                            ports = ports or [-1] * len(wires)
                            ports[port] = target.index
            graph.append(ports)
        _cut_loops(graph)
        if not any(graph):
            return None
        routes = tuple(None if p is None or max(p) < 0 else tuple(p) for p in graph)
        return (routes, tuple(node.wants_completion() for node in members),
                tuple(node.needs_input() for node in members))

    async def _pump_queue(self) -> None:
        """Hand the queued msgs to the worker, a batch at a time, until none are left. A msg
        whose run timed out or whose worker died fails; the msgs after it go to a new worker.
        Msgs of a node that cannot run (On Start failed) are ignored."""
        queue = self.queue
        try:
            while queue:
                async with self.serial:
                    worker = await self.ensure_worker()
                    if worker is None:
                        queue.clear()
                        return
                    batch = []
                    while queue and len(batch) < MAX_BATCH:
                        entry = queue.popleft()
                        if not entry[0].failed:
                            batch.append(entry)
                    if not batch:
                        continue
                    plan = self.plan()
                    limit = max(m.timeout for m in self.members) + GRACE + (TICK if plan is not None else 0)
                    try:
                        await worker.run(batch, plan, limit)
                    except (TimeoutError, WorkerDied) as exc:
                        self._fail_running(worker, isinstance(exc, TimeoutError))
        finally:
            self.pump = None

    def _fail_running(self, worker: _Worker, timed_out: bool) -> None:
        """The worker was killed or died: the run it was in fails (on the node that ran it, with
        that node's input msg); the msgs after it are queued again for a new worker."""
        if not worker.inflight:
            return
        node, msg = worker.inflight.popleft()
        self.queue.extendleft(reversed(worker.inflight))
        worker.inflight.clear()
        late = worker.late
        if late is not None and 0 <= late[1] < len(self.members) and not late[2]:
            node, msg = self.members[late[1]], self.input(late[3])
        if not node.closed:
            node.error(NodeError(node.failure(None, timed_out, worker)), msg)

    # -- closing ---------------------------------------------------------------------------
    async def close_member(self, node: "PythonFunctionNode") -> None:
        """``node`` stops (its ``closed`` is set): its queued msgs are dropped (warned), its On
        Stop runs; with the last node of the chain the pump and the worker stop too."""
        live = [m for m in self.members if not m.closed]
        queue = self.queue
        if live:
            dropped = [e for e in queue if e[0] is node]
            if dropped:
                keep = [e for e in queue if e[0] is not node]
                queue.clear()
                queue.extend(keep)
            for _ in dropped:
                node.warn(DROPPED_MSG)
            async with self.serial:
                await self._finalize(node, self.worker)
            return
        self.closing = True
        if self.boot_task is not None and not self.boot_task.done():
            self.boot_task.cancel()
            await asyncio.gather(self.boot_task, return_exceptions=True)
        dropped = list(queue)
        queue.clear()
        if self.pump is not None:
            if self.worker is not None:
                dropped[:0] = self.worker.inflight
                self.worker.inflight.clear()
            self.pump.cancel()
            await asyncio.gather(self.pump, return_exceptions=True)
        for member, _ in dropped:  # Node-RED drops such a msg silently; say it, once per msg
            member.warn(DROPPED_MSG)
        async with self.serial:
            worker, self.worker = self.worker, None
            for member in self.members:
                await self._finalize(member, worker)
            if worker is not None:
                await worker.stop()
        self._refs.clear()

    async def _finalize(self, node: "PythonFunctionNode", worker: _Worker | None) -> None:
        """Run ``node``'s On Stop in ``worker`` (once)."""
        if node.finalized or worker is None or not worker.alive or node.failed:
            return
        node.finalized = True
        if not node.config.finalize.strip():
            return
        try:
            ok, value, timed_out = await worker.call(("fin", node.index), node.timeout + GRACE)
        except (TimeoutError, WorkerDied) as exc:
            ok, value, timed_out = False, None, isinstance(exc, TimeoutError)
        if not ok:
            node.error(node.failure(value, timed_out, worker))

    # -- values by reference ---------------------------------------------------------------
    def pickler(self, file: Any) -> pickle.Pickler:
        return _Pickler(file, self)

    def unpickler(self, file: Any) -> pickle.Unpickler:
        return _Unpickler(file, self)

    def load(self, data: bytes) -> Any:
        """A value the worker pickled on its own (a run's input msg)."""
        return pickle.loads(data) if _TO_RUNTIME not in data else self.unpickler(io.BytesIO(data)).load()

    def input(self, snap: bytes | str | None) -> dict | None:
        """The input msg of a chained run as the worker sent it: its pickle (``load``), or only
        its ``_msgid`` when the node did not need it whole (a msg with only that), or None."""
        if snap is None:
            return None
        return {"_msgid": snap} if isinstance(snap, str) else self.load(snap)

    def keep(self, obj: Any) -> tuple[int, dict | None]:
        """Keep ``obj`` in the runtime; the reference the worker gets (with a copy of its
        items when it is a dict)."""
        ref = next(self._ref_ids)
        self._refs[ref] = obj
        if len(self._refs) > MAX_REFS:
            self._refs.popitem(last=False)
        return (ref, dict(obj) if isinstance(obj, dict) else None)

    def kept(self, ref: Any) -> Any:
        """The object kept as ``ref`` (None when it was dropped meanwhile)."""
        return self._refs.get(ref)


def _cut_loops(graph: list[list[int] | None]) -> None:
    """Unfuse (set to -1) each port of ``graph`` (member → target per port) that closes a loop,
    so that a chain's runs always end (depth-first search; a port to a member still on the
    search path closes a loop)."""
    state = [0] * len(graph)  # 0 unseen, 1 on the path, 2 done
    for root in range(len(graph)):
        if state[root]:
            continue
        state[root] = 1
        path = [(root, 0)]
        while path:
            node, port = path[-1]
            ports = graph[node]
            if ports is None or port >= len(ports):
                state[node] = 2
                path.pop()
                continue
            path[-1] = (node, port + 1)
            target = ports[port]
            if target < 0:
                continue
            if state[target] == 1:
                ports[port] = -1
            elif state[target] == 0:
                state[target] = 1
                path.append((target, 0))
