"""The ``python-function`` node: runs user Python code on each msg.

The Python counterpart of Node-RED's function node (nodes/core/function/10-function.js,
10-function.html), with node-red-contrib-python-function's type name and field names: ``func``
(the body), ``outputs``, plus the function node's ``initialize`` (On Start), ``finalize`` (On
Stop) and ``timeout`` (seconds).

How the code runs, and why:

* Each node owns one daemon worker thread; msgs are handled one at a time, in arrival order (as a
  function node's code never runs twice at once), and the event loop keeps serving every other
  node while user code runs: a slow or blocking body (``time.sleep``, a blocking HTTP call) only
  holds up its own node.
* Every run has a time limit (``timeout``; 0 means 10 s, as a thread cannot go unbounded
  safely). When it passes, the run is stopped by raising an exception inside the worker thread
  (``PyThreadState_SetAsyncExc``): this stops pure Python code at once, e.g. ``while True:
  pass``. The exception derives from BaseException, so ``except Exception`` does not swallow it.
  The msg's error reads ``Function timed out after N s``.
* A thread blocked inside C code (``time.sleep``, socket reads) only sees that exception when the
  call returns, and a bare ``except:`` can swallow it. If the run has not stopped 1 s after its
  time limit, its thread is left behind (it is a daemon thread and discards anything it still
  sends) and a fresh thread takes the following msgs. Such a thread still costs CPU or memory
  until it ends; a process per node would avoid that, at the price of pickling every msg and
  marshalling every context access across processes.
* User code never touches runtime state from its thread: ``node.send``/``status``/``warn``/
  ``error``/``done`` are handed to the event loop, and context ``get``/``set``/``keys`` run on
  the event loop and wait for it. ``node.send`` clones what it sends at the call, so the code
  may go on changing its msgs.
* Cost: handing a msg to the thread and the result back takes about 0.05-0.2 ms, each context
  call about as much; the body itself runs at full Python speed.
"""
from __future__ import annotations

import ast
import asyncio
import builtins
import concurrent.futures
import ctypes
import queue
import re
import threading
from typing import Any, Callable

from pydantic import field_validator

from flowred import (PENDING, UNDEFINED, Node, NodeConfig, NodeError, clone_message,
                     generate_id, register)
from flowred.fields import NonNegative, Text

