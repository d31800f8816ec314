"""The worker process of a chain of python-function nodes: runs the nodes' code, one job at a time.

nodes/python_function_chain.py starts it as ``python -c <this file's text>`` (so that no module
of ``flowred`` is imported, and ``nodes/`` does not shadow the standard library) and speaks to it
over the child's stdin/stdout; user code's ``print`` goes to stderr. Frames are a 4-byte
big-endian length and a pickle. A worker serves one chain: one python-function node, or several
joined by fused wires (see python_function_chain.py); each node is a *member*, named by its
index ``i``, with its own namespace, time limit, context and events. Runtime → worker:

* ``("init", setup)``: once, first: the members' code and names, the memory limit and ``sys.path``.
* ``("start", i)``: run member ``i``'s On Start; answers ``("result", ok, error_text, timed_out)``.
* ``("runs", [(i, pickled msg), ...], routes, complete, keep)``: a batch: each msg (its own
  pickle) is run by member ``i``, in order. ``routes[i]`` is None (plain) or, per output port,
  the member the port is fused to (-1: not fused); ``complete[i]`` says that member ``i``'s
  runtime node completes its msgs (a complete node watches it), ``keep[i]`` that it may need
  a run's input msg (a complete or catch node watches it). A plain member's run answers
  ``("result", True, returned_value, False)`` or ``("result", False, error_text, timed_out)``.
  A member with fused ports runs the msg's whole *chain*: what it sends or returns on a fused
  port is run at once here by the member the port is fused to, and so on (depth first, each
  run with its own member's time limit); each run whose outcome the runtime must handle (an
  error, msgs for unfused ports, a completion) answers ``("fresult", i, ok, value, timed_out,
  entry, snap, end)``: ``value`` already shaped as a list per output (``_msgid`` set, fused ports
  None), ``entry`` True for the run of the msg the runtime sent (the runtime holds it), else
  ``snap`` is the run's input msg pickled before the run (for the error, the completion) when
  ``keep[i]``, otherwise its ``_msgid`` (the runtime then reports errors with that alone).
  ``end`` True closes the msg's chain; when its last run wrote no ``fresult``, ``("end",)`` does.
* ``("fin", i)``: run member ``i``'s On Stop, answers like ``start``. ``("exit",)`` (or EOF): end the process.
* ``("reply", rid, ok, value)``: the answer to request ``rid``.

Worker → runtime: events ``("send", i, msgs, msgid)``, ``("done", i, error, entry, snap)``,
``("error", i, err, msg)``, ``("warn", i, text)``, ``("log", i, text)``, ``("status", i, status)``;
requests that wait for a reply: ``("ctx", rid, i, scope, op, key, value, store)`` and ``("env",
rid, i, name)``; the results; ``("late", i, entry, snap)`` when a run passed its time limit
(written at once, so the runtime kills the process if the run does not stop within its grace);
``("tick",)`` at the start of a chained run when nothing was written for TICK s (the runtime
waits for progress, and a long chain of runs that each keep their limit is progress). Objects
that the runtime sends by reference (``msg.req``, ``msg.res`` ...) arrive as ``RuntimeObject`` and
go back as the same object.

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
import copy
import ctypes
import io
import os
import pickle
import queue
import random
import struct
import sys
import threading
import time

_LEN = struct.Struct(">I")
FLUSH_DELAY = 0.002  # seconds a written frame may wait in the buffer
FLUSH_SIZE = 1 << 18  # bytes of buffered frames that are written at once
TICK = 1.0  # seconds without a written frame after which a chained run's start writes a tick
_RUNTIME_OBJECT = b"_runtime_object"  # in the pickle of a msg holding a value kept in the runtime
_TO_RUNTIME = b"_to_runtime"  # in a pickle made here of a value holding a RuntimeObject
_PLAIN = frozenset({dict, list, str, int, float, bool, type(None), bytes, bytearray, tuple, set, frozenset})
_END = ("end",)
_TICK = ("tick",)


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
        if module == "flowred.nodes.python_function_chain" and name == "_runtime_object":
            return RuntimeObject
        return super().find_class(module, name)


class _Snapshots:
    """Pickles of msgs as the runtime reads them (RuntimeObjects by reference), made in the main
    thread: a chained run's input before the run, what ``node.send`` sends at the call."""

    def __init__(self):
        self._buf = io.BytesIO()
        self._pickler = _Pickler(self._buf, pickle.HIGHEST_PROTOCOL)

    def take(self, obj):
        buf = self._buf
        buf.seek(0)
        buf.truncate()
        self._pickler.clear_memo()
        self._pickler.dump(obj)
        return buf.getvalue()


