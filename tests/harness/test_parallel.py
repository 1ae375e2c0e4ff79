"""Runs in parallel give the serial results bit for bit: ``harness run --jobs 2`` against
``--jobs 1`` (float32, where rounding shows), a short report with ``--jobs 2`` against the same
report serial, and the runs on a Dask ``LocalCluster`` the test starts against loky workers.

The commands run as subprocesses: each pins its threads before TensorFlow or torch start, as a
user's command does (in this test process another test may have started TensorFlow already).
"""
import json
import os
from pathlib import Path
import subprocess
import sys

import pytest

from harness.report.write import read_results
from harness.runners.parallel import Task, TaskError, execute
from tests.harness.runs_support import mnist_5k, need

ROOT = Path(__file__).resolve().parents[2]
# What legitimately differs between two runs of the same work: clocks, the command line, where it ran.
VOLATILE = {"durations", "created", "command", "wall_s", "eval_s", "train_s", "time_per_iter_s", "seconds",
            "time_per_iter_p10_s", "time_per_iter_p90_s", "first_iter_s",
            "options", "python_executable", "environment", "threads", "jobs"}


def stable(obj):
    if isinstance(obj, dict):
        return {k: stable(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [stable(v) for v in obj]
    return obj


def _cli(args, timeout=600):
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ})
    return done


def test_run_with_two_jobs_equals_the_serial_run(tmp_path):
    need("torch")
    need("keras")
    mnist_5k()
    docs = []
    for jobs in ("1", "2"):
        done = _cli(["run", "two_layer_relu", "--dataset", "mnist-5k", "--dtype", "float32", "--iters", "150",
                     "--seeds", "2", "--jobs", jobs, "--explain", "all", "--out", str(tmp_path / jobs), "--json", "-",
                     "--no-progress", "--exit-zero"])
        assert done.returncode == 0, done.stderr[-3000:]
        docs.append(json.loads(done.stdout))
    serial, parallel = docs
    assert [r["runs"]["keras"]["train_loss"] for r in serial["runs"]] == \
           [r["runs"]["keras"]["train_loss"] for r in parallel["runs"]]
    assert stable(serial) == stable(parallel)
    assert all(r["explanation"]["keras"]["replay_matches_recorded"] for r in serial["runs"])


def test_report_with_two_jobs_equals_the_serial_report(tmp_path):
    need("torch")
    mnist_5k()
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"report-{jobs}"
        done = _cli(["report", "--out", str(out), "--dataset", "mnist-5k", "--experiments", "two_layer_relu,two_layer_sigmoid",
                     "--components", "Affine,Relu,SGD", "--iters", "60", "--seeds", "2", "--seed-iters", "60",
                     "--keras-backends", "tensorflow", "--jobs", jobs, "--no-progress"])
        assert done.returncode == 0, done.stderr[-3000:]
        outs.append(out)
    a, b = (read_results(o) for o in outs)
    assert a["options"]["jobs"] == 1 and b["options"]["jobs"] == 2
    assert stable(a) == stable(b)
    for name in ("loss_two_layer_relu.csv.gz", "loss_two_layer_sigmoid.csv.gz", "op_matrix.csv.gz", "seeds.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


def test_runs_on_a_dask_cluster_equal_the_loky_runs():
    need("torch")
    distributed = pytest.importorskip("dask.distributed")
    from harness.experiment import load_experiment
    from harness.runners import DataRef, run_seeds

    exp = load_experiment("two_layer_relu")
    data = DataRef("mnist-5k")  # each worker loads it by name
    kwargs = dict(frameworks=("numpy", "torch"), dtype="float32", seeds=range(2), iters=80, explain="all")
    loky = run_seeds(exp, data, jobs=2, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = run_seeds(exp, data, scheduler=cluster.scheduler_address, **kwargs)
    assert stable(on_dask) == stable(loky)
    assert on_dask[0]["runs"]["torch"]["threads"]["torch"] == 1


def _fails(x):
    raise ValueError(f"planted {x}")


def _square(x):
    return x * x


def test_a_task_that_raises_is_returned_with_its_reason_and_order_is_kept():
    tasks = [Task(_square, {"x": 3}, cost=1), Task(_fails, {"x": 1}, cost=5, label="bad"), Task(_square, {"x": 4}, cost=9)]
    for jobs in (1, 2):
        a, b, c = execute(tasks, jobs=jobs)
        assert (a, c) == (9, 16)
        assert isinstance(b, TaskError) and b.label == "bad" and "ValueError: planted 1" in b.error
    with pytest.raises(ValueError, match="--jobs"):
        execute(tasks, jobs=0)


_HELD = []


def _hold_memory(mib, seconds):
    """A task that keeps ``mib`` MiB alive in its worker (as a worker keeps frameworks and cast data
    sets) and returns the worker's pid."""
    import time

    import numpy as np

    _HELD.append(np.ones(mib * 2**20 // 8))
    time.sleep(seconds)
    return os.getpid()


def test_loky_workers_that_keep_memory_are_not_restarted_between_tasks():
    # loky takes > 300 MB of growth since a worker's first task for a leak and restarts the worker;
    # each task here keeps 400 MB and outlasts loky's 1 s check interval, so without the raised
    # limit (harness.runners.parallel.WORKER_MEMORY_GROWTH) the 6 tasks would need new workers.
    from joblib.externals.loky import get_reusable_executor

    try:
        pids = execute([Task(_hold_memory, {"mib": 400, "seconds": 1.2}, label=f"hold {k}") for k in range(6)], jobs=2)
        assert not any(isinstance(p, TaskError) for p in pids), pids
        assert len(set(pids)) <= 2, f"workers were restarted: {len(set(pids))} pids for 2 jobs"
    finally:
        get_reusable_executor().shutdown(wait=True)  # the workers' 2.4 GB go with them
