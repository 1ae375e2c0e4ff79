"""Full training runs of one experiment in NumPy (the reference), PyTorch and Keras.

    run_experiment(experiment, data, frameworks=("numpy", "torch", "keras"), dtype="float64",
                   seed=0, iters=None, perturb=None, progress=False, dataset_record=None) -> dict
    run_seeds(experiment, data, frameworks, dtype, seeds=range(5), iters=None, ...) -> [dict]
    make_plan(experiment, data, dtype, seed, iters) -> RunPlan; Perturbation(lr=|batch=|weight=)
    save_results(result_or_sweep, out_dir) -> {kind: path}

Each framework's runner lives in its own module (numpy_runner, torch_runner, keras_runner) and
imports its framework only when called.
"""
from harness.runners.io import save_results
from harness.runners.plan import Perturbation, RunPlan, make_plan
from harness.runners.session import FRAMEWORKS, REFERENCE, missing_reason, run_experiment, run_seeds

__all__ = ["FRAMEWORKS", "REFERENCE", "Perturbation", "RunPlan", "make_plan", "missing_reason",
           "run_experiment", "run_seeds", "save_results"]
