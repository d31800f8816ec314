"""The ``python-function`` node: runs user Python code on each msg.

The Python counterpart of Node-RED's function node (nodes/core/function/10-function.js,
10-function.html), with node-red-contrib-python-function's type name and field names: ``func``
(the body), ``outputs``, plus the function node's ``initialize`` (On Start), ``finalize`` (On
Stop) and ``timeout`` (seconds).

How the code runs, and why:

* Each node runs in a worker process (nodes/python_function_worker.py), started with the node
  and kept between msgs; msgs are handled one at a time, in arrival order (as a function node's
  code never runs twice at once). The runtime's event loop never runs user code, so neither a
  blocking body nor a runaway one holds up other nodes, the Admin API or the editor. Nodes of
  one flow wired straight to each other share a worker, which runs the next node itself
  (chains and fused wires: nodes/python_function_chain.py); a node alone has its own.
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
  write (up to python_function_chain.MAX_BATCH), and the worker writes back what the code sent and returned for
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
import re
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from flowred import PENDING, UNDEFINED, Node, NodeConfig, NodeError, generate_id, register
from flowred.fields import NonNegative, Text

from .python_function_chain import Chain
from .python_function_worker import shape_results

__all__ = ["PythonFunctionConfig", "PythonFunctionNode"]

DEFAULT_TIMEOUT = 10.0
"""Seconds a run may take when ``timeout`` is 0 (Node-RED's "no timeout")."""
DEFAULT_MEMORY_MIB = 512
"""MiB of address space of a worker when the settings name no ``pythonFunctionMemoryLimit``."""
_USES_DONE = re.compile(r"node\.done\s*\(\s*\)")  # Node-RED's test for code that calls done itself


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

    The code runs in a worker process, so the rest of the flows keeps running meanwhile; msgs
    are handled one at a time. python-function nodes of one flow wired straight to each other
    (an output wired to that one node only) share a worker, which runs the next node's code
    itself: a msg leaves the worker only where the chain ends. Each run may take ``timeout``
    seconds (0: 10 s); the process may use ``pythonFunctionMemoryLimit`` MiB (setting, default
    512). Values other than plain data (``msg.req``, ``msg.res``) stay in the runtime and reach
    the code as dicts of their items; ``print`` writes to the runtime's stderr.

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
        self.memory = int(self.setting("pythonFunctionMemoryLimit", DEFAULT_MEMORY_MIB))
        self.setup = {"id": self.id, "name": self.name, "path": f"{flow.path}/{self.id}",
                      "outputCount": len(config.wires), "func": config.func, "initialize": config.initialize,
                      "finalize": config.finalize, "timeout": self.timeout,
                      "files": {kind: f"<python-function {self.id} {kind}>"
                                for kind in ("func", "initialize", "finalize")}}
        self.failed = False  # On Start failed: msgs are ignored until the next deploy
        self.finalized = False  # On Stop ran (or the node has none to run)
        self.index = 0  # in its chain
        self.chain = Chain(self)

    def start(self) -> None:
        """Join the chain of each python-function node of this flow that a port is wired to
        alone (python_function_chain.py), then have the chain start its worker once every node
        of the deploy has started."""
        for targets in self.wires():
            if len(targets) == 1:
                target = targets[0]
                if isinstance(target, PythonFunctionNode) and target is not self and target.flow is self.flow \
                        and not self.chain.sealed and not target.chain.sealed:
                    self.chain.join(target.chain)
        asyncio.get_running_loop().call_soon(self._boot)

    def _boot(self) -> None:
        if not self.closed:
            self.chain.boot()

    def on_input(self, msg: dict) -> Any:
        """Queue ``msg`` for the chain's worker; it is completed (or its error reported) when its
        result comes back (``finish``)."""
        self.chain.put(self, msg)
        return PENDING

    def wants_completion(self) -> bool:
        """Whether the runtime completes this node's msgs when their runs end (a complete node
        watches it and the code does not call node.done itself)."""
        return bool(self._completers) and not self._user_done

    def needs_input(self) -> bool:
        """Whether a chained run's input msg may be needed here: to complete it, or to report an
        error with it to a catch node (otherwise its ``_msgid`` does)."""
        return bool(self._completers) or self.catchable()

    def finish(self, msg: dict, ok: bool, value: Any, timed_out: bool, worker: Any) -> None:
        """The result of running the code on ``msg``: send what it returned and complete the
        msg (unless the code calls node.done itself), or report its error with the msg."""
        try:
            if not ok:
                raise NodeError(self.failure(value, timed_out, worker))
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

    def finish_chained(self, msg: dict | None, ok: bool, value: Any, timed_out: bool, worker: Any) -> None:
        """The result of a run in a chain: ``value`` is what goes through the runtime, already a
        list per output (fused ports None) or None; ``msg`` the run's input (None when the
        worker did not send it: nothing to complete)."""
        try:
            if not ok:
                raise NodeError(self.failure(value, timed_out, worker))
            if value is not None:
                self.send(value)
            if msg is not None and not self._user_done and self._completers:
                self.done(msg)
        except Exception as exc:  # noqa: BLE001 - as the bus reports a node's exception
            self.error(exc, msg)

    def results(self, msgs: Any, msgid: str) -> list | None:
        """Node-RED's sendResults for what the code returned (a copy already): ``msgs`` as a
        list per output, each msg with ``_msgid`` set; None when there is nothing to send.
        Entries that are not msgs are reported and skipped. Also what ``node.send`` sends."""
        errors: list[str] = []
        out = shape_results(msgs, msgid, errors)
        for text in errors:
            self.error(text)
        return out

    def failure(self, text: str | None, timed_out: bool, worker: Any) -> str:
        """The error text of a failed run (``text``: the code's error), a run over its time
        limit, or a worker that ended."""
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
        """Apply one event of the code: ``("send", i, msgs, msgid)``, ``("done", i, error, ...)``,
        ``("error", i, err, msg)``, ``("warn", i, text)``, ``("log", i, text)``, ``("status", i,
        status)``; ``msg`` is the input msg of the run that called done (None: unknown)."""
        kind = frame[0]
        if kind == "send":
            out = self.results(frame[2], frame[3] or generate_id())
            if out is not None:
                self.send(out)
        elif kind == "done":
            if msg is not None:
                self.done(msg, frame[2])
        elif kind == "error":
            self.error(frame[2], frame[3])
        elif kind == "warn":
            self.warn(frame[2])
        elif kind == "log":
            self.log(frame[2])
        elif kind == "status":
            self.clear_status = True
            self.status(frame[2])

    def serve(self, frame: tuple) -> Any:
        """Answer a request of the code: ``("env", rid, i, name)`` or ``("ctx", rid, i, scope,
        op, key, value, store)`` with scope ``node``/``flow``/``global`` and op ``get`` (None when
        missing), ``set``, ``keys``, ``peek`` or ``cas``."""
        if frame[0] == "env":
            return self.get_env(frame[3])
        _, _, _, scope, op, key, value, store = frame
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

    async def close(self, removed: bool) -> None:
        await self.chain.close_member(self)
        if self.clear_status:
            self.status({})
