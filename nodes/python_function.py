"""The ``python-function`` node: runs user Python code on each msg.

The Python counterpart of Node-RED's function node (nodes/core/function/10-function.js,
10-function.html), with node-red-contrib-python-function's type name and field names: ``func``
(the body), ``outputs``, plus the function node's ``initialize`` (On Start), ``finalize`` (On
Stop) and ``timeout`` (seconds).

How the code runs, and why:

* Each node owns one worker process (nodes/python_function_worker.py), started with the node
  and kept between msgs; msgs are handled one at a time, in arrival order (as a function node's
  code never runs twice at once). The runtime's event loop never runs user code, so neither a
  blocking body nor a runaway one holds up other nodes, the Admin API or the editor.
* Every run has a time limit (``timeout``; 0 means 10 s). When it passes, the worker raises an
  exception in the run (a BaseException, so ``except Exception`` does not swallow it): pure
  Python code stops at once and the msg's error reads ``Function timed out after N s``. Code
  that does not stop within 1 s more (it catches the exception, or waits inside C code such as
  ``time.sleep``) is killed with its whole process; a new process (On Start run again) takes
  the next msg.
* The worker's address space is capped at the ``pythonFunctionMemoryLimit`` setting (MiB,
  default 512; 0: no cap): past it allocations raise ``MemoryError`` in the user's code. A
  worker that dies (a crash, ``os._exit``) fails its msg and is started again for the next.
* Msgs travel in batches: the msgs that arrived while the worker was busy go to it in one
  write (up to MAX_BATCH), and the worker writes back what the code sent and returned for
  several msgs at once (at the latest a few ms after it was produced, and whenever it waits
  for more msgs). Each msg is still its own pickle, run and result: what the code sent and
  returned is pickled back at the call (so ``node.send`` copies at the call), and the time
  limit is per msg. Context ``get``/``set``/
  ``keys`` and ``env.get`` ask the runtime and wait for its answer. Values that are not plain
  data (``msg.req``, ``msg.res``, other objects) stay in the runtime: the code sees a dict of
  their items (``msg['req']['headers']``) and sending them on passes the original object.
"""
from __future__ import annotations

import ast
import asyncio
import concurrent.futures
import datetime
import decimal
import io
import itertools
import pickle
import re
import struct
import sys
import uuid
from collections import OrderedDict, deque
from importlib import resources
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, NodeError, generate_id, register
from flowred.fields import NonNegative, Text

__all__ = ["PythonFunctionConfig", "PythonFunctionNode"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a run may take when ``timeout`` is 0 (Node-RED's "no timeout")."""
GRACE = 1.0
"""Seconds a stopped run may take to unwind before its worker process is killed."""
DEFAULT_MEMORY_MIB = 512
"""MiB of address space of a worker when the settings name no ``pythonFunctionMemoryLimit``."""
EXIT_WAIT = 2.0
"""Seconds a worker may take to exit when its node stops, before it is killed."""
MAX_REFS = 10000
"""Objects kept for reference (``msg.req`` ...) while msgs holding them may come back."""
MAX_BATCH = 1000
"""Msgs written to a worker at once; the next batch goes when the worker has answered them all."""
DROPPED_MSG = "msg dropped: the flows were redeployed or stopped while it was in flight"
"""The warning for each msg a stopping node had not run yet (as runtime/node.py's)."""
WORKER_SOURCE = resources.files(__package__).joinpath("python_function_worker.py").read_text(encoding="utf-8")

_USES_DONE = re.compile(r"node\.done\s*\(\s*\)")  # Node-RED's test for code that calls done itself
_LEN = struct.Struct(">I")
_TO_RUNTIME = b"_to_runtime"  # in the pickle of a frame that refers to a value kept here
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None), bytes, bytearray, tuple, set, frozenset,
                    datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal,
                    uuid.UUID})