__all__ = ["PythonFunctionConfig", "PythonFunctionNode"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a run may take when ``timeout`` is 0 (Node-RED's "no timeout")."""
GRACE = 1.0
"""Seconds a stopped run may take to unwind before its thread is left behind."""

_USES_DONE = re.compile(r"node\.done\s*\(\s*\)")  # Node-RED's test for code that calls done itself
_current = threading.local()  # .job: the _Job the current worker thread is running


class _Timeout(BaseException):
    """Raised inside a worker thread whose run is over its time limit."""


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


def _describe(exc: BaseException, filename: str, kind: str = "") -> str:
    """``Type: text (line n)``: the user's line where ``exc`` was raised (the innermost one)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{text} ({kind}line {line})" if line else text


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


class _Job:
    """One run of user code in a worker thread."""

    __slots__ = ("fn", "args", "msg", "kind", "loop", "future", "tid", "running", "killed", "abandoned")

    def __init__(self, fn: Callable, args: tuple, msg: dict | None, kind: str) -> None:
        self.fn, self.args, self.msg, self.kind = fn, args, msg, kind
        self.loop: asyncio.AbstractEventLoop | None = None
        self.future: asyncio.Future | None = None
        self.tid = 0
        self.running = self.killed = self.abandoned = False

    def settle(self, outcome: tuple[bool, Any]) -> None:
        if not self.future.done():
            self.future.set_result(outcome)


class _Runner:
    """Runs jobs one after another in a daemon thread, each within a time limit (see the module
    docstring). ``run`` returns ``(True, result)`` or ``(False, exception)``; a job that was
    stopped has ``killed`` set (and ``abandoned`` when its thread was left behind)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._guard = threading.Lock()
        self._queue = self._spawn()

    def _spawn(self) -> queue.SimpleQueue:
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._work, args=(jobs,), name=self._name, daemon=True).start()
        return jobs

    async def run(self, job: _Job, timeout: float) -> tuple[bool, Any]:
        loop = asyncio.get_running_loop()
        job.loop, job.future = loop, loop.create_future()
        self._queue.put(job)
        timer = loop.call_later(timeout, self._expire, job)
        try:
            return await job.future
        except asyncio.CancelledError:
            self.kill(job)
            raise
        finally:
            timer.cancel()

    def kill(self, job: _Job) -> None:
        """Stop ``job``: raise _Timeout in its thread if it runs, else keep it from starting."""
        with self._guard:
            if job.killed:
                return
            job.killed = True
            if job.running:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(job.tid), ctypes.py_object(_Timeout))

    def stop(self) -> None:
        """End the worker thread once its queued jobs are done."""
        self._queue.put(None)

    def _expire(self, job: _Job) -> None:
        self.kill(job)
        job.loop.call_later(GRACE, self._abandon, job)

    def _abandon(self, job: _Job) -> None:
        if job.future.done():
            return
        job.abandoned = True
        self._queue.put(None)
        self._queue = self._spawn()
        job.future.set_result((False, None))

    def _work(self, jobs: queue.SimpleQueue) -> None:
        tid = threading.get_ident()
        while (job := jobs.get()) is not None:
            outcome = self._execute(job, tid)
            try:
                job.loop.call_soon_threadsafe(job.settle, outcome)
            except RuntimeError:  # the event loop is closed: nobody waits any more
                return

    def _execute(self, job: _Job, tid: int) -> tuple[bool, Any]:
        _current.job = job
        try:
            try:
                with self._guard:
                    if job.killed:
                        return (False, None)
                    job.tid, job.running = tid, True
                try:
                    return (True, job.fn(*job.args))
                except _Timeout:
                    raise
                except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit too
                    return (False, exc)
                finally:
                    with self._guard:
                        job.running = False
                        if job.killed:  # drop a _Timeout still pending for this thread
                            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), None)
            except _Timeout:
                job.running = False
                return (False, None)
        finally:
            _current.job = None


def _on_loop(loop: asyncio.AbstractEventLoop, fn: Callable, *args: Any) -> Any:
    """Run ``fn(*args)`` on the event loop and wait for its result (or exception); the wait
    wakes up often so that a timed-out run can be stopped meanwhile."""
    done: concurrent.futures.Future = concurrent.futures.Future()

    def call() -> None:
        try:
            done.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001 - handed to the calling thread
            done.set_exception(exc)

    loop.call_soon_threadsafe(call)
    while True:
        try:
            return done.result(timeout=0.05)
        except concurrent.futures.TimeoutError:
            continue