def _clone(obj, snap):
    """A deep copy of ``obj`` whose pickle (by this module's pickler) is ``snap``."""
    return pickle.loads(snap) if _TO_RUNTIME not in snap else copy.deepcopy(obj)


def _new_id():
    return "%016x" % random.getrandbits(64)


def shape_results(msgs, msgid, errors):
    """Node-RED's sendResults, here and in the runtime's PythonFunctionNode.results: ``msgs`` as a list
    per output, each msg with ``_msgid`` set; None when there is nothing to send. Entries that
    are not msgs are skipped and their error texts appended to ``errors``."""
    if msgs is None:
        return None
    if not isinstance(msgs, (list, tuple)):
        msgs = (msgs,)
    out = []
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
                errors.append(f"Function tried to send a message of type {type(m).__name__}")
                continue
            m["_msgid"] = msgid
            port.append(m)
            count += 1
        out.append(port)
    return out if count else None


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
        self.last = time.monotonic()  # when the last frame was written
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
            self.last = now = time.monotonic()
            if self._since is None:
                self._since = now
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
    """Raises _Timeout in the main thread when the current run passes its deadline, and calls
    ``on_late`` (still holding its lock, so that what it writes goes before the run's result).
    Starting and ending a run only set fields: the watchdog thread is woken when it sleeps
    without a deadline, and otherwise looks at the run in progress when its own wait ends."""

    def __init__(self, tid, on_late):
        self._tid = tid
        self._on_late = on_late
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
                try:
                    self._on_late()
                except Exception:  # noqa: BLE001, S110 - the runtime's own limit still holds
                    pass


class ContextApi:
    """``context``, ``flow`` and ``global_``: ``get(key, store=None)`` (None when missing),
    ``set(key, value, store=None)``, ``keys(store=None)``, ``update(key, fn, store=None)``;
    each asks the runtime and waits."""

    __slots__ = ("_scope", "_chan", "_idx", "flow", "global_")

    def __init__(self, scope, chan, idx):
        self._scope, self._chan, self._idx = scope, chan, idx

    def get(self, key, store=None):
        return self._chan.request("ctx", self._idx, self._scope, "get", key, None, store)

    def set(self, key, value, store=None):
        self._chan.request("ctx", self._idx, self._scope, "set", key, value, store)

    def keys(self, store=None):
        return self._chan.request("ctx", self._idx, self._scope, "keys", None, None, store)

    def update(self, key, fn, store=None):
        """Atomically replace the value by ``fn(old)`` (old None when missing) and return the
        new value; ``fn`` may run more than once (compare-and-set with retry)."""
        for _ in range(10000):
            token, *old = self._chan.request("ctx", self._idx, self._scope, "peek", key, None, store)
            new = fn(old[0] if old else None)
            if self._chan.request("ctx", self._idx, self._scope, "cas", key, (token, new), store):
                return new
        raise RuntimeError(f"context update of {key!r} gave up after 10000 conflicts")


class EnvApi:
    """``env.get("NAME")`` as Node-RED's (node, tab, process env), answered by the runtime."""

    __slots__ = ("_chan", "_idx")

    def __init__(self, chan, idx):
        self._chan, self._idx = chan, idx

    def get(self, name):
        return self._chan.request("env", self._idx, name)


