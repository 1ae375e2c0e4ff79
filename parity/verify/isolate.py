"""Run one unit of work in a child process under a time limit, so that a user's component that
raises, loops forever or crashes the interpreter is reported for that component and the rest of
the checks still run.

    >>> outcome = run_isolated(sum, ([1, 2],), timeout=10)
    >>> outcome.status, outcome.value
    ('ok', 3)

The child comes from a fork server (``multiprocessing``'s "forkserver"): a clean process that
imports ``preload`` (torch, keras, the parity engine) once and forks a child per call. A plain
fork of the calling process would inherit framework thread pools that the parent has already
started (after one torch matmul in the parent, a forked child's first torch matmul hangs for
ever), so "fork" is used only where the caller asks for it (``method="fork"``, for work that
cannot be pickled; such a child runs torch on one thread, which never touches the inherited pool)
and "spawn" where there is no fork server. ``fn`` and ``args`` must pickle
(module-level functions, plain data); the child sends back ``("ok", value)`` or ``("error",
traceback text)`` through a pipe, and the value must pickle too. A child still running after ``timeout`` seconds is killed (status "timeout"); one that
dies without an answer (a segfault, ``os._exit``) gives status "error" with its exit code.
``timeout=None`` runs in this process (no isolation; exceptions become "error").
"""
from dataclasses import dataclass
import multiprocessing as mp
import sys
import time
import traceback


@dataclass
class Outcome:
    status: str          # "ok", "error", "timeout"
    value: object = None
    error: str = ""
    seconds: float = 0.0


_PRELOADED = set()


def _context(method=None, preload=()):
    """The multiprocessing context; the fork server's preload list is set before it first starts."""
    methods = mp.get_all_start_methods()
    if method is None:
        method = "forkserver" if "forkserver" in methods else "spawn"
    ctx = mp.get_context(method)
    if mp.get_start_method(allow_none=True) not in (None, *methods):
        # NOTE: a joblib loky worker sets its process-wide start method to "loky", which the children's
        # preparation data would carry to a multiprocessing child that cannot read it.
        mp.set_start_method(method, force=True)
    if method == "forkserver" and not _PRELOADED:
        # NOTE: without '__main__': the fork server must not re-run the caller's script.
        ctx.set_forkserver_preload(list(preload))
        _PRELOADED.update(preload or ("<none>",))
    return ctx


def _child(conn, fn, args, kwargs, forked=False):
    if forked and "torch" in sys.modules:
        # NOTE: a plainly forked child inherits torch's intra-op thread pool as dead threads; one
        # thread never touches that pool (without this the first matmul hangs).
        sys.modules["torch"].set_num_threads(1)
    try:
        value = fn(*args, **kwargs)
        conn.send(("ok", value))
    except BaseException as e:  # noqa: BLE001 -- everything a user's code raises is the answer
        conn.send(("error", f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-4)}"))
    finally:
        conn.close()


def run_isolated(fn, args=(), kwargs=None, timeout=60.0, preload=(), method=None):
    """``fn(*args, **kwargs)`` in a child process; an Outcome (never raises for the child's faults).

    preload: modules the fork server imports once (only the first call's list counts).
    method: None (fork server), or "fork" / "spawn" explicitly."""
    kwargs = kwargs or {}
    start = time.perf_counter()
    if timeout is None:
        try:
            return Outcome("ok", fn(*args, **kwargs), seconds=time.perf_counter() - start)
        except Exception as e:  # noqa: BLE001
            return Outcome("error", error=f"{type(e).__name__}: {e}", seconds=time.perf_counter() - start)
    ctx = _context(method, preload)
    recv, send = ctx.Pipe(duplex=False)
    forked = ctx.get_start_method() == "fork"
    proc = ctx.Process(target=_child, args=(send, fn, args, kwargs, forked), daemon=True)
    proc.start()
    send.close()
    answer = None
    # NOTE: read before join: a large answer fills the pipe and the child blocks until it is read.
    if recv.poll(timeout):
        try:
            answer = recv.recv()
        except EOFError:
            answer = None
    elapsed = time.perf_counter() - start
    if answer is None and proc.is_alive() and elapsed >= timeout:
        proc.kill()
        proc.join()
        recv.close()
        return Outcome("timeout", error=f"no result within the time limit of {timeout:g} s (killed)",
                       seconds=elapsed)
    proc.join(max(1.0, timeout - elapsed))
    if proc.is_alive():
        proc.kill()
        proc.join()
    recv.close()
    if answer is None:
        return Outcome("error", error=f"the worker process died without an answer (exit code {proc.exitcode})",
                       seconds=elapsed)
    status, payload = answer
    if status == "ok":
        return Outcome("ok", payload, seconds=elapsed)
    return Outcome("error", error=payload, seconds=elapsed)


class UnitTimeout(BaseException):
    """Raised into in-process work at its time limit (a BaseException, so that the runners'
    ``except Exception`` around the user's code does not take it for the user's error)."""


def run_here(fn, args=(), kwargs=None, timeout=60.0):
    """``fn(*args, **kwargs)`` in this process, stopped after ``timeout`` seconds by SIGALRM where
    this is the main thread (elsewhere without a limit); an Outcome as ``run_isolated`` gives.
    For work already inside a child of its own (a batch submission's child)."""
    import signal
    import threading

    kwargs = kwargs or {}
    start = time.perf_counter()
    timed = timeout is not None and threading.current_thread() is threading.main_thread()

    def expire(signum, frame):
        raise UnitTimeout()

    previous = signal.signal(signal.SIGALRM, expire) if timed else None
    if timed:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return Outcome("ok", fn(*args, **kwargs), seconds=time.perf_counter() - start)
    except UnitTimeout:
        return Outcome("timeout", error=f"no result within the time limit of {timeout:g} s (stopped)",
                       seconds=time.perf_counter() - start)
    except Exception as e:  # noqa: BLE001 -- everything a user's code raises is the answer
        return Outcome("error", error=f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=-4)}",
                       seconds=time.perf_counter() - start)
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
