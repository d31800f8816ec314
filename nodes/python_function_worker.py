"""The worker process of a python-function node: runs the node's code, one job at a time.

nodes/python_function.py starts it as ``python -c <this file's text>`` (so that no module of
``flowred`` is imported, and ``nodes/`` does not shadow the standard library) and speaks to it
over the child's stdin/stdout; user code's ``print`` goes to stderr. Frames are a 4-byte
big-endian length and a pickle. Runtime → worker:

* ``("init", setup)``: once, first: the code, names, time limit, memory limit and ``sys.path``;
  runs On Start and answers ``("result", ok, error_text, timed_out)``.
* ``("run", msg)``: run the body on ``msg``; answers ``("result", True, returned_value, False)``
  or ``("result", False, error_text, timed_out)``.
* ``("runs", [pickled msg, ...])``: a batch: each msg (its own pickle) is run in order, each
  answered as ``run`` is.
* ``("fin",)``: run On Stop, answers like ``run``. ``("exit",)`` (or EOF): end the process.
* ``("reply", rid, ok, value)``: the answer to request ``rid``.

Worker → runtime: ``("send", msgs, msgid)``, ``("done", error)``, ``("error", err, msg)``,
``("warn", text)``, ``("log", text)``, ``("status", status)``; requests that wait for a reply:
``("ctx", rid, scope, op, key, value, store)`` and ``("env", rid, name)``; and the ``result``.
Objects that the runtime sends by reference (``msg.req``, ``msg.res`` ...) arrive as
``RuntimeObject`` and go back as the same object.

Frames are batched both ways (each is still its own length and pickle): the runtime writes
the msgs of several runs in one ``runs`` frame, and the worker keeps what it writes in a buffer
while more jobs are waiting, writing it out when it runs out of jobs, before waiting for a
reply, when the buffer is large, and at the latest FLUSH_DELAY after the first frame went in
(a flusher thread), so that a long run does not hold back what earlier runs answered.

A run over its time limit is stopped by raising ``_Timeout`` (a BaseException) in the main
thread; code that catches it or is stuck in C is killed from outside with the whole process.
"""
import ast
import builtins
import ctypes
import io
import os
import pickle
import queue
import struct
import sys
import threading
import time

_LEN = struct.Struct(">I")
FLUSH_DELAY = 0.002  # seconds a written frame may wait in the buffer
FLUSH_SIZE = 1 << 18  # bytes of buffered frames that are written at once
_RUNTIME_OBJECT = b"_runtime_object"  # in the pickle of a msg holding a value kept in the runtime
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None), bytes, bytearray, tuple, set, frozenset})


class _Timeout(BaseException):
    """Raised in the main thread when a run is over its time limit."""


class RuntimeObject(dict):
    """An object that stays in the runtime process (``msg.req``, ``msg.res``, any value that is
    not plain data): a dict of its items (a copy, for reading), or empty; sending it on gives
    the runtime the original object back."""

    __slots__ = ("_ref",)

    def __init__(self, ref, view):
        super().__init__(view or ())
        self._ref = ref


def _to_runtime(ref):
    """The name under which a RuntimeObject is pickled: the runtime's unpickler gives back
    the object ``ref`` it kept."""
    raise TypeError("a runtime object reference is only read in the runtime")


class _Pickler(pickle.Pickler):
    """RuntimeObjects by reference; ``reducer_override`` is only called for values that are
    not exact plain types, so plain data pickles at C speed."""

    def reducer_override(self, obj):
        if type(obj) is RuntimeObject:
            return _to_runtime, (obj._ref,)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "flowred.nodes.python_function" and name == "_runtime_object":
            return RuntimeObject
        return super().find_class(module, name)


