"""The book's convolutional nets (SimpleConvNet, ch07; DeepConvNet, ch08): backprop against the
loop numerical gradient (float64, small sizes), the book's shapes and He scales, dtypes, the book's
pickle format for save_params / load_params, accuracy by batches, and bad arguments."""
import pickle

import numpy as np
import pytest

import reference.layers
from reference.deep_convnet import DeepConvNet
from reference.layers import Pooling, Relu
from reference.simple_convnet import SimpleConvNet
from tests.reference.test_net_gradients import assert_gradients_close, guard_free_cross_entropy_error

SMALL_CONV = {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1}


def tiny_conv_params(n):
    """DeepConvNet's six conv_param dicts, 2-3 filters each, pads as the book (1, but 2 for the fourth)."""
    return {f"conv_param_{i}": {"filter_num": 2 + i % 2, "filter_size": 3, "pad": 2 if i == 4 else 1, "stride": 1}
            for i in range(1, n + 1)}


class RepeatingMasks(np.random.Generator):
    """A Generator whose ``random(shape)`` returns the same numbers on every call, so that the
    dropout masks are the same in every loss evaluation of a numerical gradient."""

    def random(self, size=None, dtype=np.float64, out=None):
        return np.random.default_rng(7).random(size)


NETS = {
    "SimpleConvNet": lambda dtype: SimpleConvNet(input_dim=(2, 7, 6), conv_param=SMALL_CONV, hidden_size=5,
                                                 output_size=4, weight_init_std=0.3,
                                                 rng=np.random.default_rng(3), dtype=dtype),
    "SimpleConvNet-stride2-he": lambda dtype: SimpleConvNet(
        input_dim=(1, 9, 9), conv_param={"filter_num": 2, "filter_size": 3, "pad": 2, "stride": 2}, hidden_size=4,
        output_size=3, weight_init_std="he", rng=np.random.default_rng(5), dtype=dtype),
    "DeepConvNet-no-dropout": lambda dtype: DeepConvNet(input_dim=(1, 8, 8), **tiny_conv_params(6), hidden_size=4,
                                                        output_size=3, dropout_ratio=0.0,
                                                        rng=np.random.default_rng(0), dtype=dtype),
    "DeepConvNet-fixed-masks": lambda dtype: DeepConvNet(input_dim=(1, 8, 8), **tiny_conv_params(6), hidden_size=6,
                                                         output_size=3, dropout_ratio=0.3,
                                                         rng=np.random.default_rng(1), dtype=dtype,
                                                         dropout_rng=RepeatingMasks(np.random.PCG64(0))),
}
INPUT_DIMS = {"SimpleConvNet": (2, 7, 6), "SimpleConvNet-stride2-he": (1, 9, 9),
              "DeepConvNet-no-dropout": (1, 8, 8), "DeepConvNet-fixed-masks": (1, 8, 8)}
OUTPUTS = {"SimpleConvNet": 4, "SimpleConvNet-stride2-he": 3, "DeepConvNet-no-dropout": 3, "DeepConvNet-fixed-masks": 3}


def batch(name, n=3, seed=0, dtype=np.float64, one_hot=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *INPUT_DIMS[name])).astype(dtype)
    labels = rng.integers(0, OUTPUTS[name], n)
    return x, (np.eye(OUTPUTS[name], dtype=dtype)[labels] if one_hot else labels)


def layers_of(net):
    return list(net.layers.values()) if isinstance(net.layers, dict) else net.layers


def kink_margin(net, x):
    """The smallest distance to a kink in a forward pass: |input| of every Relu, and the gap between
    the largest and second-largest value of every pooling window. Exact ties in a window are no
    kink: they come from identical computations (ReLU zeros; outputs whose receptive fields hold
    only zeros, equal to the bias), which a perturbation moves alike. Central differences with
    h = 1e-4 mean nothing within about h of a kink, so the cases keep this well above it."""
    margin = np.inf
    for layer in layers_of(net):
        if isinstance(layer, Relu):
            margin = min(margin, float(np.min(np.abs(x))))
        x = layer.forward(x, True) if isinstance(layer, reference.layers.Dropout) else layer.forward(x)
        if isinstance(layer, Pooling):
            windows = np.sort(reference.layers.im2col(layer.x, layer.pool_h, layer.pool_w, layer.stride, layer.pad)
                              .reshape(-1, layer.pool_h * layer.pool_w), axis=1)
            gaps = windows[:, -1] - windows[:, -2]
            margin = min(margin, float(np.min(gaps[gaps > 0], initial=np.inf)))
    return margin