def _compile(source: str, filename: str, params: tuple[str, ...] | None) -> Any:
    """Compile ``source``: as the body of ``def __flowred_code__(*params)`` when ``params`` is
    given (``return`` allowed; line numbers stay the user's), else as module code. A syntax
    error becomes ValueError ``SyntaxError: <what> (line n, column c)`` (1-based, as Python's
    ``SyntaxError.lineno``/``offset``; no column when Python gives none)."""
    try:
        tree = ast.parse(source, filename, "exec")
        if params is not None:
            wrapper = ast.parse(f"def __flowred_code__({', '.join(params)}):\n pass\n", filename, "exec")
            wrapper.body[0].body = tree.body or [ast.Pass()]
            tree = ast.fix_missing_locations(wrapper)
        return compile(tree, filename, "exec")
    except SyntaxError as exc:
        where = f"line {exc.lineno}, column {exc.offset}" if exc.offset else f"line {exc.lineno}"
        raise ValueError(f"SyntaxError: {exc.msg} ({where})") from None


class PythonFunctionConfig(NodeConfig):
    """python-function settings.

    ``func``: the body of a function of ``msg``. ``outputs``: number of outputs (the wires
    decide delivery). ``initialize``: code run once at start, in the namespace the body and
    ``finalize`` share (imports, helper functions, variables it defines are visible to them).
    ``finalize``: code run when the node stops. ``timeout``: seconds one run may take; 0 means
    10 s.

    The editor shows the fields in the function node's tabs (Setup, On Start, On Message, On
    Stop): ``x-tab`` of each field, ``x-tabs`` (order) and ``x-tab-default`` of the model.
    """

    model_config = ConfigDict(json_schema_extra={"x-tabs": ["Setup", "On Start", "On Message", "On Stop"],
                                                 "x-tab-default": "On Message"})

    func: Text = Field("\nreturn msg", json_schema_extra={"x-tab": "On Message"})
    outputs: NonNegative[int] = Field(1, json_schema_extra={"x-tab": "Setup"})
    initialize: Text = Field("", json_schema_extra={"x-tab": "On Start"})
    finalize: Text = Field("", json_schema_extra={"x-tab": "On Stop"})
    timeout: NonNegative[float] = Field(0, json_schema_extra={"x-tab": "Setup"})

    @field_validator("func")
    @classmethod
    def _func_compiles(cls, v: str) -> str:
        _compile(v, "<func>", ("msg",))
        return v

    @field_validator("initialize")
    @classmethod
    def _initialize_compiles(cls, v: str) -> str:
        _compile(v, "<initialize>", None)
        return v

    @field_validator("finalize")
    @classmethod
    def _finalize_compiles(cls, v: str) -> str:
        _compile(v, "<finalize>", ())
        return v


class _WorkerDied(Exception):
    """The worker process ended (or was killed) before it answered."""