class _Channel:
    """Framed pickles over two pipes; writes from any thread (buffered, see the module's
    docstring), reads in a reader thread."""

    def __init__(self, rfd, wfd):
        self._r = os.fdopen(rfd, "rb", buffering=65536)
        self._w = os.fdopen(wfd, "wb", buffering=0)
        self._mutex = threading.Lock()  # held through ``with`` at C speed; the condition shares it
        self._lock = threading.Condition(self._mutex)
        self._out = io.BytesIO()
        self._pickler = _Pickler(self._out, pickle.HIGHEST_PROTOCOL)
        self._since = None  # when the oldest buffered frame was written
        self._rids = iter(range(1, 1 << 62))
        self._waiting = {}
        self.jobs = queue.SimpleQueue()
        threading.Thread(target=self._flush_late, daemon=True).start()

    def write(self, frame):
        """Pickle ``frame`` now (later changes to its values do not travel) into the buffer."""
        out = self._out
        with self._mutex:
            start = out.tell()
            out.write(b"\0\0\0\0")
            try:
                self._pickler.dump(frame)
            except BaseException:
                out.seek(start)
                out.truncate()
                raise
            finally:
                self._pickler.clear_memo()
            end = out.tell()
            out.seek(start)
            out.write(_LEN.pack(end - start - 4))
            out.seek(end)
            if self._since is None:
                self._since = time.monotonic()
                self._lock.notify()
            if end >= FLUSH_SIZE:
                self._flush_locked()

    def flush(self):
        """Write out every buffered frame."""
        with self._mutex:
            self._flush_locked()

    def _flush_locked(self):
        out = self._out
        if out.tell():
            self._w.write(out.getbuffer()[:out.tell()])
            out.seek(0)
            out.truncate()
        self._since = None

    def _flush_late(self):
        with self._lock:
            while True:
                if self._since is None:
                    self._lock.wait()
                    continue
                left = self._since + FLUSH_DELAY - time.monotonic()
                if left > 0:
                    self._lock.wait(left)
                    continue
                try:
                    self._flush_locked()
                except OSError:
                    return

    def request(self, kind, *args):
        rid = next(self._rids)
        slot = [threading.Event(), None]
        self._waiting[rid] = slot
        self.write((kind, rid, *args))
        self.flush()
        while not slot[0].wait(0.05):
            pass
        ok, value = slot[1]
        if not ok:
            raise RuntimeError(value)
        return value

    def read_forever(self):
        try:
            while True:
                head = self._r.read(4)
                if len(head) < 4:
                    break
                body = self._r.read(_LEN.unpack(head)[0])
                frame = _Unpickler(io.BytesIO(body)).load()
                if frame[0] == "reply":
                    slot = self._waiting.pop(frame[1], None)
                    if slot is not None:
                        slot[1] = (frame[2], frame[3])
                        slot[0].set()
                else:
                    self.jobs.put(frame)
        finally:
            self.jobs.put(("exit",))


class _Watchdog:
    """Raises _Timeout in the main thread when the current run passes its deadline. Starting
    and ending a run only set fields: the watchdog thread is woken when it sleeps without a
    deadline, and otherwise looks at the run in progress when its own wait ends."""

    def __init__(self, tid):
        self._tid = tid
        self._mutex = threading.Lock()  # held through ``with`` at C speed; the condition shares it
        self._cond = threading.Condition(self._mutex)
        self._deadline = None
        self._idle = True
        self._fired = False
        threading.Thread(target=self._watch, daemon=True).start()

    def begin(self, seconds):
        with self._mutex:
            self._deadline = time.monotonic() + seconds
            if self._idle:
                self._cond.notify()

    def end(self):
        with self._mutex:
            self._deadline = None
            if self._fired:  # an exception set just as the run returned must not hit later code
                self._fired = False
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._tid), None)

    def _watch(self):
        with self._cond:
            while True:
                if self._deadline is None:
                    self._idle = True
                    self._cond.wait()
                    self._idle = False
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                self._deadline = None
                self._fired = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._tid), ctypes.py_object(_Timeout))


class ContextApi:
    """``context``, ``flow`` and ``global_``: ``get(key, store=None)`` (None when missing),
    ``set(key, value, store=None)``, ``keys(store=None)``, ``update(key, fn, store=None)``;
    each asks the runtime and waits."""

    __slots__ = ("_scope", "_chan", "flow", "global_")

    def __init__(self, scope, chan):
        self._scope, self._chan = scope, chan

    def get(self, key, store=None):
        return self._chan.request("ctx", self._scope, "get", key, None, store)

    def set(self, key, value, store=None):
        self._chan.request("ctx", self._scope, "set", key, value, store)

    def keys(self, store=None):
        return self._chan.request("ctx", self._scope, "keys", None, None, store)

    def update(self, key, fn, store=None):
        """Atomically replace the value by ``fn(old)`` (old None when missing) and return the
        new value; ``fn`` may run more than once (compare-and-set with retry)."""
        for _ in range(10000):
            token, *old = self._chan.request("ctx", self._scope, "peek", key, None, store)
            new = fn(old[0] if old else None)
            if self._chan.request("ctx", self._scope, "cas", key, (token, new), store):
                return new
        raise RuntimeError(f"context update of {key!r} gave up after 10000 conflicts")


class EnvApi:
    """``env.get("NAME")`` as Node-RED's (node, tab, process env), answered by the runtime."""

    __slots__ = ("_chan",)

    def __init__(self, chan):
        self._chan = chan

    def get(self, name):
        return self._chan.request("env", name)


