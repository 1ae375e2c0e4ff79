"""Full training runs, short: every shipped experiment in NumPy, PyTorch and Keras from the same
weights and batches, float64 loss curves equal to 1e-9 and identical final accuracy."""
import numpy as np
import pytest

from harness.compare_runs import LOSS_TOLERANCE
from harness.experiment import MLP_KINDS, experiment_names, load_experiment
from harness.runners import run_experiment
from harness.runners.plan import make_plan
from tests.harness.runs_support import have_parity_optimizers, mnist_5k, need

ITERS = 60  # enough for several evaluations on mnist-5k (every 40 iterations at batch 100)


def _iters(experiment):
    """ITERS, or one evaluation past the first epoch where an epoch is longer (batch 32: 125)."""
    epoch = make_plan(experiment, mnist_5k(), iters=1).iter_per_epoch
    return max(ITERS, int(np.ceil(epoch)) + 1)


def _keras_torch_float64(framework):
    """Keras on its torch and jax backends computes float64 matmul/batch-norm/cross-entropy at
    float32 precision (the table's float64-compute rows, parity.catalogue): there a float64 run is
    held to the float32 loss tolerance (measured over these short runs: 8e-11 to 2e-5 on torch,
    4.7e-8 over 200 iterations of two_layer_relu on jax)."""
    from parity.frameworks import keras_backend

    return framework == "keras" and keras_backend() in ("torch", "jax")


def _skip_unmatched_optimizer(experiment, framework):
    """Adam with the book's semantics comes from parity.backends.<fw>.optimizers (torch needs its
    per-step epsilon; Keras on TensorFlow casts beta_1/beta_2 through float32)."""
    if experiment.optimizer["name"] != "SGD" and not have_parity_optimizers(framework):
        pytest.skip(f"{framework} {experiment.optimizer['name']} with the book's semantics needs "
                    f"parity.backends.{framework}.optimizers (not available yet)")


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize("name", experiment_names(MLP_KINDS))  # the conv nets: test_runs_convnets.py
def test_float64_run_matches_reference(name, framework):
    need(framework)
    experiment = load_experiment(name)
    _skip_unmatched_optimizer(experiment, framework)
    float32_maths = _keras_torch_float64(framework)
    iters = _iters(experiment)
    result = run_experiment(experiment, mnist_5k(), ("numpy", framework), "float64", seed=0, iters=iters)
    ref, run, cmp = result["runs"]["numpy"], result["runs"][framework], result["comparison"][framework]
    assert ref["status"] == run["status"] == "ok", run["message"]
    assert ref["init_sha256"] == run["init_sha256"] == result["init_sha256"]
    assert run["iters_done"] == iters and len(run["eval_iters"]) >= 2
    assert run["eval_iters"] == ref["eval_iters"]
    if float32_maths:
        assert cmp["max_abs_dloss"] <= LOSS_TOLERANCE["float32"], cmp
        return
    assert cmp["max_abs_dloss"] <= LOSS_TOLERANCE["float64"], cmp
    assert cmp["first_divergent_iter"] is None
    assert run["test_acc"] == ref["test_acc"] and run["train_acc"] == ref["train_acc"]
    assert cmp["within_tolerance"]


def test_float32_gap_is_reported():
    need("torch")
    result = run_experiment(load_experiment("two_layer_sigmoid"), mnist_5k(), ("numpy", "torch"), "float32",
                            seed=0, iters=100)
    cmp = result["comparison"]["torch"]
    assert set(cmp["gap_at"]) == {"10", "100"} and set(cmp["max_gap_upto"]) == {"10", "100"}
    # float32 rounding shows (the runs are not bit-identical) yet stays far from a real departure
    assert 0 < cmp["max_abs_dloss"] < LOSS_TOLERANCE["float32"]
    assert cmp["max_gap_upto"]["10"] <= cmp["max_gap_upto"]["100"] == cmp["max_abs_dloss"]


def test_reference_run_equals_the_trainer_from_the_plan():
    """The NumPy runner is reference.trainer.train on the plan's weights and batches."""
    from reference.trainer import train
    from harness.runners.numpy_runner import build_network, make_optimizer

    plan = make_plan(load_experiment("two_layer_relu"), mnist_5k(), "float64", seed=3, iters=50)
    from harness.runners.numpy_runner import run_numpy

    result = run_numpy(plan)
    net = build_network(plan)
    curves = train(net, plan.x_train, plan.t_train, plan.x_test, plan.t_test,
                   optimizer=make_optimizer(plan.optimizer), batch_indices=plan.batch_indices)
    assert result["train_loss"] == curves.train_loss_list
    # the trainer's evaluations, then, the plan being cut (50 of 10,000), one at its last iteration
    assert plan.cut and result["eval_iters"] == [*curves.eval_iters, 49]
    assert result["test_acc"][:-1] == curves.test_acc_list
    assert result["final_test_acc"] == result["test_acc"][-1] == float(net.accuracy(plan.x_test, plan.t_test))


def test_only_a_cut_schedule_evaluates_at_its_end():
    exp, data = load_experiment("two_layer_relu"), mnist_5k()
    full = make_plan(exp, data, "float64", seed=0)
    assert not full.cut and not full.evaluates_at(full.iters - 1)  # 10,000 iterations: the book's epochs only
    assert not make_plan(exp, data, "float64", seed=0, iters=full.iters).cut
    short = make_plan(exp, data, "float64", seed=0, iters=30)
    assert short.cut and short.evaluates_at(29) and not short.evaluates_at(28) and short.evaluates_at(0)


def test_shuffled_epochs_schedule_is_permutations():
    plan = make_plan(load_experiment("keras_sigmoid_adam"), mnist_5k(), "float64", seed=0)
    per_epoch = 4000 // 32
    assert plan.batch_indices.shape == (10 * per_epoch, 32)
    for epoch in range(10):
        block = plan.batch_indices[epoch * per_epoch:(epoch + 1) * per_epoch]
        assert np.array_equal(np.sort(block.ravel()), np.arange(4000))
    assert not np.array_equal(plan.batch_indices[:per_epoch], plan.batch_indices[per_epoch:2 * per_epoch])


def test_float32_and_float64_plans_share_the_draw():
    exp = load_experiment("two_layer_relu")
    p64, p32 = (make_plan(exp, mnist_5k(), dt, seed=1, iters=10) for dt in ("float64", "float32"))
    assert np.array_equal(p64.batch_indices, p32.batch_indices)
    assert np.array_equal(p64.init_params["W1"].astype(np.float32), p32.init_params["W1"])
    assert p32.x_train.dtype == np.float32 and p32.init_params["W2"].dtype == np.float32