class _Worker:
    """One worker process of a node and the channel to it (the protocol is described in
    nodes/python_function_worker.py). ``call(frame, limit)`` sends a job and returns its
    ``(ok, value, timed_out)`` (On Start, On Stop); ``run(msgs, limit)`` runs a batch of msgs,
    each result handled by the node as it arrives; events and requests of the code are
    handled as they arrive."""

    def __init__(self, node: "PythonFunctionNode") -> None:
        self._node = node
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._pending: asyncio.Future | None = None
        self._progress: asyncio.Future | None = None
        self.inflight: deque[dict] = deque()  # msgs sent to run, in order, whose result is not in yet
        self.dead = False  # killed, or its channel closed

    @property
    def msg(self) -> dict | None:
        """The msg the code is running on (None between msgs), for node.done() and node.send()."""
        return self.inflight[0] if self.inflight else None

    async def start(self, setup: dict) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER_SOURCE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._write(("init", setup))

    @property
    def alive(self) -> bool:
        return not self.dead and self._proc is not None and self._proc.returncode is None

    async def call(self, frame: tuple | None, limit: float) -> tuple[bool, Any, bool]:
        """Send ``frame`` (None: wait for the On Start answer) and wait at most ``limit`` s for
        its result. Raises TimeoutError (the worker is then killed) or _WorkerDied."""
        loop = asyncio.get_running_loop()
        self._pending = loop.create_future()
        if frame is not None:
            self._write(frame)
        try:
            async with asyncio.timeout(limit):
                return await self._pending
        except (TimeoutError, asyncio.CancelledError):
            self.kill()
            raise
        finally:
            self._pending = None

    async def run(self, msgs: list[dict], limit: float) -> None:
        """Run ``msgs`` in order, in one write; the node handles each result as it arrives
        (``PythonFunctionNode.finish``). Returns once all are answered. Raises TimeoutError when
        no result came for ``limit`` s (the worker is then killed) or _WorkerDied; the msgs not
        answered are then still in ``inflight``, the first of them the one that was running."""
        loop = asyncio.get_running_loop()
        self._write_runs(msgs)
        try:
            while self.inflight:
                if self.dead:
                    raise _WorkerDied()
                self._progress = loop.create_future()
                async with asyncio.timeout(limit):
                    await self._progress
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
        self._node.pickler(buf).dump(frame)
        data = buf.getbuffer()
        data[:4] = _LEN.pack(len(data) - 4)
        self._proc.stdin.write(data)

    def _write_runs(self, msgs: list[dict]) -> None:
        """One ``("runs", [pickled msg, ...])`` frame: each msg its own pickle, all in one
        write; each msg goes to ``inflight``. A msg that cannot be pickled is reported with it
        and not sent."""
        buf = io.BytesIO()
        pickler = self._node.pickler(buf)
        inflight = self.inflight
        blobs = []
        for msg in msgs:
            try:
                pickler.dump(msg)
            except Exception as exc:  # noqa: BLE001 - reported with the msg, the batch goes on
                self._node.error(NodeError(f"Function could not be given the msg: {exc}"), msg)
            else:
                blobs.append(buf.getvalue())
                inflight.append(msg)
            buf.seek(0)
            buf.truncate()
            pickler.clear_memo()
        if blobs:
            self._write(("runs", blobs))

    async def _read(self) -> None:
        """Read what the worker writes, as much as is there at a time, and handle each frame
        in order: results (``finish``), events (``event``), requests (answered at once)."""
        stream = self._proc.stdout
        evented = False  # events of the current msg were handled: its result waits a loop turn
        try:
            data = b""
            while True:
                data += await stream.read(1 << 20)
                if len(data) == 0 or stream.at_eof() and len(data) < 4:
                    break
                end = len(data)
                file = io.BytesIO(data)
                unpickler = self._node.unpickler(file)
                plain = _TO_RUNTIME not in data  # no reference back: pickle.loads, the fast path
                pos = 0
                while pos + 4 <= end:
                    nxt = pos + 4 + _LEN.unpack_from(data, pos)[0]
                    if nxt > end:  # a frame not all there: read the rest of it
                        data = data[pos:] + await stream.readexactly(nxt - end)
                        end, pos, nxt = len(data), 0, nxt - pos
                        file = io.BytesIO(data)
                        unpickler = self._node.unpickler(file)
                        plain = _TO_RUNTIME not in data
                    start, pos = pos + 4, nxt
                    try:
                        if plain:
                            frame = pickle.loads(memoryview(data)[start:pos])
                        else:
                            file.seek(start)
                            frame = unpickler.load()
                    except Exception as exc:  # noqa: BLE001 - a value the runtime cannot rebuild
                        self._node.error(f"Function sent a value the runtime cannot read: {exc}")
                        unpickler = self._node.unpickler(file)
                        continue
                    kind = frame[0]
                    if kind == "result":
                        if evented:  # what the events sent is delivered before the result is handled
                            evented = False
                            await asyncio.sleep(0)
                        self._result(frame)
                    elif kind in ("ctx", "env"):
                        self._answer(frame)
                    else:
                        evented = True
                        self._node.event(frame, self.msg)
                data = data[pos:]
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.dead = True
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(_WorkerDied())
            if self._progress is not None and not self._progress.done():
                self._progress.set_exception(_WorkerDied())

    def _result(self, frame: tuple) -> None:
        """``("result", ok, value, timed_out)``: of the first msg in flight, else of ``call``."""
        if self.inflight:
            self._node.finish(self.inflight.popleft(), frame[1], frame[2], frame[3], self)
            progress = self._progress
            if progress is not None and not progress.done():
                progress.set_result(None)
        elif self._pending is not None and not self._pending.done():
            self._pending.set_result(frame[1:])

    def _answer(self, frame: tuple) -> None:
        try:
            value = self._node.serve(frame)
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

    def __init__(self, file: Any, node: "PythonFunctionNode") -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self._node = node

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _PLAIN or isinstance(obj, type) or obj is _runtime_object:
            return NotImplemented  # by value; classes and this function by name
        return _runtime_object, self._node.keep(obj)