class NodeApi:
    """``node``: ``id``, ``name``, ``path``, ``outputCount``, ``send(msgs, clone=True)``,
    ``done(error=None)``, ``error(err, msg=None)``, ``warn``, ``log``, ``status``. What is sent
    is copied at the call (it is pickled to the runtime), so ``clone`` changes nothing."""

    def __init__(self, worker, setup):
        self._worker = worker
        self.id, self.name, self.path = setup["id"], setup["name"], setup["path"]
        self.outputCount = setup["outputCount"]

    def send(self, msgs, clone=True):
        w = self._worker
        if w.kind == "fin" and threading.current_thread() is threading.main_thread():
            self.error("Cannot send from close function")
            return
        if msgs is not None:  # the runtime shapes them (python_function.results), as what the code returns
            w.chan.write(("send", msgs, w.msgid if threading.current_thread() is threading.main_thread() else None))

    def done(self, error=None):
        if self._worker.kind == "run":
            self._worker.chan.write(("done", None if error is None else str(error)))

    def error(self, err, msg=None):
        self._worker.chan.write(("error", err if isinstance(err, str) else str(err),
                                 msg if isinstance(msg, dict) else None))

    def warn(self, text):
        self._worker.chan.write(("warn", text if isinstance(text, str) else str(text)))

    def log(self, text):
        self._worker.chan.write(("log", text if isinstance(text, str) else str(text)))

    def status(self, status):
        self._worker.chan.write(("status", status))


def _compile(source, filename, params):
    tree = ast.parse(source, filename, "exec")
    if params is not None:
        wrapper = ast.parse(f"def __flowred_code__({', '.join(params)}):\n pass\n", filename, "exec")
        wrapper.body[0].body = tree.body or [ast.Pass()]
        tree = ast.fix_missing_locations(wrapper)
    return compile(tree, filename, "exec")


def _describe(exc, filename, kind=""):
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{text} ({kind}line {line})" if line else text


class Worker:
    """The node's code and namespace in this process."""

    def __init__(self, chan, setup):
        self.chan = chan
        self.setup = setup
        self.kind = ""
        self.msgid = None
        self.watchdog = _Watchdog(threading.get_ident())
        self.files = setup["files"]
        context = ContextApi("node", chan)
        context.flow, context.global_ = ContextApi("flow", chan), ContextApi("global", chan)
        self.namespace = {"__builtins__": builtins, "__name__": f"python_function_{setup['id']}",
                          "node": NodeApi(self, setup), "context": context, "flow": context.flow,
                          "global_": context.global_, "env": EnvApi(chan)}
        exec(_compile(setup["func"], self.files["func"], ("msg",)), self.namespace)  # noqa: S102
        self.body = self.namespace.pop("__flowred_code__")

    def run(self, kind, fn, args, filename, where=""):
        """Run ``fn(*args)`` within the time limit; the result frame."""
        self.kind = kind
        self.watchdog.begin(self.setup["timeout"])
        try:
            try:
                value = fn(*args)
            finally:
                self.watchdog.end()
        except _Timeout:
            return ("result", False, None, True)
        except BaseException as exc:  # noqa: BLE001 - user code may raise anything, SystemExit too
            return ("result", False, _describe(exc, filename, where), False)
        finally:
            self.kind = ""
        return ("result", True, value if kind == "run" else None, False)

    def handle(self, frame):
        kind = frame[0]
        if kind == "run":
            msg = frame[1]
            self.msgid = msg.get("_msgid")
            return self.run("run", self.body, (msg,), self.files["func"])
        if kind == "init":
            code = self.setup["initialize"]
            if not code.strip():
                return ("result", True, None, False)
            compiled = _compile(code, self.files["initialize"], None)
            return self.run("init", exec, (compiled, self.namespace), self.files["initialize"], "setup:")
        if kind == "fin":
            code = self.setup["finalize"]
            if not code.strip():
                return ("result", True, None, False)
            exec(_compile(code, self.files["finalize"], ()), self.namespace)  # noqa: S102
            return self.run("fin", self.namespace.pop("__flowred_code__"), (), self.files["finalize"], "cleanup:")
        return None


def _die_with_parent():
    """Linux: have the kernel kill this process when the runtime process dies, so that code
    stuck in a loop does not outlive it (elsewhere the worker ends when its stdin closes)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        pass


def main():
    _die_with_parent()
    rfd, wfd = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115
    sys.stdout = sys.stderr
    chan = _Channel(rfd, wfd)
    threading.Thread(target=chan.read_forever, daemon=True).start()
    frame = chan.jobs.get()
    if frame[0] != "init":
        return
    setup = frame[1]
    sys.path[:] = setup["sys_path"]
    if setup["memory"]:
        import resource
        limit = setup["memory"] * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    worker = Worker(chan, setup)
    chan.write(worker.handle(("init",)))
    chan.flush()
    jobs = chan.jobs
    while True:
        if jobs.empty():
            chan.flush()
        frame = jobs.get()
        if frame[0] == "exit":
            break
        if frame[0] == "runs":
            for blob in frame[1]:
                msg = _Unpickler(io.BytesIO(blob)).load() if _RUNTIME_OBJECT in blob else pickle.loads(blob)
                _reply(chan, worker.handle(("run", msg)))
        else:
            _reply(chan, worker.handle(frame))
    chan.flush()


def _reply(chan, reply):
    """Write the answer to a job (None: no answer)."""
    if reply is not None:
        try:
            chan.write(reply)
        except Exception as exc:  # noqa: BLE001 - a returned value that cannot be pickled
            chan.write(("result", False, f"Function returned a value that cannot be sent: {exc}", False))


if __name__ == "__main__":
    main()
