"""Full training runs of one experiment in NumPy (the reference, or the user's implementation),
PyTorch, Keras and any framework registered with ``register_runner``.

    run_experiment(experiment, data, frameworks=("numpy", "torch", "keras"), dtype="float64",
                   seed=0, iters=None, perturb=None, progress=False, dataset_record=None,
                   impl="reference", jobs=1, scheduler=None, explain="parted") -> dict
    run_experiments([spec, ...], jobs=2) -> [dict]          # every framework run in one pool
    run_seeds(experiment, data, frameworks, dtype, seeds=range(5), iters=None, jobs=1, ...) -> [dict]
    make_plan(experiment, data, dtype, seed, iters) -> RunPlan; Perturbation(lr=|batch=|weight=)
    save_results(result_or_sweep, out_dir) -> {kind: path}

Each framework's runner lives in its own module (numpy_runner, torch_runner, keras_runner) and
imports its framework only when called.
"""
from harness.runners.io import save_results
from harness.runners.parallel import DataRef
from harness.runners.plan import Perturbation, RunPlan, make_plan
from harness.runners.session import (FRAMEWORKS, REFERENCE, explain_run, missing_reason, register_runner,
                                     run_experiment, run_experiments, run_framework, run_seeds)

__all__ = ["DataRef", "FRAMEWORKS", "REFERENCE", "Perturbation", "RunPlan", "explain_run", "make_plan",
           "missing_reason", "register_runner", "run_experiment", "run_experiments", "run_framework",
           "run_seeds", "save_results"]