class NodeApi:
    """``node``: ``id``, ``name``, ``path``, ``outputCount``, ``send(msgs, clone=True)``,
    ``done(error=None)``, ``error(err, msg=None)``, ``warn``, ``log``, ``status``. What is sent
    is copied at the call (it is pickled to the runtime, or copied for a fused port), so
    ``clone`` changes nothing."""

    def __init__(self, worker, setup):
        self._worker = worker
        self.id, self.name, self.path = setup["id"], setup["name"], setup["path"]
        self.outputCount = setup["outputCount"]

    def send(self, msgs, clone=True):
        w = self._worker
        main = threading.current_thread() is threading.main_thread()
        if w.kind == "fin" and main:
            self.error("Cannot send from close function")
            return
        if msgs is None:  # the runtime shapes them (python_function.results), as what the code returns
            return
        if main and w.kind == "run" and w.runner.pending is not None:
            w.runner.send(w, msgs)  # a chained run: fused ports run here
        else:
            w.chan.write(("send", w.idx, msgs, w.msgid if main else None))

    def done(self, error=None):
        w = self._worker
        if w.kind == "run":
            _, entry, snap = w.runner.current or (w.idx, True, None)
            w.chan.write(("done", w.idx, None if error is None else str(error), entry, snap))

    def error(self, err, msg=None):
        self._worker.chan.write(("error", self._worker.idx, err if isinstance(err, str) else str(err),
                                 msg if isinstance(msg, dict) else None))

    def warn(self, text):
        self._worker.chan.write(("warn", self._worker.idx, text if isinstance(text, str) else str(text)))

    def log(self, text):
        self._worker.chan.write(("log", self._worker.idx, text if isinstance(text, str) else str(text)))

    def status(self, status):
        self._worker.chan.write(("status", self._worker.idx, status))


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
    """One member's code and namespace in this process."""

    def __init__(self, runner, setup, idx):
        self.runner = runner
        self.chan = chan = runner.chan
        self.setup = setup
        self.idx = idx
        self.timeout = setup["timeout"]
        self.kind = ""
        self.msgid = None
        self.watchdog = runner.watchdog
        self.files = setup["files"]
        context = ContextApi("node", chan, idx)
        context.flow, context.global_ = ContextApi("flow", chan, idx), ContextApi("global", chan, idx)
        self.namespace = {"__builtins__": builtins, "__name__": f"python_function_{setup['id']}",
                          "node": NodeApi(self, setup), "context": context, "flow": context.flow,
                          "global_": context.global_, "env": EnvApi(chan, idx)}
        exec(_compile(setup["func"], self.files["func"], ("msg",)), self.namespace)  # noqa: S102
        self.body = self.namespace.pop("__flowred_code__")

    def run(self, kind, fn, args, filename, where=""):
        """Run ``fn(*args)`` within the time limit; the result frame."""
        self.kind = kind
        self.watchdog.begin(self.timeout)
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