class ContextApi:
    """``context``, ``flow`` and ``global_`` in user code: ``get(key, store=None)`` (None when
    missing), ``set(key, value, store=None)``, ``keys(store=None)``. Keys are property paths
    (``"a.b[0]"``) and may name a store as ``"#:(file)::key"``. ``context.flow`` and
    ``context.global_`` give the other two."""

    __slots__ = ("_ctx", "_loop", "flow", "global_")

    def __init__(self, ctx: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._ctx, self._loop = ctx, loop

    def get(self, key: str, store: str | None = None) -> Any:
        value = _on_loop(self._loop, self._ctx.get, key, store)
        return None if value is UNDEFINED else value

    def set(self, key: str, value: Any, store: str | None = None) -> None:
        _on_loop(self._loop, self._ctx.set, key, value, store)

    def keys(self, store: str | None = None) -> list[str]:
        return _on_loop(self._loop, self._ctx.keys, store)


class EnvApi:
    """``env`` in user code: ``env.get("NAME")`` as Node-RED's (node, tab, process env)."""

    __slots__ = ("_node",)

    def __init__(self, node: Node) -> None:
        self._node = node

    def get(self, name: str) -> Any:
        return self._node.get_env(name)


class NodeApi:
    """``node`` in user code: ``id``, ``name``, ``path``, ``outputCount``, and ``send(msgs,
    clone=True)``, ``done(error=None)``, ``error(err, msg=None)``, ``warn(text)``, ``log(text)``,
    ``status(status)``."""

    def __init__(self, node: "PythonFunctionNode", loop: asyncio.AbstractEventLoop) -> None:
        self._node, self._loop = node, loop
        self.id, self.name, self.path = node.id, node.name, f"{node.flow.path}/{node.id}"
        self.outputCount = len(node.config.wires)

    def send(self, msgs: Any, clone: bool = True) -> None:
        """Send now: a msg, or a list with one entry per output (a msg, a list of msgs, None).
        Each msg gets the input msg's ``_msgid``; with ``clone`` (the default) copies are sent."""
        job = getattr(_current, "job", None)
        if job is not None and job.killed:
            return
        if job is not None and job.kind == "finalize":
            self.error("Cannot send from close function")
            return
        msgid = job.msg.get("_msgid") if job is not None and job.msg is not None else None
        out = self._node.results(msgs, msgid or generate_id(), clone, self._post)
        if out is not None:
            self._post(self._node.send, out)

    def done(self, error: Any = None) -> None:
        """Finish the current msg (for code that calls ``node.done()`` itself)."""
        job = getattr(_current, "job", None)
        if job is not None and job.msg is not None and not job.killed:
            self._post(self._node.done, job.msg, error)

    def error(self, err: Any, msg: dict | None = None) -> None:
        """Report an error; with ``msg`` (as it is now), catch nodes get it."""
        self._post(self._node.error, err, clone_message(msg) if isinstance(msg, dict) else msg)

    def warn(self, text: Any) -> None:
        self._post(self._node.warn, text)

    def log(self, text: Any) -> None:
        self._post(self._node.log, text)

    def status(self, status: Any) -> None:
        self._node.clear_status = True
        self._post(self._node.status, status)

    def _post(self, fn: Callable, *args: Any) -> None:
        self._loop.call_soon_threadsafe(fn, *args)


@register("python-function", category="function", color="#fdd0a2", inputs=1, outputs=1, icon="function.svg")
class PythonFunctionNode(Node):
    """Runs Python code on each msg. The code is the body of a function of ``msg``:

    * ``return msg`` sends it on output 1; ``return [m1, None, [m2, m3]]`` sends per output (a
      msg, a list of msgs, or None to skip it); ``return None`` sends nothing. Returned msgs get
      the input msg's ``_msgid``.
    * In scope: ``msg``; ``node`` (``send(msgs, clone=True)`` to send at once, ``done()``,
      ``error(err, msg=None)``, ``warn``, ``log``, ``status({fill, shape, text})``, ``id``,
      ``name``); ``context``, ``flow``, ``global_`` (``get(key)``, ``set(key, value)``,
      ``keys()``; ``global`` is a Python keyword); ``env.get("NAME")``. Anything can be
      imported.
    * Code that calls ``node.done()`` finishes each msg itself; otherwise a msg is finished when
      the code returns.
    * *On Start* (``initialize``) runs once before the first msg, in the namespace shared with
      the body and *On Stop* (``finalize``), which runs when the node stops.

    Each run may take ``timeout`` seconds (0: 10 s); msgs are handled one at a time on the
    node's own thread, so the rest of the flows keeps running meanwhile.

    Errors: an exception in the code is reported with the msg as ``Type: text (line n)`` (catch
    nodes get it); a run over its time limit as ``Function timed out after n s``; a syntax error
    stops the deploy. If *On Start* fails, msgs are ignored until the next deploy.
    """

    Config = PythonFunctionConfig

    def __init__(self, config: PythonFunctionConfig, flow) -> None:
        super().__init__(config, flow)
        self.timeout = config.timeout or DEFAULT_TIMEOUT
        self.clear_status = False
        self._user_done = bool(_USES_DONE.search(config.func))
        self._files = {kind: f"<python-function {self.id} {kind}>" for kind in ("func", "initialize", "finalize")}
        self._codes = {"func": _compile(config.func, self._files["func"], ("msg",)),
                       "initialize": _compile(config.initialize, self._files["initialize"], None)
                       if config.initialize.strip() else None,
                       "finalize": _compile(config.finalize, self._files["finalize"], ())
                       if config.finalize.strip() else None}
        self._serial = asyncio.Lock()
        self._runner = _Runner(f"python-function {self.id}")
        self._failed = False
        self._init_task: asyncio.Task | None = None
        self._namespace: dict[str, Any] = {}
        self._body: Callable[[dict], Any] = lambda msg: None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        ctx = self.context()
        context = ContextApi(ctx, loop)
        context.flow, context.global_ = ContextApi(ctx.flow, loop), ContextApi(ctx.global_, loop)
        self._namespace = {"__builtins__": builtins, "__name__": f"python_function_{self.id}",
                           "node": NodeApi(self, loop), "context": context, "flow": context.flow,
                           "global_": context.global_, "env": EnvApi(self)}
        self._body = self._define(self._codes["func"])
        if self._codes["initialize"] is not None:
            self._init_task = loop.create_task(self._initialize())

    def _define(self, code: Any) -> Callable:
        exec(code, self._namespace)  # noqa: S102 - running the user's code is this node's purpose
        return self._namespace.pop("__flowred_code__")

    async def _initialize(self) -> None:
        async with self._serial:
            code = self._codes["initialize"]
            job = _Job(exec, (code, self._namespace), None, "initialize")
            ok, value = await self._runner.run(job, self.timeout)
            if not ok:
                self._failed = True
                self.error(self._failure(job, value, "initialize", "setup:"))

    async def on_input(self, msg: dict) -> Any:
        async with self._serial:
            if self._failed:
                return PENDING
            job = _Job(self._body, (msg,), msg, "func")
            ok, value = await self._runner.run(job, self.timeout)
        if not ok or job.killed:
            raise NodeError(self._failure(job, value, "func"))
        if value is not None:
            out = self.results(value, msg.get("_msgid") or generate_id(), False, self._call)
            if out is not None:
                self.send(out)
        return PENDING if self._user_done else None

    def _failure(self, job: _Job, exc: Any, kind: str, where: str = "") -> str:
        if job.killed:
            text = f"Function timed out after {self.timeout:g} s"
            if job.abandoned:
                text += " (its thread did not stop and was left running)"
            return text
        return _describe(exc, self._files[kind], where)

    @staticmethod
    def _call(fn: Callable, *args: Any) -> None:
        fn(*args)

    def results(self, msgs: Any, msgid: str, clone: bool, post: Callable) -> list | None:
        """Node-RED's sendResults: ``msgs`` as a list per output, each msg (cloned when
        ``clone``) with ``_msgid`` set; None when there is nothing to send. Non-msg entries are
        reported through ``post`` and skipped."""
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
                    post(self.error, f"Function tried to send a message of type {type(m).__name__}")
                    continue
                if clone:
                    m = clone_message(m)
                m["_msgid"] = msgid
                port.append(m)
                count += 1
            out.append(port)
        return out if count else None

    async def close(self, removed: bool) -> None:
        if self._init_task is not None:
            self._init_task.cancel()
        if self._codes["finalize"] is not None and self._namespace:
            job = _Job(self._define(self._codes["finalize"]), (), None, "finalize")
            ok, value = await self._runner.run(job, self.timeout)
            if not ok:
                self.error(self._failure(job, value, "finalize", "cleanup:"))
        self._runner.stop()
        if self.clear_status:
            self.status({})
