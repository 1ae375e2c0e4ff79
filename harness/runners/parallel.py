"""Independent pieces of work (framework runs, replays, report parts) on several cores, or on a Dask
cluster, with results bit-identical to running them one after another.

    results = execute([Task(fn, {"a": 1}, cost=3.0, label="x"), ...], jobs=2)     # joblib, loky
    results = execute(tasks, scheduler="tcp://127.0.0.1:8786")                    # joblib, dask

``fn`` is a module-level function (it travels to the worker by name); results come back in the
order of ``tasks``. The longest tasks (by ``cost``, an estimate) are handed out first, so the last
one to finish is a short one. Every task runs under ``harness.runners.threads.pinned()`` wherever
it runs, so a run in a worker rounds exactly as the same run in the serial loop (jobs=1, in this
process). A task that raises is returned as ``TaskError`` with the message and the traceback,
never lost, and the other tasks still run.

Data sets travel by name (``DataRef``): each worker loads and checks the files once and keeps them
for its later tasks, instead of receiving hundreds of megabytes of arrays per task.
"""
from dataclasses import dataclass, field
import functools
import time
import traceback

from harness.runners import threads


@dataclass(frozen=True)
class DataRef:
    """A data set by name (as ``harness.data.resolve_dataset`` takes it), loaded where it is used."""

    name: str
    data_dir: str = None

    def load(self, dtype=None):
        """((x_train, t_train), (x_test, t_test)); images in ``dtype`` if given (kept per process:
        casting Fashion-MNIST to float64 costs ~0.9 s, once instead of once per run)."""
        return _load(self.name, self.data_dir) if dtype is None else _cast(self.name, self.data_dir, dtype)


@functools.lru_cache(maxsize=2)
def _load(name, data_dir):
    from harness.data import resolve_dataset

    return resolve_dataset(name, data_dir, download=False, progress=False).load(
        normalize=True, flatten=True, one_hot_label=False)


@functools.lru_cache(maxsize=2)
def _cast(name, data_dir, dtype):
    import numpy as np

    (x_train, t_train), (x_test, t_test) = _load(name, data_dir)
    return ((np.ascontiguousarray(x_train, dtype=dtype), t_train), (np.ascontiguousarray(x_test, dtype=dtype), t_test))


def resolve_data(data, dtype=None):
    """Arrays for ``data``: a DataRef is loaded (once per process, and cast to ``dtype`` once), arrays
    are returned as they are."""
    return data.load(dtype) if isinstance(data, DataRef) else data


@dataclass
class Task:
    fn: object
    kwargs: dict = field(default_factory=dict)
    cost: float = 1.0
    label: str = ""


@dataclass
class TaskError:
    """A task that raised: its label, the exception as text, and the traceback's last lines."""

    label: str
    error: str
    traceback: str


def execute(tasks, jobs=1, scheduler=None, progress=False, desc="runs", seconds=None):
    """The results of ``tasks`` (a value or a TaskError each), in their order. ``seconds``: a list
    that receives each task's own duration (in task order)."""
    tasks = list(tasks)
    if jobs is not None and jobs < 1 and jobs != -1:
        raise ValueError(f"--jobs must be a positive number of processes (or -1 for all cores), got {jobs}")
    order = sorted(range(len(tasks)), key=lambda k: -tasks[k].cost)
    results, took = [None] * len(tasks), [None] * len(tasks)
    bar = _bar(progress, len(tasks), desc)
    try:
        if scheduler is None and (jobs == 1 or len(tasks) <= 1):
            for k in order:
                results[k], took[k] = _call(tasks[k].fn, tasks[k].kwargs, tasks[k].label)
                _tick(bar)
            return results
        from joblib import Parallel, delayed

        calls = (delayed(_call)(tasks[k].fn, tasks[k].kwargs, tasks[k].label) for k in order)
        if scheduler is not None:
            done = _on_dask(scheduler, calls)
        else:
            done = Parallel(n_jobs=jobs, backend="loky", return_as="generator")(calls)
        for k, (value, duration) in zip(order, done):
            results[k], took[k] = value, duration
            _tick(bar)
        return results
    finally:
        if bar is not None:
            bar.close()
        if seconds is not None:
            seconds[:] = took


def _on_dask(address, calls):
    """joblib's Dask backend on the scheduler at ``address`` (a dask.distributed Client for the call)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise ValueError("--scheduler needs dask.distributed (pip install 'dask[distributed]')") from None
    from joblib import Parallel, parallel_config

    with Client(address, timeout=30):
        with parallel_config(backend="dask", n_jobs=-1):
            return list(Parallel()(calls))


def _call(fn, kwargs, label):
    """(fn's value or a TaskError, seconds it took), with the threads pinned."""
    threads.pin_process()
    _keep_worker()
    start = time.perf_counter()
    try:
        with threads.pinned():
            return fn(**kwargs), time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - returned as data, the other tasks go on
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return TaskError(label, f"{type(exc).__name__}: {exc}", "".join(tb[-6:])), time.perf_counter() - start


# A loky worker shuts itself down ("A worker stopped while some jobs were given to the executor")
# when its memory grew by more than 300 MB since its first task, taking that for a leak. A worker
# here keeps, by design, each framework it imported and the data set cast to each dtype (Fashion-
# MNIST: 376 MB in float64), so that threshold restarted workers mid-report (two restarts in the
# default report, each paying the imports and the data load again, ~10 s). joblib has no option for
# it; the worker loop reads loky's module-level limit at every check, so a task raises it there.
WORKER_MEMORY_GROWTH = 8 * 2**30  # bytes a worker may grow by before loky restarts it


def _keep_worker():
    """In a loky worker: let it grow to WORKER_MEMORY_GROWTH before loky restarts it (see above)."""
    import sys

    executor = sys.modules.get("joblib.externals.loky.process_executor")
    if executor is not None and getattr(executor, "_MAX_MEMORY_LEAK_SIZE", None) is not None:
        executor._MAX_MEMORY_LEAK_SIZE = max(executor._MAX_MEMORY_LEAK_SIZE, WORKER_MEMORY_GROWTH)


def _bar(enabled, total, desc):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="task", mininterval=0.5)


def _tick(bar):
    if bar is not None:
        bar.update(1)
