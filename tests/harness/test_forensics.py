"""Divergence forensics: the event detectors on synthetic tensors (a ReLU pre-activation with opposite
signs, a saturated sigmoid, a max-pool tie), the growth rate, and the lockstep replay on real runs:
an injected few-ulp change that flips one ReLU unit is named with its place and values, a run that
never parts says so with its rate, and a planted learning-rate change is found in the update."""
from dataclasses import replace

import numpy as np
import pytest

from harness.experiment import load_experiment
from harness.forensics.events import argmax_ties, at_bound, detect, sign_flips
from harness.forensics.growth import growth_rate
from harness.forensics.replay import explain_plans
from harness.forensics.text import details, one_line
from harness.runners import Perturbation, make_plan
from tests.harness.runs_support import mnist_5k, need

F32 = np.float32


# --- detectors ------------------------------------------------------------------------------------

def test_sign_flip_found_where_one_side_is_positive_and_zero_blocks():
    tiny = np.nextafter(F32(0), F32(1))
    a = np.array([[0.5, tiny, 0.0, -1.0]], dtype=F32)
    b = np.array([[0.5, -tiny, tiny, -1.0]], dtype=F32)
    flips = sign_flips(a, b)
    # 0 itself blocks (the book's mask x <= 0); closest to the threshold first
    assert [p[0] for p in flips] == [(0, 2), (0, 1)]
    assert flips[1][1] == tiny and flips[1][2] == -tiny
    assert sign_flips(a, a) == []


def test_saturation_found_where_exactly_one_side_is_at_the_bound():
    below_one = np.nextafter(F32(1), F32(0))
    a = np.array([1.0, below_one, 0.5], dtype=F32)
    b = np.array([below_one, below_one, 0.5], dtype=F32)
    assert [p[0] for p in at_bound((0.0, 1.0))(a, b)] == [(0,)]


def test_max_pool_tie_broken_differently_is_named_with_its_window():
    """Two windows of a max pool (rows): in the first the two largest values are one ulp apart and
    the frameworks round them the other way round."""
    one, below = F32(1.0), np.nextafter(F32(1.0), F32(0))
    a = np.array([[0.2, one, below, 0.1], [0.0, 0.3, 0.9, 0.1]], dtype=F32)
    b = np.array([[0.2, below, one, 0.1], [0.0, 0.3, 0.9, 0.1]], dtype=F32)
    ties = argmax_ties(a, b)
    assert len(ties) == 1
    window, (arg_a, top_a), (arg_b, top_b) = ties[0]
    assert window == (0,) and (arg_a, arg_b) == (1, 2) and top_a == top_b == [1.0, float(below)]
    events = detect({"Pool1": a}, {"Pool1": b}, [("Pool1", "maxpool")])
    assert events[0]["type"] == "argmax-tie" and events[0]["layer"] == "Pool1" and events[0]["count"] == 1


def test_detect_orders_events_as_the_step_computes_them():
    layers = [("Affine1", "affine"), ("Relu1", "relu"), ("Affine2", "affine"), ("Relu2", "relu"), ("Affine3", "affine")]
    same = np.ones((2, 3))
    a = {"Affine1": same, "Affine2": np.array([[1.0, -1e-9, 1.0], [1, 1, 1]]), "softmax": same}
    b = {"Affine1": same, "Affine2": np.array([[1.0, 1e-9, 1.0], [1, 1, 1]]), "softmax": same}
    events = detect(a, b, layers)
    assert [(e["type"], e["layer"], e["tensor"]) for e in events] == [("relu-flip", "Relu2", "Affine2")]
    assert events[0]["positions"][0] == {"index": [0, 1], "a": -1e-9, "b": 1e-9}
    assert detect(a, a, layers) == []


def test_growth_rate_of_an_exponential_gap():
    g = growth_rate(1e-7 * 10 ** (np.arange(3000) / 1000))
    assert g["per"] == 1000 and g["factor"] == pytest.approx(10, rel=1e-3)
    flat = growth_rate(np.full(500, 3e-8))
    assert flat["factor"] == pytest.approx(1.0) and flat["per"] == 100
    assert growth_rate(np.zeros(100)) is None  # bit-identical runs have no rate


# --- replays --------------------------------------------------------------------------------------

def _relu_plan(iters=20, dtype="float32"):
    return make_plan(load_experiment("two_layer_relu"), mnist_5k(), dtype, seed=0, iters=iters)


