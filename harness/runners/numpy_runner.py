"""The reference run: the book's nets and ``reference.trainer.train`` on the plan's batches.

``run_numpy(plan) -> result dict`` (see ``harness.runners.record``). The net is the book's
MultiLayerNet (or MultiLayerNetExtend for batch norm); its parameters are overwritten in place
with the plan's initial weights (the Affine layers hold the same arrays), then checked bit for
bit. ``train(..., batch_indices=plan.batch_indices)`` runs the seeds' loop: gradient, update,
loss on the same batch after the update, accuracies at i % iter_per_epoch == 0.

Divergence: a non-finite loss, or the reference's own "non-finite value" ValueError (its
SoftmaxWithLoss refuses NaN/inf scores), stops the run with status "diverged".
"""
import time

import numpy as np

import reference.optimizer as book_optimizers
from reference.multi_layer_net import MultiLayerNet
from reference.multi_layer_net_extend import MultiLayerNetExtend
from reference.trainer import train

from harness.runners.plan import check_initial_weights
from harness.runners.record import Diverged, RunRecorder


def build_network(plan):
    """The book's net for the plan's experiment, holding the plan's initial weights."""
    net = plan.experiment.network
    kwargs = dict(input_size=net["input_size"], hidden_size_list=net["hidden_size_list"],
                  output_size=net["output_size"], activation=net["activation"],
                  weight_init_std=net["weight_init_std"], rng=np.random.default_rng(0), dtype=plan.dtype)
    if net["kind"] == "MultiLayerNetExtend":
        network = MultiLayerNetExtend(use_batchnorm=net["use_batchnorm"], **kwargs)
    else:
        network = MultiLayerNet(**kwargs)
    if list(network.params) != list(plan.init_params):
        raise ValueError(f"{plan.experiment.name}: the reference net has parameters {list(network.params)}, "
                         f"the plan {list(plan.init_params)}")
    for key, value in plan.init_params.items():
        network.params[key][...] = value  # in place: the layers hold these arrays
    return network


def make_optimizer(spec):
    """The book's optimizer from {"name": ..., "lr": ..., hyper...}."""
    cls = getattr(book_optimizers, spec["name"])
    return cls(**{k: v for k, v in spec.items() if k != "name"})


def run_numpy(plan, progress=None):
    recorder = RunRecorder("numpy", f"numpy {np.__version__}", plan, progress)
    network = build_network(plan)
    recorder.init_sha256 = check_initial_weights("numpy", plan.init_params, dict(network.params))
    recorder.optimizer_impl = f"reference.optimizer.{plan.optimizer['name']}"

    current = {"i": None}
    pending = []

    def callback(i, loss):
        current["i"] = i
        recorder.loss(i, loss)

    accuracy = recorder.timed_eval(network.accuracy)

    def recorded_accuracy(x, t):
        value = accuracy(x, t)
        pending.append(value)
        if len(pending) == 2:  # the trainer asks for train, then test
            recorder.accuracies(current["i"], *pending)
            pending.clear()
        return value

    network.accuracy = recorded_accuracy
    message = None
    start = time.perf_counter()
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            curves = train(network, plan.x_train, plan.t_train, plan.x_test, plan.t_test,
                           optimizer=make_optimizer(plan.optimizer), batch_indices=plan.batch_indices,
                           callback=callback)
    except Diverged as exc:
        message = str(exc)
    except ValueError as exc:
        if "non-finite" not in str(exc):
            raise
        done = len(recorder.train_loss)
        message = (f"numpy: the reference refused non-finite values at iteration {done} "
                   f"(lr {plan.lr:g}): {exc}; run stopped, {done} finite losses kept")
    wall_s = time.perf_counter() - start
    if message is None and (curves.train_loss_list != recorder.train_loss
                            or curves.test_acc_list != recorder.test_acc):
        raise AssertionError("numpy: the recorded curves differ from the trainer's TrainingCurves")
    return recorder.result(wall_s, message)
