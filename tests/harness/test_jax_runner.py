"""The JAX training run (``harness.runners.jax_runner.run_jax``), short, against the NumPy reference
from the same plan: every shipped experiment in float64 equal to the reference's loss curve within
``LOSS_TOLERANCE["float64"]`` with identical accuracies; float32 within the float32 tolerance; a
planted change to the JAX run alone (its learning rate, one initial weight) is caught.
"""
import numpy as np
import pytest

pytest.importorskip("jax", reason="jax is not installed")
pytest.importorskip("flax", reason="flax is not installed")
pytest.importorskip("optax", reason="optax is not installed")

pytestmark = pytest.mark.jax

from harness.compare_runs import LOSS_TOLERANCE, compare_curves  # noqa: E402
from harness.experiment import MLP_KINDS, experiment_names, load_experiment  # noqa: E402
from harness.runners.numpy_runner import run_numpy  # noqa: E402
from harness.runners.plan import Perturbation, make_plan  # noqa: E402
from tests.harness.runs_support import mnist_5k  # noqa: E402

ITERS = 60  # as tests/harness/test_runs.py: several evaluations on mnist-5k


def _plan(name, dtype="float64", iters=None):
    experiment = load_experiment(name)
    if iters is None:
        epoch = make_plan(experiment, mnist_5k(), iters=1).iter_per_epoch
        iters = max(ITERS, int(np.ceil(epoch)) + 1)  # one evaluation past the first epoch (batch 32: 125)
    return make_plan(experiment, mnist_5k(), dtype, seed=0, iters=iters)


def _run_jax(plan):
    from harness.runners.jax_runner import run_jax

    return run_jax(plan)


@pytest.mark.parametrize("name", experiment_names(MLP_KINDS))  # the conv nets: test_runs_convnets.py
def test_float64_run_matches_reference(name):
    plan = _plan(name)
    ref, run = run_numpy(plan), _run_jax(plan)
    cmp = compare_curves(ref, run, "float64")
    assert ref["status"] == run["status"] == "ok", run["message"]
    assert run["framework"] == "jax" and run["init_sha256"] == ref["init_sha256"]
    assert run["iters_done"] == plan.iters and len(run["eval_iters"]) >= 2
    assert run["eval_iters"] == ref["eval_iters"]
    assert cmp["max_abs_dloss"] <= LOSS_TOLERANCE["float64"], cmp["max_abs_dloss"]
    assert cmp["first_divergent_iter"] is None
    assert run["test_acc"] == ref["test_acc"] and run["train_acc"] == ref["train_acc"]
    assert run["optimizer_impl"] == f"parity.backends.jax.optimizers {plan.optimizer['name']}"


def test_float32_gap_is_float32_rounding():
    plan = _plan("two_layer_sigmoid", "float32", iters=100)
    cmp = compare_curves(run_numpy(plan), _run_jax(plan), "float32")
    assert 0 < cmp["max_abs_dloss"] < LOSS_TOLERANCE["float32"]


@pytest.mark.parametrize("perturbation", [Perturbation(lr=0.1 * (1 + 1e-6)), Perturbation(weight=("W2", 0, 1e-6))],
                         ids=["lr-1e-6-relative", "one-weight-1e-6"])
def test_planted_change_to_the_jax_run_is_caught(perturbation):
    plan = _plan("two_layer_relu", iters=40)
    cmp = compare_curves(run_numpy(plan), _run_jax(perturbation.apply(plan)), "float64")
    assert cmp["first_divergent_iter"] is not None and cmp["max_abs_dloss"] > LOSS_TOLERANCE["float64"]


def test_initial_weights_are_checked_bit_for_bit(monkeypatch):
    """The runner reads the weights back from the Flax modules and refuses a run whose start differs."""
    from harness.runners import jax_runner

    build = jax_runner.build_network

    def off_by_one_ulp(plan, device="cpu"):
        model, variables = build(plan, device)
        w = variables["W2"][...]
        variables["W2"][...] = w.at[0, 0].set(np.nextafter(float(w[0, 0]), np.inf))
        return model, variables

    monkeypatch.setattr(jax_runner, "build_network", off_by_one_ulp)
    with pytest.raises(AssertionError, match="initial W2 read back from the framework"):
        jax_runner.run_jax(_plan("two_layer_relu", iters=2))
