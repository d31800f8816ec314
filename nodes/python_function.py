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
* One msg costs one round trip: the msg is pickled to the worker, and what the code sent and
  returned is pickled back (so ``node.send`` copies at the call). Context ``get``/``set``/
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
from collections import OrderedDict
from importlib import resources
from typing import Any

from pydantic import field_validator

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
WORKER_SOURCE = resources.files(__package__).joinpath("python_function_worker.py").read_text(encoding="utf-8")

_USES_DONE = re.compile(r"node\.done\s*\(\s*\)")  # Node-RED's test for code that calls done itself
_LEN = struct.Struct(">I")
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None), bytes, bytearray, tuple, set, frozenset,
                    datetime.datetime, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal,
                    uuid.UUID})


def _compile(source: str, filename: str, params: tuple[str, ...] | None) -> Any:
    """Compile ``source``: as the body of ``def __flowred_code__(*params)`` when ``params`` is
    given (``return`` allowed; line numbers stay the user's), else as module code. A syntax
    error becomes ValueError ``SyntaxError: <what> (line n)``."""
    try:
        tree = ast.parse(source, filename, "exec")
        if params is not None:
            wrapper = ast.parse(f"def __flowred_code__({', '.join(params)}):\n pass\n", filename, "exec")
            wrapper.body[0].body = tree.body or [ast.Pass()]
            tree = ast.fix_missing_locations(wrapper)
        return compile(tree, filename, "exec")
    except SyntaxError as exc:
        raise ValueError(f"SyntaxError: {exc.msg} (line {exc.lineno})") from None


class PythonFunctionConfig(NodeConfig):
    """python-function settings.

    ``func``: the body of a function of ``msg``. ``outputs``: number of outputs (the wires
    decide delivery). ``initialize``: code run once at start, in the namespace the body and
    ``finalize`` share (imports, helper functions, variables it defines are visible to them).
    ``finalize``: code run when the node stops. ``timeout``: seconds one run may take; 0 means
    10 s.
    """

    func: Text = "\nreturn msg"
    outputs: NonNegative[int] = 1
    initialize: Text = ""
    finalize: Text = ""
    timeout: NonNegative[float] = 0

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
    ``(ok, value, timed_out)``; events and requests of the code are handled as they arrive."""

    def __init__(self, node: "PythonFunctionNode") -> None:
        self._node = node
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task | None = None
        self._pending: asyncio.Future | None = None
        self.msg: dict | None = None  # the msg of the running job, for node.done()
        self.dead = False  # killed, or its channel closed

    async def start(self, setup: dict) -> None:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", WORKER_SOURCE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self._write(("init", setup))

    @property
    def alive(self) -> bool:
        return not self.dead and self._proc is not None and self._proc.returncode is None

    async def call(self, frame: tuple | None, limit: float, msg: dict | None = None) -> tuple[bool, Any, bool]:
        """Send ``frame`` (None: wait for the On Start answer) and wait at most ``limit`` s for
        its result. Raises TimeoutError (the worker is then killed) or _WorkerDied."""
        loop = asyncio.get_running_loop()
        self._pending = loop.create_future()
        self.msg = msg
        if frame is not None:
            self._write(frame)
        try:
            async with asyncio.timeout(limit):
                return await self._pending
        except TimeoutError:
            self.kill()
            raise
        except asyncio.CancelledError:
            self.kill()
            raise
        finally:
            self._pending = None
            self.msg = None

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

    async def _read(self) -> None:
        stream = self._proc.stdout
        node = self._node
        try:
            while True:
                head = await stream.readexactly(4)
                body = await stream.readexactly(_LEN.unpack(head)[0])
                try:
                    frame = node.unpickler(body).load()
                except Exception as exc:  # noqa: BLE001 - a value the runtime cannot rebuild
                    node.error(f"Function sent a value the runtime cannot read: {exc}")
                    continue
                kind = frame[0]
                if kind == "result":
                    if self._pending is not None and not self._pending.done():
                        self._pending.set_result(frame[1:])
                elif kind in ("ctx", "env"):
                    self._answer(frame)
                else:
                    node.event(frame, self.msg)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.dead = True
            if self._pending is not None and not self._pending.done():
                self._pending.set_exception(_WorkerDied())

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


class _Pickler(pickle.Pickler):
    """Pickles msgs for a worker: plain data by value, anything else by reference."""

    def __init__(self, file: Any, node: "PythonFunctionNode") -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self._node = node

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) in _PLAIN:
            return None
        return self._node.keep(obj)


class _Unpickler(pickle.Unpickler):
    """Reads what a worker sent: references become the original objects again."""

    def __init__(self, data: bytes, node: "PythonFunctionNode") -> None:
        super().__init__(io.BytesIO(data))
        self._node = node

    def persistent_load(self, pid: Any) -> Any:
        return self._node.kept(pid)


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

    async def on_input(self, msg: dict) -> Any:
        async with self._serial:
            worker = await self._ensure_worker()
            if worker is None:
                return PENDING
            try:
                ok, value, timed_out = await worker.call(("run", msg), self.timeout + GRACE, msg)
            except (TimeoutError, _WorkerDied) as exc:
                raise NodeError(self._failure(None, isinstance(exc, TimeoutError), worker)) from None
        if not ok:
            raise NodeError(self._failure(value, timed_out, worker))
        if value is not None:
            out = self.results(value, msg.get("_msgid") or generate_id())
            if out is not None:
                self.send(out)
        return PENDING if self._user_done else None

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

    def unpickler(self, data: bytes) -> pickle.Unpickler:
        return _Unpickler(data, self)

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
