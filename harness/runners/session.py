"""One experiment in several frameworks from one plan, and the same over several seeds.

    >>> result = run_experiment(load_experiment("two_layer_relu"), data, ("numpy", "torch"), iters=50)
    >>> result["comparison"]["torch"]["max_abs_dloss"] < 1e-9
    True

``run_experiment`` returns a JSON-able dict::

    schema "scratch-parity/run/1", experiment (Experiment.as_record()), dataset (the resolver's
    record, or None), dtype, seed, iters, batch_size, iter_per_epoch, schedule_notes,
    batch_indices_sha256, init_sha256 (of the shared plan), frameworks (requested, in order),
    runs {framework: run result (harness.runners.record) or {"framework", "status": "skipped",
    "message"}}, comparison {framework: harness.compare_runs.compare_curves(...)} for every
    framework other than the reference "numpy", environment (versions, numerics state)
"""
import contextlib
import importlib
import platform

import numpy as np

from harness.compare_runs import compare_all
from harness.runners.plan import array_sha256, make_plan, params_sha256

REFERENCE = "numpy"
FRAMEWORKS = ("numpy", "torch", "keras")
_RUNNERS = {"numpy": ("harness.runners.numpy_runner", "run_numpy"),
            "torch": ("harness.runners.torch_runner", "run_torch"),
            "keras": ("harness.runners.keras_runner", "run_keras")}


def missing_reason(framework):
    """None if ``framework`` can run here, else why not."""
    if framework not in _RUNNERS:
        raise ValueError(f"unknown framework {framework!r}; use some of {FRAMEWORKS}")
    if framework == REFERENCE:
        return None
    from parity.frameworks import missing_reason as parity_missing

    return parity_missing(framework)


def runner(framework):
    module, name = _RUNNERS[framework]
    return getattr(importlib.import_module(module), name)


def run_experiment(experiment, data, frameworks=FRAMEWORKS, dtype="float64", seed=0, iters=None,
                   perturb=None, progress=False, dataset_record=None):
    """Run ``experiment`` in each framework from one shared plan and compare with the reference.

    perturb: {framework: harness.runners.plan.Perturbation} planted in that framework only.
    progress: show a tqdm bar per framework run.
    """
    frameworks = tuple(frameworks)
    for fw in frameworks:
        missing_reason(fw)  # unknown names raise here, before any work
    unknown = set(perturb or {}) - set(frameworks)
    if unknown:
        raise ValueError(f"perturbation for {sorted(unknown)}, which are not among the frameworks {frameworks}")
    plan = make_plan(experiment, data, dtype, seed, iters)
    runs = {}
    for fw in frameworks:
        reason = missing_reason(fw)
        if reason is not None:
            runs[fw] = {"framework": fw, "status": "skipped", "message": reason}
            continue
        fw_plan = perturb[fw].apply(plan) if perturb and fw in perturb else plan
        with _bar(progress, plan.iters, f"{experiment.name} {fw} {dtype} seed {seed}") as bar:
            runs[fw] = runner(fw)(fw_plan, progress=bar)
    return {
        "schema": "scratch-parity/run/1",
        "experiment": experiment.as_record(),
        "dataset": dataset_record,
        "dtype": dtype,
        "seed": seed,
        "iters": plan.iters,
        "batch_size": plan.batch_size,
        "iter_per_epoch": plan.iter_per_epoch,
        "schedule_notes": list(plan.notes),
        "batch_indices_sha256": array_sha256(plan.batch_indices),
        "init_sha256": params_sha256(plan.init_params),
        "frameworks": list(frameworks),
        "runs": runs,
        "comparison": compare_all(runs, dtype, REFERENCE),
        "environment": environment(),
    }


def run_seeds(experiment, data, frameworks=FRAMEWORKS, dtype="float64", seeds=range(5), iters=None,
              progress=False, dataset_record=None, jobs=1):
    """run_experiment for each seed (each seed: its own initial weights and batches, shared by
    the frameworks). jobs > 1 spreads seeds over processes with joblib's loky backend."""
    seeds = list(seeds)
    kwargs = dict(frameworks=frameworks, dtype=dtype, iters=iters, dataset_record=dataset_record)
    if jobs == 1:
        return [run_experiment(experiment, data, seed=s, progress=progress, **kwargs) for s in seeds]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=jobs, backend="loky")(
        delayed(run_experiment)(experiment, data, seed=s, progress=False, **kwargs) for s in seeds)


def environment():
    versions = {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform()}
    for name in ("torch", "keras", "tensorflow"):
        module = importlib.sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    from parity import numerics

    return {"versions": versions, "numerics": dict(numerics.STATE)}


@contextlib.contextmanager
def _bar(enabled, total, desc):
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit="it", leave=True, mininterval=0.5) as bar:
        yield bar