class Runner:
    """The members of this worker's chain and the runs of a batch, fused ports included."""

    def __init__(self, chan, setups):
        self.chan = chan
        self.current = None  # (member, entry, snap) of the run in progress, for "late" and "done"
        self.pending = None  # in a chained run: what node.send gave fused ports, (member, msg, snap)
        self.routes = None
        self.complete = self.keep = ()
        self.snapshots = _Snapshots()
        self.watchdog = _Watchdog(threading.get_ident(), self._late)
        self.members = [Worker(self, setup, i) for i, setup in enumerate(setups)]

    def _late(self):
        """The watchdog's call when a run passed its limit: tell the runtime which run, now."""
        idx, entry, snap = self.current or (-1, True, None)
        self.chan.write(("late", idx, entry, snap))
        self.chan.flush()

    def runs(self, entries, routes, complete, keep):
        """Run a batch: each msg by its member, a member with fused ports as a chain."""
        self.routes, self.complete, self.keep = routes, complete, keep
        chan = self.chan
        members = self.members
        for idx, blob in entries:
            msg = _Unpickler(io.BytesIO(blob)).load() if _RUNTIME_OBJECT in blob else pickle.loads(blob)
            if routes is None or routes[idx] is None:
                self.current = (idx, True, None)
                _reply(chan, members[idx].handle(("run", msg)))
            else:
                self.chain(idx, msg)
        self.current = None

    def chain(self, idx, msg):
        """Run ``msg`` by member ``idx`` and what it gives fused ports by their members, depth
        first, in the order the msgs were sent; write what the runtime must handle. A run's
        input is pickled before the run (``snap``) only when its member's runtime node may need
        it (``keep``: a catch or complete node watches it); otherwise ``snap`` is its
        ``_msgid``. The last ``fresult`` of the chain says it ends it; else ``end`` follows."""
        chan = self.chan
        write = chan.write
        members, routes, complete, keep = self.members, self.routes, self.complete, self.keep
        take = self.snapshots.take
        monotonic = time.monotonic
        stack = [(idx, msg, None)]
        ended = False
        while stack:
            idx, msg, snap = stack.pop()
            member = members[idx]
            entry = snap is None
            if not entry and monotonic() - chan.last > TICK:
                write(_TICK)
            self.current = (idx, entry, snap)
            out = self.pending = []
            msgid = member.msgid = msg.get("_msgid")
            try:
                result = member.run("run", member.body, (msg,), member.files["func"])
            finally:
                self.pending = None
            if not result[1]:
                ended = not out and not stack
                write(("fresult", idx, False, result[2], result[3], entry, snap, ended))
            else:
                sent = len(out)
                value = result[2]
                ports = routes[idx]
                try:
                    if type(value) is dict:  # ``return msg``
                        value["_msgid"] = msgid or _new_id()
                        if ports is not None and ports[0] >= 0:
                            target = ports[0]
                            out.append((target, value, take(value) if keep[target] else value["_msgid"]))
                            rest = None
                        else:
                            rest = value
                    elif value is None:
                        rest = None
                    else:
                        errors = []
                        shaped = shape_results(value, msgid or _new_id(), errors)
                        for text in errors:
                            write(("error", idx, text, None))
                        rest = shaped if shaped is None or ports is None else self.route(ports, shaped, out)
                    if rest is not None or complete[idx]:
                        ended = not out and not stack
                        write(("fresult", idx, True, rest, False, entry, snap if complete[idx] else None, ended))
                except Exception as exc:  # noqa: BLE001 - a returned value that cannot be pickled
                    del out[sent:]
                    ended = not out and not stack
                    write(("fresult", idx, False, f"Function returned a value that cannot be sent: {exc}",
                           False, entry, snap, ended))
            if out:
                stack.extend(reversed(out))
        if not ended:
            write(_END)

    def route(self, ports, shaped, out):
        """Move the msgs of ``shaped`` (a list per output) on fused ``ports`` to ``out`` as
        ``(member, msg, snap)``: the first keeps its object, later ones are copies (as Node-RED
        clones every delivery of a send but the first). The rest, or None when nothing is left."""
        take = self.snapshots.take
        keep = self.keep
        first = True
        left = False
        for port, entry in enumerate(shaped):
            if not entry:
                continue
            target = ports[port] if port < len(ports) else -1
            if target < 0:
                left = True
                continue
            for m in entry:
                if first:
                    out.append((target, m, take(m) if keep[target] else m["_msgid"]))
                    first = False
                else:
                    snap = take(m)
                    out.append((target, _clone(m, snap), snap))
            shaped[port] = None
        return shaped if left else None

    def send(self, member, msgs):
        """``node.send`` in a chained run: copied at the call; fused ports' msgs run after the
        run, the rest goes to the runtime now."""
        chan = self.chan
        idx = member.idx
        copied = _clone(msgs, self.snapshots.take(msgs))
        errors = []
        shaped = shape_results(copied, member.msgid or _new_id(), errors)
        for text in errors:
            chan.write(("error", idx, text, None))
        if shaped is None:
            return
        rest = self.route(self.routes[idx], shaped, self.pending) if self.routes[idx] is not None else shaped
        if rest is not None:
            chan.write(("send", idx, rest, member.msgid))


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
    runner = Runner(chan, setup["members"])
    members = runner.members
    jobs = chan.jobs
    while True:
        if jobs.empty():
            chan.flush()
        frame = jobs.get()
        kind = frame[0]
        if kind == "exit":
            break
        if kind == "runs":
            runner.runs(frame[1], frame[2], frame[3], frame[4])
        elif kind == "start":
            _reply(chan, members[frame[1]].handle(("init",)))
        elif kind == "fin":
            _reply(chan, members[frame[1]].handle(("fin",)))
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