def test_injected_few_ulp_relu_flip_is_named_with_place_and_values():
    """Unit 7's pre-activation for batch row 3 of the first step is set to exactly 0 in NumPy (b1[7]
    cancels it), and torch's b1[7] is moved by a few ulps so that its pre-activation is positive:
    the forensics must name iteration 0, Relu1, row 3 (its training sample), unit 7 and both values."""
    need("torch")
    from harness.runners.torch_runner import Trainer as TorchTrainer

    plan = _relu_plan()
    n, j = 3, 7
    batch = plan.batch_indices[0]
    x, t = plan.x_train[batch], plan.t_train[batch]
    b1 = plan.init_params["b1"].copy()
    b1[j] = -(x @ plan.init_params["W1"])[n, j]
    ref_plan = replace(plan, init_params={**plan.init_params, "b1": b1})
    delta = 0.0
    for _ in range(8):  # a few ulps more until torch's own rounding is on the positive side
        delta += 2 * float(np.spacing(abs(b1[j])))
        other_plan = Perturbation(weight=("b1", j, delta)).apply(ref_plan)
        if TorchTrainer(other_plan).trace(x, t)["Affine1"][n, j] > 0:
            break
    assert delta / float(np.spacing(abs(b1[j]))) <= 16, "not a few-ulp change"

    record = explain_plans(ref_plan, other_plan, "torch", iters=5)
    assert record["outcome"] == "event" and record["parted_at"] == 0
    event = record["event"]
    assert (event["type"], event["layer"], event["tensor"]) == ("relu-flip", "Relu1", "Affine1")
    first = event["positions"][0]
    assert first["index"] == [n, j] and first["sample"] == int(batch[n])
    assert first["a"] == 0.0 and first["b"] > 0  # numpy blocks the unit, torch passes it
    line = one_line(record)
    assert line.startswith("parted at iteration 0: ReLU flip at Relu1") and f"batch row {n}" in line
    assert f"unit {j}" in line
    assert "grad W1" in details(record)


def test_run_that_never_parts_grew_smoothly_with_its_rate():
    need("torch")
    plan = _relu_plan(iters=120, dtype="float64")
    record = explain_plans(plan, plan, "torch")
    assert record["outcome"] == "smooth" and record["parted_at"] is None and record["event"] is None
    assert record["iters_replayed"] == 120
    assert one_line(record).startswith("never parted: no discrete event in 120 steps")


def test_planted_learning_rate_is_found_in_the_update_not_the_gradients():
    need("torch")
    plan = make_plan(load_experiment("two_layer_sigmoid"), mnist_5k(), "float64", seed=0, iters=10)
    record = explain_plans(plan, Perturbation(lr=0.1 * (1 + 1e-6)).apply(plan), "torch")
    assert record["outcome"] == "update-difference" and record["parted_at"] == 0
    assert all(c["within_tolerance"] for c in record["intermediates"]["identical_weights"])
    assert "the update does not" in one_line(record)


def test_replay_reproduces_the_recorded_runs_bit_for_bit():
    """The forensics re-runs both frameworks: its losses must be the recorded ones exactly, and a
    recorded curve that differs by one ulp is noticed."""
    need("torch")
    from harness.runners import run_experiment

    exp = load_experiment("two_layer_relu")
    result = run_experiment(exp, mnist_5k(), ("numpy", "torch"), "float32", seed=1, iters=40, explain="all")
    record = result["explanation"]["torch"]
    assert record["replay_matches_recorded"] is True
    assert result["verdict"]["torch"]["explanation"] == one_line(record)
    plan = make_plan(exp, mnist_5k(), "float32", seed=1, iters=40)
    changed = list(result["runs"]["torch"]["train_loss"])
    changed[17] = float(np.nextafter(F32(changed[17]), F32(10)))
    recorded = {"reference": result["runs"]["numpy"]["train_loss"], "other": changed}
    assert explain_plans(plan, plan, "torch", recorded=recorded)["replay_matches_recorded"] is False


@pytest.mark.slow
def test_keras_float32_run_on_fashion_mnist_is_explained_by_a_relu_flip():
    """The issue's run: two_layer_relu, 1,500 iterations, float32, Keras against NumPy on
    Fashion-MNIST (one thread per run: parted at 600, Relu1 unit 47 of batch row 72)."""
    need("keras")
    from harness.data import DataError, load_dataset
    from harness.runners import run_experiment

    try:
        data = load_dataset("fashion-mnist")
    except DataError as exc:
        pytest.skip(f"fashion-mnist unavailable: {exc}")
    result = run_experiment(load_experiment("two_layer_relu"), data, ("numpy", "keras"), "float32", iters=1500)
    v, record = result["verdict"]["keras"], result["explanation"]["keras"]
    assert v["status"] == "parted" and v["accuracy_equivalent"] and v["passed"]
    assert record["outcome"] == "event" and record["event"]["type"] == "relu-flip"
    assert record["replay_matches_recorded"] is True
    assert record["parted_at"] <= v["first_over_tolerance"] == result["comparison"]["keras"]["first_divergent_iter"]
    assert record["gap"]["jump"] > 4


def test_same_event_in_every_framework_points_at_the_reference():
    from harness.forensics.text import shared_events

    def record(it, index):
        return {"outcome": "event", "parted_at": it, "event": {"layer": "Relu1", "positions": [{"index": index}]}}

    note = shared_events({"torch": record(600, [72, 47]), "keras": record(600, [72, 47])})
    assert note.startswith("torch and keras part from numpy at the same step (600) and unit (Relu1 [72, 47])")
    assert shared_events({"torch": record(600, [72, 47]), "keras": record(649, [72, 23])}) == ""
    assert shared_events({"torch": record(600, [72, 47])}) == ""
