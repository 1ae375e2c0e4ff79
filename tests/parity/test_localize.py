"""Localization for nets: the first divergent parameter in backprop order (numerical and torch
gradients), and the layer where the forward gap first jumps."""
import numpy as np
import pytest

from parity.verify import netcheck, nets
from parity.verify.faults import seed000_net
from parity.verify.patch import Edit, reference_copy
from parity.impl import load_implementation
from reference import layers as rl
from reference.multi_layer_net import MultiLayerNet
from reference.multi_layer_net_extend import MultiLayerNetExtend


def _net(cls_path, impl="reference", name=None):
    cfg = netcheck.config(name or cls_path.rpartition(".")[2])
    return netcheck.build(load_implementation(impl).get(cls_path), cfg).net


def test_reference_nets_agree_with_numerical_and_torch():
    pytest.importorskip("torch")
    for cfg in netcheck.NETS:
        x, t = netcheck.data(cfg)
        built = netcheck.build(load_implementation("reference").get(cfg.reference), cfg)
        loc = nets.localize_gradients(built.net, x, t, seed=netcheck.randomness(built.net, x, t).seed)
        assert loc.first_divergent is None and not loc.torch_note, loc.describe()
        worst = max(max(p.numerical, p.torch) for p in loc.params)
        assert worst < nets.NET_GRAD_RTOL / 10, (cfg.name, worst)


def test_backprop_order_puts_the_last_layer_first():
    net = _net("multi_layer_net_extend.MultiLayerNetExtend")
    assert nets.backprop_order(net)[:4] == ["W4", "b4", "gamma3", "beta3"]
    assert nets.backprop_order(net)[-2:] == ["W1", "b1"]


def test_seed000_fault_is_localized_to_layer_1(tmp_path):
    x, t = netcheck.data()
    bad = _net("three_layer_net.ThreeLayerNet", reference_copy(tmp_path / "bad", seed000_net("da2")))
    loc = nets.localize_gradients(bad, x, t, with_torch=False)
    errors = {p.param: p.numerical for p in loc.params}
    assert loc.first_divergent == ("W1", "layer 1")
    assert errors["W3"] < 1e-6 and errors["W2"] < 1e-6 and errors["W1"] > 1e-2
    good = _net("three_layer_net.ThreeLayerNet", reference_copy(tmp_path / "good", seed000_net("dz2")))
    assert nets.localize_gradients(good, x, t, with_torch=False).first_divergent is None


def test_batchnorm_dgamma_fault_is_localized_against_torch_and_numerical(tmp_path):
    pytest.importorskip("torch")
    folder = reference_copy(tmp_path / "common", (Edit("layers.py", "dgamma = np.sum(self.xn * dout, axis=0)",
                                                       "dgamma = np.sum(self.xc * dout, axis=0)"),))
    x, t = netcheck.data()
    loc = nets.localize_gradients(_net("multi_layer_net_extend.MultiLayerNetExtend", folder), x, t)
    assert loc.first_divergent == ("gamma3", "BatchNorm3")
    g3 = next(p for p in loc.params if p.param == "gamma3")
    assert g3.numerical > 1e-2 and g3.torch > 1e-2
    assert all(p.torch < 1e-6 for p in loc.params if not p.param.startswith("gamma"))


def test_torch_rebuild_names_a_layer_it_cannot_rebuild():
    pytest.importorskip("torch")
    net = _net("multi_layer_net.MultiLayerNet")
    net.layers["Scale"] = _ShiftedAffine(net.params["W3"], net.params["b3"])
    with pytest.raises(ValueError, match="Scale ._ShiftedAffine. has no torch equivalent"):
        nets.torch_gradients(net, *netcheck.data())


class _ShiftedAffine(rl.Affine):
    def forward(self, x):
        return super().forward(x) + 1e-3


def test_forward_gap_jump_names_the_layer_not_the_output():
    x, _ = netcheck.data()
    cfg = netcheck.config("MultiLayerNetExtend")
    net = netcheck.build(MultiLayerNetExtend, cfg).net
    a2 = net.layers["Affine2"]
    shifted = _ShiftedAffine(a2.W, a2.b)
    net.layers["Affine2"] = shifted
    loc = nets.localize_forward(net, netcheck.build(MultiLayerNetExtend, cfg).net, x)
    gaps = {g.layer: g.gap for g in loc.layers}
    assert loc.first_jump == "Affine2", loc.layers
    assert gaps["Activation_function1"] == 0 and gaps["Affine2"] > 1e-4 and gaps["Affine4"] > 0
    assert "Affine2" in loc.describe()


def test_forward_localization_copies_the_weights_and_needs_layers():
    x, _ = netcheck.data()
    cfg = netcheck.config("MultiLayerNet")
    net = netcheck.build(MultiLayerNet, cfg).net
    other = MultiLayerNet(6, list(cfg.hidden), 3, activation="sigmoid", rng=np.random.default_rng(99))
    assert nets.localize_forward(net, other, x).first_jump is None  # other gets net's weights
    assert np.array_equal(other.params["W2"], net.params["W2"])

    class NoLayers:
        params = {}

    assert "needs a `layers`" in nets.localize_forward(NoLayers(), other, x).describe()
