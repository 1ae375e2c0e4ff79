"""``numerical_gradient_vectorized`` gives the loop's numbers (``net.numerical_gradient``) to rounding.

Agreement is measured in units of the loss's rounding: u = spacing(L) / (2h), the step a central
difference takes when f(w+h) or f(w-h) moves by one ulp. The two compute the same losses with
the operations in a different order, so each f is off by a few ulps. Measured on these cases:
at most 4 u in float64, 8 u in float32 (where the loop also re-sums the float32 weight decay on
every evaluation). Tolerances: 16 u and 32 u.
"""
import numpy as np
import pytest

import reference.gradient_vectorized as gradient_vectorized
from reference.gradient_vectorized import numerical_gradient_vectorized
from reference.multi_layer_net_extend import MultiLayerNetExtend
from reference.two_layer_net import TwoLayerNet
from tests.reference.net_cases import NETS, C, D, N, batch

H = 1e-4
ULPS = {np.float64: 16, np.float32: 32}


def loop_and_unit(net, x, t, dtype):
    """The loop's gradient and the rounding unit u of its losses."""
    loop = net.numerical_gradient(x, t)
    return loop, np.spacing(dtype(abs(net.last_layer.loss))) / (2 * H)


def worst_in_units(a, b, unit):
    return max(float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in b) / unit


@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(NETS), ids=lambda n: f"{n}-vectorized")
def test_vectorized_equals_loop(name, dtype, one_hot):
    net = NETS[name](dtype)
    x, t = batch(dtype=dtype, one_hot=one_hot)
    loop, unit = loop_and_unit(net, x, t, dtype)
    vectorized = numerical_gradient_vectorized(net, x, t)
    assert list(vectorized) == list(net.params)
    for key, g in vectorized.items():
        assert g.shape == net.params[key].shape and g.dtype == net.params[key].dtype, key
    worst = worst_in_units(vectorized, loop, unit)
    assert worst <= ULPS[dtype], f"{name}: differs from the loop by {worst:.1f} u (u = {unit:.1e})"


@pytest.mark.parametrize("chunk", [1, 3, 10**6], ids=lambda c: f"chunk-{c}")
def test_chunk_size_does_not_change_the_result(chunk):
    net = NETS["MultiLayerNetExtend-batchnorm"](np.float64)
    x, t = batch()
    loop, unit = loop_and_unit(net, x, t, np.float64)
    assert worst_in_units(numerical_gradient_vectorized(net, x, t, chunk=chunk), loop, unit) <= ULPS[np.float64]


def test_input_of_any_rank_is_flattened_like_affine():
    net = NETS["TwoLayerNet-relu"](np.float64)
    x, t = batch()
    x3 = x.reshape(N, 1, D)
    loop, unit = loop_and_unit(net, x3, t, np.float64)
    assert worst_in_units(numerical_gradient_vectorized(net, x3, t), loop, unit) <= ULPS[np.float64]


def test_net_is_left_untouched():
    """No parameter is written and batch norm's running statistics do not move."""
    net = NETS["MultiLayerNetExtend-batchnorm"](np.float64)
    x, t = batch()
    net.loss(x, t, train_flg=True)
    before = {k: v.copy() for k, v in net.params.items()}
    running = net.layers["BatchNorm1"].running_mean.copy()
    numerical_gradient_vectorized(net, x, t)
    for k, v in net.params.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
    np.testing.assert_array_equal(net.layers["BatchNorm1"].running_mean, running)


def test_dropout_is_refused_by_name():
    net = MultiLayerNetExtend(D, [6], C, use_dropout=True, rng=np.random.default_rng(0))
    x, t = batch()
    with pytest.raises(ValueError, match=r"'Dropout1' of type Dropout is not supported"):
        numerical_gradient_vectorized(net, x, t)


def test_other_last_layer_is_refused_by_name():
    net = TwoLayerNet(D, 4, C, rng=np.random.default_rng(0))
    net.last_layer = object()
    with pytest.raises(ValueError, match="last layer of type object is not supported"):
        numerical_gradient_vectorized(net, *batch())


def test_bad_labels_and_chunk_are_refused():
    net = NETS["TwoLayerNet-relu"](np.float64)
    x, t = batch()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        numerical_gradient_vectorized(net, x, t + C)
    with pytest.raises(ValueError, match="chunk must be >= 1"):
        numerical_gradient_vectorized(net, x, t, chunk=0)


def test_planted_fault_is_caught(monkeypatch):
    """Dropping the 1e-7 guard from the vectorized loss (a subtle semantic slip) is caught."""
    def log_y_t_without_guard(scores, labels):
        e = np.exp(scores - np.max(scores, axis=0))
        return np.log(e[labels, np.arange(scores.shape[1])] / np.sum(e, axis=0))
    monkeypatch.setattr(gradient_vectorized, "_log_y_t", log_y_t_without_guard)
    net = NETS["TwoLayerNet-sigmoid"](np.float64)
    x, t = batch()
    loop, unit = loop_and_unit(net, x, t, np.float64)
    assert worst_in_units(numerical_gradient_vectorized(net, x, t), loop, unit) > 10 * ULPS[np.float64]
