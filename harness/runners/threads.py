"""One native thread per training run, wherever it runs: the serial loop, a loky worker, a Dask worker.

Measured here (two_layer_relu, float32, 1,500 iterations): the loss curves of all three frameworks
change with the thread count — OpenBLAS, torch and TensorFlow's Eigen split a matmul's work
differently for one or two threads and so round differently. A run in a worker process that
joblib limits to ``cpu_count // n_jobs`` threads would then not be bit-identical to the same run
in the serial loop. So every run pins its thread pools to ``THREADS_PER_RUN`` itself, and the
run records what it got. (One thread is also the faster setting for these small matmuls here:
OpenBLAS' second thread costs more in synchronisation than it saves.)

    pin_process()          # before TensorFlow / torch are imported: environment variables
    with pinned() as got:  # around one run: thread pools limited, restored afterwards
        ...

TensorFlow reads its pool sizes once, when its runtime starts (``TF_NUM_INTRAOP_THREADS``); a
TensorFlow already started with other sizes cannot be changed, and ``threads()`` says so.
"""
import contextlib
import os
import sys

THREADS_PER_RUN = 1
ENV = "SCRATCH_PARITY_THREADS"  # overrides THREADS_PER_RUN (``--threads N``); worker processes inherit it
_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS")


def per_run():
    """Threads per run: ``SCRATCH_PARITY_THREADS`` if set, else THREADS_PER_RUN."""
    value = os.environ.get(ENV)
    if value is None:
        return THREADS_PER_RUN
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{ENV}={value!r}: give a positive number of threads")
    return int(value)


def set_per_run(n):
    """Make ``n`` the thread count of every later run in this process and the workers it starts."""
    if n is not None:
        if n < 1:
            raise ValueError(f"--threads must be at least 1, got {n}")
        os.environ[ENV] = str(n)


def pin_process(n=None):
    """Set the thread environment variables to ``n`` (default ``per_run()``), read by OpenBLAS, torch
    and TensorFlow when they start. Call before they are imported; later, ``pinned()`` still limits
    BLAS and torch."""
    n = per_run() if n is None else n
    for name in _ENV:
        os.environ[name] = str(n)


@contextlib.contextmanager
def pinned(n=None):
    """Inside the block: BLAS pools (threadpoolctl) and torch limited to ``n`` threads (default
    ``per_run()``). Yields the ``threads()`` record taken inside the block."""
    from threadpoolctl import threadpool_limits

    n = per_run() if n is None else n
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=n):
        if torch is not None:
            torch.set_num_threads(n)
        try:
            yield threads()
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def threads():
    """What the native pools use now: {"blas": [n per pool], "torch": n or None, "tensorflow":
    {"intra_op", "inter_op"} or None}; TensorFlow's 0 means "as many as cores"."""
    from threadpoolctl import threadpool_info

    out = {"blas": sorted({p["num_threads"] for p in threadpool_info()}), "torch": None, "tensorflow": None}
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = torch.get_num_threads()
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "config"):
        out["tensorflow"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                             "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
                             "env": os.environ.get("TF_NUM_INTRAOP_THREADS")}
    return out
