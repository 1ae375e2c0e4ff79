"""Experiment files: every shipped one loads and names its seed; bad files fail with the key named."""
import pytest

from harness.experiment import experiment_names, load_experiment, parse_experiment

GOOD = {"name": "x", "seed": {"id": "001"},
        "network": {"kind": "MultiLayerNet", "input_size": 784, "hidden_size_list": [50], "output_size": 10,
                    "activation": "relu", "weight_init_std": 0.01},
        "optimizer": {"name": "SGD", "lr": 0.1},
        "schedule": {"kind": "sample_batches", "batch_size": 100, "iters": 10}}

CONV = {"kind": "SimpleConvNet", "input_dim": [1, 28, 28], "hidden_size": 10, "output_size": 10,
        "conv_param": {"filter_num": 4, "filter_size": 5, "pad": 0, "stride": 1}, "weight_init_std": 0.01}

EXPECTED = {"two_layer_sigmoid": ("001", [50]), "two_layer_relu": ("002", [50]),
            "three_layer_relu": ("002", [100, 50]), "three_layer_sigmoid": ("000", [50, 50]),
            "four_layer_bn_adam": ("004", [50, 100, 100]), "keras_sigmoid_adam": ("003", [50])}


CONV_EXPECTED = {"simple_convnet": ("ch07", "SimpleConvNet"), "deep_convnet": ("ch08", "DeepConvNet")}


def test_shipped_experiments():
    assert set(experiment_names()) == set(EXPECTED) | set(CONV_EXPECTED)
    for name, (seed, kind) in CONV_EXPECTED.items():
        exp = load_experiment(name)
        assert exp.seed_id == seed and exp.network["kind"] == kind and exp.optimizer["name"] == "Adam"
    simple = load_experiment("simple_convnet").network  # the book's ch07 configuration
    assert simple["conv_param"] == {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
    assert (simple["hidden_size"], simple["weight_init_std"]) == (100, 0.01)
    for name, (seed, hidden) in EXPECTED.items():
        exp = load_experiment(name)
        assert exp.name == name and exp.seed_id == seed and exp.network["hidden_size_list"] == hidden
    relu = load_experiment("two_layer_relu")
    assert {(a["dataset"], a["low"], a["high"]) for a in relu.anchors} == {
        ("mnist", 0.9701, 0.9718), ("fashion-mnist", 0.8759, 0.8759)}


def _with(section, **change):
    raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    raw[section].update(change)
    return raw


@pytest.mark.parametrize("raw, match", [
    (_with("network", activation="gelu"), "network.activation"),
    (_with("network", hidden_size_list=[]), "hidden_size_list"),
    (_with("network", weight_init_std="glorot"), "weight_init_std"),
    (_with("network", use_batchnorm=True), "MultiLayerNetExtend"),
    (_with("optimizer", name="Adamax"), "optimizer.name"),
    (_with("optimizer", momentum=0.9), "unknown key.*optimizer.momentum"),
    (_with("optimizer", lr=-1), "optimizer.lr"),
    (_with("schedule", kind="epochs"), "schedule.kind"),
    (_with("schedule", iters=0), "schedule.iters"),
    ({**GOOD, "anchors": [{"seed": "1", "dataset": "cifar", "accuracy": 0.5}]}, "anchors\\[0\\].dataset"),
    ({**GOOD, "anchors": [{"seed": "1", "dataset": "mnist"}]}, "needs accuracy"),
    ({**GOOD, "extra": 1}, "unknown key"),
    (_with("schedule", eval_size=0), "schedule.eval_size"),
    ({**GOOD, "network": dict(CONV, conv_param={"filter_num": 4, "filter_size": 5, "pad": -1, "stride": 1})},
     "conv_param.pad"),
    ({**GOOD, "network": dict(CONV, input_dim=[28, 28])}, "input_dim"),
    ({**GOOD, "network": dict(CONV, conv_param={"filter_num": 4, "filter_size": 29, "pad": 0, "stride": 1})},
     "too small"),
    ({**GOOD, "network": dict(CONV, activation="relu")}, "unknown key.*network.activation"),
], ids=["activation", "empty-hidden", "init", "batchnorm-kind", "optimizer", "optimizer-key", "lr",
        "schedule-kind", "iters", "anchor-dataset", "anchor-accuracy", "top-key", "eval-size",
        "conv-pad", "conv-input-dim", "conv-too-small", "conv-unknown-key"])
def test_bad_experiment_names_the_key(raw, match):
    with pytest.raises(ValueError, match=match):
        parse_experiment(raw, "bad.toml")
    assert parse_experiment(GOOD, "good.toml").name == "x"


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="two_layer_relu"):
        load_experiment("nope")
