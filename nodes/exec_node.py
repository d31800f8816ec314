"""The ``exec`` node: runs a system command and sends its stdout, stderr and return code.

As Node-RED's exec node (nodes/core/function/90-exec.js, 90-exec.html).
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
from typing import Any

from pydantic import field_validator

from flowred import UNDEFINED, Node, NodeConfig, NodeError, clone_message, get_msg_property, register
from flowred.jscompat import js_loose_equal, js_to_string as js_string, js_truthy

__all__ = ["ExecConfig", "ExecNode", "split_arguments"]

SHELL = "/bin/bash" if os.path.exists("/bin/bash") else "/bin/sh"
"""The shell of exec mode: bash where there is one (as Node-RED on Linux), else sh."""
READ_SIZE = 65536
"""Bytes read at most per chunk in spawn mode (a Node.js pipe reads 64 KiB at a time)."""
CLOSE_WAIT = 2.0
"""Seconds close() waits for killed children to be reaped."""

_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_QUOTED = re.compile(r'".*"')


def split_arguments(line: str) -> list[str]:
    """Split a spawn-mode command line as Node-RED does: on whitespace, except inside double
    quotes; a word that starts and ends with a quote loses those two quotes (``a "b c"`` →
    ``["a", "b c"]``; ``--x="1 2"`` stays ``--x="1 2"``)."""
    return [t[1:-1] if _QUOTED.fullmatch(t) else t for t in _TOKEN.findall(line)]


def _text_or_bytes(data: bytes) -> str | bytes:
    """A chunk of output as a Node-RED user sees it: a string when it is valid UTF-8, else a
    Buffer (bytes)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _signal_of(name: str) -> signal.Signals:
    try:
        return signal.Signals[name]
    except KeyError:
        raise NodeError(f"Unknown signal: {name}", code="ERR_UNKNOWN_SIGNAL") from None


class ExecConfig(NodeConfig):
    """exec settings (Node-RED's editor defaults).

    ``command``: the command (trimmed). ``addpay``: the msg property whose value is appended to
    the command (``"payload"``; ``""`` appends nothing; legacy flows: ``true`` is ``payload``,
    ``false`` nothing, and a node without the field appends ``payload``). ``append``: extra
    parameters appended after it. ``useSpawn``: ``"true"`` runs in spawn mode, anything else
    (``"false"``, and a boolean, as Node-RED's ``== "true"`` test) in exec mode. ``timer``:
    seconds after which the command is killed (``""`` or 0: never). ``winHide``: hide the
    console window on Windows (no effect elsewhere). ``oldrc``: legacy return-code shape.
    """

    command: str = ""
    addpay: str | bool = ""
    append: str = ""
    useSpawn: str | bool = "false"
    timer: str = ""
    winHide: bool | str = False
    oldrc: bool | str = False

    @field_validator("command", "append", "useSpawn", "addpay", "timer", mode="before")
    @classmethod
    def _none_as_empty(cls, v: Any) -> Any:
        return "" if v is None else v

    @field_validator("winHide", "oldrc", mode="before")
    @classmethod
    def _none_as_false(cls, v: Any) -> Any:
        return False if v is None or v == "" else v

    @field_validator("timer", mode="before")
    @classmethod
    def _seconds(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"must be a number of seconds, not {v!r}")
        if isinstance(v, (int, float)):
            v = js_string(v)
        if isinstance(v, str) and v.strip():
            try:
                n = float(v.strip())
            except ValueError:
                raise ValueError(f"must be a number of seconds, not {v!r}") from None
            if n < 0 or n != n:
                raise ValueError(f"must be a number of seconds >= 0, not {v!r}")
        return v


class _Child:
    """One running process of the node: ``active`` is False once the node closed, after which
    its output is dropped."""

    __slots__ = ("proc", "timer", "active")

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.timer: asyncio.TimerHandle | None = None
        self.active = True

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass


@register("exec", category="function", color="darksalmon", inputs=1, outputs=3, icon="cog.svg")
class ExecNode(Node):
    """Runs a system command and returns its output, as Node-RED's exec node (90-exec.js).

    The command line is the *command*, then (when *append* is on) the value of ``msg.payload``
    (or the chosen msg property) as text — a Buffer as its UTF-8 text — then the *extra
    parameters*. Outputs: 1 stdout, 2 stderr, 3 return code.

    * **exec mode** (*when the command is complete*): the line runs in a shell (``/bin/bash``,
      else ``/bin/sh``), and when it ends output 1 gets ``msg.payload`` = all of stdout (a
      string, or a Buffer when it is not valid UTF-8), output 2 (only when there was any) the
      stderr text, output 3 ``{code: 0}`` — or, on failure, ``{code, message}`` with
      ``message`` ``"Command failed: <line>\\n<stderr>"`` and ``code`` null plus ``signal``
      when it was killed; msgs 1 and 2 then carry the same object as ``msg.rc``. stderr is
      decoded byte per character (latin-1), as Node-RED's ``binary`` encoding does. Status:
      cleared on success, ``error:<code>`` or ``killed`` (red) on failure.
    * **spawn mode** (*while the command is running*): no shell; the line is split on spaces
      except inside double quotes (``"a b"`` is one argument, quotes removed). Each chunk of
      stdout / stderr is sent as it arrives on output 1 / 2 (a string, or a Buffer when the
      chunk is not valid UTF-8); when the process ends output 3 gets ``{code}`` (plus
      ``signal`` when killed, code null). A command that cannot be started gives ``{code: -2}``
      (its negative errno) and the red status ``rc:-2``, without a node error, as Node-RED.
      Status: ``rc:<code>`` (yellow), ``killed`` (red), negative codes red.
    * *Use old style output* (``oldrc``): output 3 gets the bare code instead of ``{code}``
      (spawn), and exec mode sends nothing on output 3 and sets no ``msg.rc`` on success.

    While a command runs the status shows ``pid:<pid>`` (blue). ``msg.kill`` (``"SIGTERM"``,
    ``"SIGINT"``, ``"SIGKILL"``...; anything not starting with ``SIG`` means SIGTERM) sends
    that signal to the process with pid ``msg.pid``, or without ``msg.pid`` to the only running
    process of this node (nothing happens when several run); an unknown signal name is an
    error ``Unknown signal: <name>``. *Timeout* kills the process with SIGTERM after that many
    seconds. Stopping the node (a deploy, shutdown) kills its running processes with SIGTERM;
    their output is no longer sent.
    """

    Config = ExecConfig

    def __init__(self, config: ExecConfig, flow) -> None:
        super().__init__(config, flow)
        self.cmd = config.command.strip()
        addpay: Any = config.addpay if "addpay" in config.model_fields_set else True
        if addpay is True:
            addpay = "payload"
        self.addpay: str = addpay if isinstance(addpay, str) else ""
        self.append = config.append.strip()
        self.use_spawn = js_loose_equal(config.useSpawn, "true")
        self.timeout = float(config.timer.strip() or 0)
        self.new_rc = js_string(config.oldrc if js_truthy(config.oldrc) else False) == "false"
        self.children: dict[int, _Child] = {}

    # -- input ------------------------------------------------------------------------------
    async def on_input(self, msg: dict) -> None:
        if "kill" in msg:
            self._kill(msg)
            return
        line = self.cmd
        if self.addpay:
            value = get_msg_property(msg, self.addpay)
            if value is not UNDEFINED:
                line += " " + js_string(value)
        if self.append:
            line += " " + self.append
        if self.use_spawn:
            await self._spawn(line, msg)
        else:
            await self._exec(line, msg)

    def _kill(self, msg: dict) -> None:
        name = msg["kill"]
        if not isinstance(name, str) or not name.upper().startswith("SIG"):
            name = "SIGTERM"
        name = name.upper()
        if "pid" in msg:
            child = self.children.get(_pid_key(msg["pid"]))
        else:
            child = next(iter(self.children.values())) if len(self.children) == 1 else None
        if child is not None:
            child.kill(_signal_of(name))
            self.status({"fill": "red", "shape": "dot", "text": "killed"})

    async def _start(self, program: str, args: list[str]) -> _Child:
        proc = await asyncio.create_subprocess_exec(
            program, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        child = _Child(proc)
        self.status({"fill": "blue", "shape": "dot", "text": f"pid:{proc.pid}"})
        if self.timeout:
            child.timer = asyncio.get_running_loop().call_later(self.timeout, child.kill)
        self.children[proc.pid] = child
        return child

    def _finish(self, child: _Child) -> None:
        if child.timer is not None:
            child.timer.cancel()
        self.children.pop(child.proc.pid, None)
        if child.proc.stdin is not None:
            child.proc.stdin.close()

    async def _exec(self, line: str, msg: dict) -> None:
        child = await self._start(SHELL, ["-c", line])
        proc = child.proc
        done = await self._wait(child, proc.stdout.read(), proc.stderr.read(), proc.wait())
        if done is None:
            return
        out, err, _ = done
        rc = proc.returncode
        stderr = err.decode("latin-1")
        msg.pop("payload", None)
        msg2 = None
        if stderr:
            msg2 = clone_message(msg)
            msg2["payload"] = stderr
        msg["payload"] = _text_or_bytes(out)
        self.status({})
        msg3 = None
        if rc != 0:
            result: dict[str, Any] = {"code": None if rc < 0 else rc, "message": f"Command failed: {line}\n{stderr}"}
            if rc < 0:
                result["signal"] = _signal_name(-rc)
            msg3 = clone_message(msg)
            msg3["payload"] = result
            text = "killed" if rc < 0 else f"error:{rc}"
            self.status({"fill": "red", "shape": "dot", "text": text})
        elif self.new_rc:
            msg3 = clone_message(msg)
            msg3["payload"] = {"code": 0}
        if msg3 is not None:
            msg["rc"] = dict(msg3["payload"])
            if msg2 is not None:
                msg2["rc"] = dict(msg3["payload"])
        self.send([msg, msg2, msg3])

    async def _spawn(self, line: str, msg: dict) -> None:
        args = split_arguments(line)
        if not args:
            raise NodeError("No command to run")
        try:
            child = await self._start(args[0], args[1:])
        except OSError as exc:
            # as Node.js: the process never starts, it "closes" with the negative errno
            self.status({"fill": "blue", "shape": "dot", "text": "pid:undefined"})
            self._returned(-(exc.errno or 2), None, msg)
            return
        proc = child.proc

        async def pump(stream: asyncio.StreamReader, port: int) -> None:
            while data := await stream.read(READ_SIZE):
                if child.active:
                    msg["payload"] = _text_or_bytes(data)
                    out: list[Any] = [None, None, None]
                    out[port] = clone_message(msg)
                    self.send(out)

        if await self._wait(child, pump(proc.stdout, 0), pump(proc.stderr, 1), proc.wait()) is None:
            return
        rc = proc.returncode
        self._returned(None if rc < 0 else rc, _signal_name(-rc) if rc < 0 else None, msg)

    async def _wait(self, child: Any, *waits: Any) -> list | None:
        """The results of ``waits`` (reading and waiting on ``child``); None when the child was
        dropped meanwhile (the node stopped). Cancelling kills the child."""
        try:
            results = await asyncio.gather(*waits)
        except asyncio.CancelledError:
            child.kill()
            raise
        finally:
            self._finish(child)
        return results if child.active else None

    def _returned(self, code: int | None, sig: str | None, msg: dict) -> None:
        """Spawn mode's end: the return code on output 3 and the status."""
        if self.new_rc:
            msg["payload"] = {"code": code}
            if sig:
                msg["payload"]["signal"] = sig
        else:
            msg["payload"] = code
        if code == 0:
            self.status({})
        if code is None:
            self.status({"fill": "red", "shape": "dot", "text": "killed"})
        elif code < 0:
            self.status({"fill": "red", "shape": "dot", "text": f"rc:{code}"})
        else:
            self.status({"fill": "yellow", "shape": "dot", "text": f"rc:{code}"})
        self.send([None, None, clone_message(msg)])

    # -- lifecycle --------------------------------------------------------------------------
    async def close(self, removed: bool) -> None:
        children = list(self.children.values())
        self.children.clear()
        for child in children:
            child.active = False
            if child.timer is not None:
                child.timer.cancel()
            child.kill()
        self.status({})
        # wait for the exits themselves (Process.wait() also waits for the pipes to close)
        loop = asyncio.get_running_loop()
        end = loop.time() + CLOSE_WAIT
        while any(c.proc.returncode is None for c in children) and loop.time() < end:
            await asyncio.sleep(0.02)
        for child in children:
            # release the pipes a process started by the command (not killed) may still hold
            transport = getattr(child.proc, "_transport", None)
            if transport is not None:
                transport.close()


def _pid_key(pid: Any) -> int | None:
    """``msg.pid`` as a key of the running processes (a number or its text, as a JS object key)."""
    try:
        return int(js_string(pid))
    except ValueError:
        return None


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)