def with_random_biases(net, seed=11):
    """``net`` with biases of magnitude 0.05..0.2 instead of zeros: a convolution whose inputs are all
    ReLU zeros otherwise outputs exactly 0, a ReLU kink that perturbing its bias crosses."""
    rng = np.random.default_rng(seed)
    for key, p in net.params.items():
        if key.startswith("b"):
            p[...] = rng.uniform(0.05, 0.2, p.shape) * rng.choice([-1, 1], p.shape)
    return net


# (batch seed, bias seed) per net, chosen (by kink_margin) to keep every kink more than 2e-3 away
GRADIENT_SEEDS = {"SimpleConvNet": (5, 12), "SimpleConvNet-stride2-he": (4, 14),
                  "DeepConvNet-no-dropout": (8, 16), "DeepConvNet-fixed-masks": (6, 29)}


@pytest.mark.parametrize("one_hot", [False, True], ids=["labels", "one-hot"])
@pytest.mark.parametrize("name", sorted(NETS), ids=lambda n: f"{n}-float64-gradient")
def test_gradient_matches_numerical_gradient(monkeypatch, name, one_hot):
    """Backprop vs the book's loop, with the loss's 1e-7 guard removed on the numerical side (see
    test_net_gradients: backprop's closed form drops it)."""
    x_seed, bias_seed = GRADIENT_SEEDS[name]
    net = with_random_biases(NETS[name](np.float64), bias_seed)
    x, t = batch(name, n=2, seed=x_seed, one_hot=one_hot)
    assert kink_margin(net, x) > 2e-3, "case too close to a ReLU or pooling kink; pick other seeds"
    analytic = net.gradient(x, t)
    monkeypatch.setattr(reference.layers, "cross_entropy_error", guard_free_cross_entropy_error)
    numerical = net.numerical_gradient(x, t)
    assert analytic.keys() == numerical.keys() == net.params.keys()
    assert_gradients_close(analytic, numerical, net.last_layer.loss, name)


def test_gradient_check_catches_a_planted_fault(monkeypatch):
    """The comparison above fails when one gradient is wrong: Convolution's db doubled."""
    net = NETS["SimpleConvNet"](np.float64)
    x, t = batch("SimpleConvNet")
    analytic = net.gradient(x, t)
    analytic["b1"] = 2 * analytic["b1"]
    monkeypatch.setattr(reference.layers, "cross_entropy_error", guard_free_cross_entropy_error)
    with pytest.raises(AssertionError, match="b1"):
        assert_gradients_close(analytic, net.numerical_gradient(x, t), net.last_layer.loss, "planted")


def test_dropout_masks_differ_between_calls_without_fixed_masks():
    """The fixed-masks case is needed: with a plain Generator two training-mode losses differ."""
    net = DeepConvNet(input_dim=(1, 8, 8), **tiny_conv_params(6), hidden_size=6, output_size=3, dropout_ratio=0.3,
                      rng=np.random.default_rng(1), dropout_rng=np.random.default_rng(2))
    x, t = batch("DeepConvNet-fixed-masks")
    assert net.loss(x, t) != net.loss(x, t)
    assert net.loss(x, t, train_flg=False) == net.loss(x, t, train_flg=False)


# --- the book's shapes and initial weights ----------------------------------------------------------