class _Unpickler(pickle.Unpickler):
    """Reads what a worker sent: references (the worker's ``_to_runtime(ref)``) become the
    original objects again."""

    def __init__(self, file: Any, node: "PythonFunctionNode") -> None:
        super().__init__(file)
        self._node = node

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__" and name == "_to_runtime":
            return self._node.kept
        return super().find_class(module, name)


@register("python-function", category="function", color="#fdd0a2", inputs=1, outputs=1, icon="function.svg")
class PythonFunctionNode(Node):
    """Runs Python code on each msg. The code is the body of a function of ``msg``:

    * ``return msg`` sends it on output 1; ``return [m1, None, [m2, m3]]`` sends per output (a
      msg, a list of msgs, or None to skip it); ``return None`` sends nothing. Returned msgs get
      the input msg's ``_msgid``.
    * In scope: ``msg``; ``node`` (``send(msgs, clone=True)`` to send at once, ``done()``,
      ``error(err, msg=None)``, ``warn``, ``log``, ``status({fill, shape, text})``, ``id``,
      ``name``); ``context``, ``flow``, ``global_`` (``get(key)``, ``set(key, value)``,
      ``keys()``, ``update(key, fn)``; ``global`` is a Python keyword); ``env.get("NAME")``.
      Anything can be imported. ``update(key, fn)`` (FlowRed's own) atomically replaces the
      value by ``fn(old)`` (None when missing) and returns the new value; ``fn`` may run more
      than once (compare-and-set with retry on the ``nats`` store).
    * Code that calls ``node.done()`` finishes each msg itself; otherwise a msg is finished when
      the code returns.
    * *On Start* (``initialize``) runs once before the first msg, in the namespace shared with
      the body and *On Stop* (``finalize``), which runs when the node stops.

    The code runs in the node's own worker process, so the rest of the flows keeps running
    meanwhile; msgs are handled one at a time. Each run may take ``timeout`` seconds (0: 10 s);
    the process may use ``pythonFunctionMemoryLimit`` MiB (setting, default 512). Values other
    than plain data (``msg.req``, ``msg.res``) stay in the runtime and reach the code as dicts
    of their items; ``print`` writes to the runtime's stderr.

    Errors: an exception in the code is reported with the msg as ``Type: text (line n)`` (catch
    nodes get it; ``MemoryError`` past the memory cap); a run over its time limit as
    ``Function timed out after n s`` — when the code does not stop then, its process is killed
    and a new one, with On Start run again, takes the next msg; a syntax error stops the deploy.
    If *On Start* fails, msgs are ignored until the next deploy.
    """

    Config = PythonFunctionConfig

    def __init__(self, config: PythonFunctionConfig, flow) -> None:
        super().__init__(config, flow)
        self.timeout = config.timeout or DEFAULT_TIMEOUT
        self.clear_status = False
        self._user_done = bool(_USES_DONE.search(config.func))
        self._memory = int(self.setting("pythonFunctionMemoryLimit", DEFAULT_MEMORY_MIB))
        self._setup = {"id": self.id, "name": self.name, "path": f"{flow.path}/{self.id}",
                       "outputCount": len(config.wires), "func": config.func, "initialize": config.initialize,
                       "finalize": config.finalize, "timeout": self.timeout, "memory": self._memory,
                       "sys_path": list(sys.path),
                       "files": {kind: f"<python-function {self.id} {kind}>"
                                 for kind in ("func", "initialize", "finalize")}}
        self._serial = asyncio.Lock()
        self._worker: _Worker | None = None
        self._failed = False
        self._closing = False
        self._boot: asyncio.Task | None = None
        self._refs: OrderedDict[int, Any] = OrderedDict()
        self._ref_ids = itertools.count(1)
        self._queue: deque[dict] = deque()  # msgs waiting for the worker, in arrival order
        self._pump: asyncio.Task | None = None

    def start(self) -> None:
        self._boot = asyncio.get_running_loop().create_task(self._boot_worker())

    async def _boot_worker(self) -> None:
        async with self._serial:
            await self._ensure_worker()

    async def _ensure_worker(self) -> _Worker | None:
        """The running worker; a new one (On Start run in it) when there is none. Call with
        ``_serial`` held. None when On Start failed (reported; the node is then idle)."""
        if self._worker is not None:
            if self._worker.alive:
                return self._worker
            old, self._worker = self._worker, None
            await old.stop()
        if self._failed or self._closing:
            return None
        worker = _Worker(self)
        try:
            await worker.start(self._setup)
            ok, value, timed_out = await worker.call(None, self.timeout + GRACE)
        except (TimeoutError, _WorkerDied, OSError) as exc:
            ok, value, timed_out = False, None, isinstance(exc, TimeoutError)
            if isinstance(exc, OSError):
                value = f"Function could not start its worker process: {exc}"
        if not ok:
            self._failed = True
            self.error(self._failure(value, timed_out, worker))
            await worker.stop()
            return None
        self._worker = worker
        return worker

    def on_input(self, msg: dict) -> Any:
        """Queue ``msg`` for the worker; it is completed (or its error reported) when its
        result comes back (``finish``)."""
        self._queue.append(msg)
        if self._pump is None:
            self._pump = asyncio.get_running_loop().create_task(self._pump_queue())
        return PENDING

    async def _pump_queue(self) -> None:
        """Hand the queued msgs to the worker, a batch at a time, until none are left. A msg
        whose run timed out or whose worker died fails; the msgs after it go to a new worker.
        Without a worker (On Start failed) the msgs are ignored."""
        queue = self._queue
        try:
            while queue:
                async with self._serial:
                    worker = await self._ensure_worker()
                    if worker is None:
                        queue.clear()
                        return
                    batch = [queue.popleft() for _ in range(min(MAX_BATCH, len(queue)))]
                    try:
                        await worker.run(batch, self.timeout + GRACE)
                    except (TimeoutError, _WorkerDied) as exc:
                        if worker.inflight:
                            msg = worker.inflight.popleft()
                            queue.extendleft(reversed(worker.inflight))
                            worker.inflight.clear()
                            self.error(NodeError(self._failure(None, isinstance(exc, TimeoutError), worker)), msg)
        finally:
            self._pump = None

    def finish(self, msg: dict, ok: bool, value: Any, timed_out: bool, worker: _Worker) -> None:
        """The result of running the code on ``msg``: send what it returned and complete the
        msg (unless the code calls node.done itself), or report its error with the msg."""
        try:
            if not ok:
                raise NodeError(self._failure(value, timed_out, worker))
            if type(value) is dict:  # ``return msg``: what results() and send() make of it
                value["_msgid"] = msg.get("_msgid") or generate_id()
                self.send(value)
            elif value is not None:
                out = self.results(value, msg.get("_msgid") or generate_id())
                if out is not None:
                    self.send(out)
            if not self._user_done and self._completers:
                self.done(msg)
        except Exception as exc:  # noqa: BLE001 - as the bus reports a node's exception
            self.error(exc, msg)

    def results(self, msgs: Any, msgid: str) -> list | None:
        """Node-RED's sendResults for what the code returned (a copy already): ``msgs`` as a
        list per output, each msg with ``_msgid`` set; None when there is nothing to send.
        Entries that are not msgs are reported and skipped. Also what ``node.send`` sends."""
        if msgs is None:
            return None
        if not isinstance(msgs, (list, tuple)):
            msgs = (msgs,)
        out: list = []
        count = 0
        for entry in msgs:
            if entry is None:
                out.append(None)
                continue
            port = []
            for m in entry if isinstance(entry, (list, tuple)) else (entry,):
                if m is None:
                    continue
                if not isinstance(m, dict):
                    self.error(f"Function tried to send a message of type {type(m).__name__}")
                    continue
                m["_msgid"] = msgid
                port.append(m)
                count += 1
            out.append(port)
        return out if count else None

    def _failure(self, text: str | None, timed_out: bool, worker: _Worker) -> str:
        if timed_out:
            base = f"Function timed out after {self.timeout:g} s"
            if not worker.alive:
                base += (" (it did not stop: its worker process was killed, not left running, and a new one takes "
                         "the next msg)")
            return base
        if text is None:
            return "Function worker process ended; a new one takes the next msg"
        return text

    # -- what the code does ----------------------------------------------------------------
    def event(self, frame: tuple, msg: dict | None) -> None:
        """Apply one event of the code: ``send``, ``done``, ``error``, ``warn``, ``log``,
        ``status``; ``msg`` is the msg being handled (None between msgs)."""
        kind = frame[0]
        if kind == "send":
            out = self.results(frame[1], frame[2] or generate_id())
            if out is not None:
                self.send(out)
        elif kind == "done":
            if msg is not None:
                self.done(msg, frame[1])
        elif kind == "error":
            self.error(frame[1], frame[2])
        elif kind == "warn":
            self.warn(frame[1])
        elif kind == "log":
            self.log(frame[1])
        elif kind == "status":
            self.clear_status = True
            self.status(frame[1])

    def serve(self, frame: tuple) -> Any:
        """Answer a request of the code: ``("env", rid, name)`` or ``("ctx", rid, scope, op,
        key, value, store)`` with scope ``node``/``flow``/``global`` and op ``get`` (None when
        missing), ``set`` or ``keys``."""
        if frame[0] == "env":
            return self.get_env(frame[2])
        _, _, scope, op, key, value, store = frame
        ctx = self.context()
        ctx = {"node": ctx, "flow": ctx.flow, "global": ctx.global_}[scope]
        if op == "get":
            value = ctx.get(key, store)
            return None if value is UNDEFINED else value
        if op == "set":
            ctx.set(key, value, store)
            return None
        if op == "peek":
            token, value = ctx.peek(key, store)
            return [token] if value is UNDEFINED else [token, value]
        if op == "cas":
            return ctx.cas(key, value[0], value[1], store)
        return ctx.keys(store)

    # -- values by reference ---------------------------------------------------------------
    def pickler(self, file: Any) -> pickle.Pickler:
        return _Pickler(file, self)

    def unpickler(self, file: Any) -> pickle.Unpickler:
        return _Unpickler(file, self)

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

    async def close(self, removed: bool) -> None:
        self._closing = True
        if self._boot is not None and not self._boot.done():
            self._boot.cancel()
            await asyncio.gather(self._boot, return_exceptions=True)
        dropped = list(self._queue)
        self._queue.clear()
        if self._pump is not None:
            if self._worker is not None:
                dropped[:0] = self._worker.inflight
                self._worker.inflight.clear()
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
        for _ in dropped:  # Node-RED drops such a msg silently; say it, once per msg
            self.warn(DROPPED_MSG)
        async with self._serial:
            worker, self._worker = self._worker, None
            if worker is not None and worker.alive and self.config.finalize.strip():
                try:
                    ok, value, timed_out = await worker.call(("fin",), self.timeout + GRACE)
                except (TimeoutError, _WorkerDied) as exc:
                    ok, value, timed_out = False, None, isinstance(exc, TimeoutError)
                if not ok:
                    self.error(self._failure(value, timed_out, worker))
            if worker is not None:
                await worker.stop()
        self._refs.clear()
        if self.clear_status:
            self.status({})