def test_simple_convnet_book_shapes():
    net = SimpleConvNet(rng=np.random.default_rng(0))
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (30, 1, 5, 5), "b1": (30,), "W2": (4320, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    assert list(net.layers) == ["Conv1", "Relu1", "Pool1", "Affine1", "Relu2", "Affine2"]
    x = np.zeros((2, 1, 28, 28))
    assert net.predict(x).shape == (2, 10)
    grads = net.gradient(x, np.array([3, 7]))
    assert {k: g.shape for k, g in grads.items()} == shapes


def test_simple_convnet_draws_the_book_law():
    """W = weight_init_std * randn in the book's order W1, W2, W3 (one Generator); biases zero."""
    net = SimpleConvNet(weight_init_std=0.01, rng=np.random.default_rng(4))
    g = np.random.default_rng(4)
    for key in ("W1", "W2", "W3"):
        np.testing.assert_array_equal(net.params[key], 0.01 * g.standard_normal(net.params[key].shape))
    assert all(not np.any(net.params[b]) for b in ("b1", "b2", "b3"))


def test_deep_convnet_book_shapes_and_he_scales():
    """The book's layer list (param layers at indices 0, 2, 5, 7, 10, 12, 15, 18) and its He scales
    sqrt(2 / n) for its hard-coded fan-ins n = 1*3*3, 16*3*3, 16*3*3, 32*3*3, 32*3*3, 64*3*3, 64*4*4, 50."""
    net = DeepConvNet(rng=np.random.default_rng(0))
    assert net.param_layer_indices == (0, 2, 5, 7, 10, 12, 15, 18)
    assert net.params["W7"].shape == (64 * 4 * 4, 50) and net.params["W8"].shape == (50, 10)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds.count("Convolution") == 6 and kinds.count("Pooling") == 3 and kinds.count("Dropout") == 2
    g = np.random.default_rng(0)
    for idx, n in enumerate((9, 144, 144, 288, 288, 576, 1024, 50), start=1):
        w = net.params[f"W{idx}"]
        np.testing.assert_allclose(w, np.sqrt(2.0 / n) * g.standard_normal(w.shape), rtol=1e-15, err_msg=f"W{idx}")
    assert net.predict(np.zeros((2, 1, 28, 28))).shape == (2, 10)


# --- dtypes -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NETS), ids=lambda n: f"{n}-float32")
def test_float32_in_float32_out(name):
    net = NETS[name](np.float32)
    x, t = batch(name, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in net.params.values())
    assert net.predict(x).dtype == np.float32
    assert np.asarray(net.loss(x, t)).dtype == np.float32
    grads = net.gradient(x, t)
    assert {k: g.dtype for k, g in grads.items()} == {k: np.dtype(np.float32) for k in net.params}


# --- save_params / load_params ----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(NETS))
def test_save_load_round_trip(tmp_path, name):
    net, other = NETS[name](np.float64), NETS[name](np.float64)
    for p in other.params.values():
        p[...] = 0.5  # other weights than net's
    path = tmp_path / "params.pkl"
    net.save_params(str(path))
    other.load_params(str(path))
    for key in net.params:
        np.testing.assert_array_equal(other.params[key], net.params[key], err_msg=key)
    x, _ = batch(name)
    np.testing.assert_array_equal(other.predict(x), net.predict(x))  # the layers see the loaded weights


def test_saved_file_is_the_books_format(tmp_path):
    """A plain pickled dict {"W1": ndarray, ...}: what the book's load_params reads."""
    net = SimpleConvNet(rng=np.random.default_rng(0))
    path = tmp_path / "params.pkl"
    net.save_params(str(path))
    with open(path, "rb") as f:
        saved = pickle.load(f)
    assert type(saved) is dict and list(saved) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(type(v) is np.ndarray for v in saved.values())


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64-net", "float32-net"])
def test_loads_a_dict_pickled_as_the_book_does(tmp_path, dtype):
    """A file written by the book's save_params (a dict of float64 arrays under W1..b3) loads; the
    net keeps its dtype."""
    rng = np.random.default_rng(9)
    book = {"W1": rng.standard_normal((30, 1, 5, 5)), "b1": rng.standard_normal(30),
            "W2": rng.standard_normal((4320, 100)), "b2": rng.standard_normal(100),
            "W3": rng.standard_normal((100, 10)), "b3": rng.standard_normal(10)}
    path = tmp_path / "book_params.pkl"
    with open(path, "wb") as f:
        pickle.dump(book, f)
    net = SimpleConvNet(rng=np.random.default_rng(0), dtype=dtype)
    net.load_params(str(path))
    for key in book:
        assert net.params[key].dtype == dtype
        np.testing.assert_array_equal(net.params[key], book[key].astype(dtype), err_msg=key)
    assert net.layers["Conv1"].W is net.params["W1"] and net.layers["Affine2"].b is net.params["b3"]


# --- accuracy by batches ----------------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 3, 4, 7, 12, 100], ids=lambda b: f"batch-{b}")
@pytest.mark.parametrize("name", ["SimpleConvNet", "DeepConvNet-fixed-masks"])
def test_accuracy_by_batches_counts_every_sample(name, batch_size):
    net = NETS[name](np.float64)
    x, t = batch(name, n=12, seed=1)
    expected = np.mean(np.argmax(net.predict(x, train_flg=False), axis=1) == t)
    assert expected not in (0.0, 1.0)  # the case discriminates
    assert net.accuracy(x, t, batch_size=batch_size) == pytest.approx(expected, abs=1e-15)
    assert net.accuracy(x, np.eye(OUTPUTS[name])[t], batch_size=batch_size) == pytest.approx(expected, abs=1e-15)


def test_accuracy_equals_the_books_loop_where_batch_size_divides_n():
    net = NETS["SimpleConvNet"](np.float64)
    x, t = batch("SimpleConvNet", n=12, seed=1)
    book = sum(np.sum(np.argmax(net.predict(x[i:i + 4]), axis=1) == t[i:i + 4]) for i in range(0, 12, 4)) / 12
    assert net.accuracy(x, t, batch_size=4) == book


# --- bad arguments ----------------------------------------------------------------------------------

def _saved(tmp_path, content, raw=False):
    path = tmp_path / "p.pkl"
    path.write_bytes(content if raw else pickle.dumps(content))
    return str(path)


BAD = {
    "SimpleConvNet-conv_param-missing-pad": (lambda p: SimpleConvNet(conv_param={"filter_num": 3, "filter_size": 3,
                                                                                 "stride": 1}),
                                             r"SimpleConvNet: conv_param must be a dict with integers .*pad"),
    "SimpleConvNet-input_dim-2d": (lambda p: SimpleConvNet(input_dim=(28, 28)),
                                   r"SimpleConvNet: input_dim must be a tuple of 3 integers >= 1, got \(28, 28\)"),
    "SimpleConvNet-filter-larger-than-input": (
        lambda p: SimpleConvNet(input_dim=(1, 4, 4), conv_param={"filter_num": 2, "filter_size": 5, "pad": 0, "stride": 1}),
        r"SimpleConvNet: conv_param .* on input \(1, 4, 4\) gives 0x0 maps"),
    "SimpleConvNet-weight_init_std-negative": (lambda p: SimpleConvNet(weight_init_std=-1.0),
                                               r"SimpleConvNet: weight_init_std .*got -1.0"),
    "SimpleConvNet-accuracy-batch_size-0": (
        lambda p: NETS["SimpleConvNet"](np.float64).accuracy(*batch("SimpleConvNet"), batch_size=0),
        r"SimpleConvNet.accuracy: batch_size must be an integer >= 1, got 0"),
    "SimpleConvNet-accuracy-label-count": (
        lambda p: NETS["SimpleConvNet"](np.float64).accuracy(batch("SimpleConvNet")[0], np.array([0, 1])),
        r"SimpleConvNet.accuracy: labels t have shape \(2,\), expected \(3,\)"),
    "SimpleConvNet-load-wrong-keys": (
        lambda p: NETS["SimpleConvNet"](np.float64).load_params(_saved(p, {"W1": np.zeros(3)})),
        r"SimpleConvNet.load_params: .*p.pkl has keys \['W1'\], the net has \['W1', 'b1', 'W2'"),
    "SimpleConvNet-load-wrong-shape": (
        lambda p: NETS["SimpleConvNet"](np.float64).load_params(
            _saved(p, {k: np.zeros(1) for k in ("W1", "b1", "W2", "b2", "W3", "b3")})),
        r"SimpleConvNet.load_params: .*p.pkl: W1 has shape \(1,\), the net's W1 has \(3, 2, 3, 3\)"),
    "SimpleConvNet-load-not-a-dict": (lambda p: NETS["SimpleConvNet"](np.float64).load_params(_saved(p, [1, 2])),
                                      r"SimpleConvNet.load_params: .*p.pkl holds a list, not a dict"),
    "SimpleConvNet-load-not-a-pickle": (
        lambda p: NETS["SimpleConvNet"](np.float64).load_params(_saved(p, b"not a pickle", raw=True)),
        r"SimpleConvNet.load_params: .*p.pkl is not a pickled dict of parameters"),
    "DeepConvNet-input-too-small": (lambda p: DeepConvNet(input_dim=(1, 2, 2)),
                                    r"DeepConvNet: input \(1, 2, 2\) is too small: nothing is left after convolution 6"),
    "DeepConvNet-conv_param_3-stride-0": (
        lambda p: DeepConvNet(conv_param_3={"filter_num": 32, "filter_size": 3, "pad": 1, "stride": 0}),
        r"DeepConvNet: conv_param must be a dict .*stride >= 1, got \{.*'stride': 0\}"),
    "DeepConvNet-dropout_ratio-1.5": (lambda p: DeepConvNet(dropout_ratio=1.5),
                                      r"DeepConvNet: dropout_ratio must be a number in \[0, 1\], got 1.5"),
    "DeepConvNet-dropout_rng-seed": (lambda p: DeepConvNet(dropout_rng=3),
                                     r"DeepConvNet: dropout_rng must be None or a np.random.Generator, got 3"),
    "DeepConvNet-load-wrong-keys": (
        lambda p: NETS["DeepConvNet-no-dropout"](np.float64).load_params(_saved(p, {"W1": np.zeros(3)})),
        r"DeepConvNet.load_params: .*has keys \['W1'\], the net has \['W1', 'b1'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_raise_a_value_error_naming_them(tmp_path, case):
    call, message = BAD[case]
    with pytest.raises(ValueError, match=message):
        call(tmp_path)
