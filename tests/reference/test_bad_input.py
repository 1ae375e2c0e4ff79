"""Bad input raises ValueError naming the layer (function, net, optimizer), the argument and the
shapes or values it saw.

``HOLES`` is one row per hole found by sweeping every public constructor, forward, backward and
update of the reference: each was accepted silently, failed later in NumPy's own words (a
broadcast or alignment error that names no layer) or raised a TypeError/AttributeError. The
regular expressions ask for the name of the component, the argument and the offending shapes or
values, so that each row fails on the code before the sweep.
"""
import numpy as np
import pytest

from reference import functions, init, optimizer, util
from reference.functions import cross_entropy_error
from reference.gradient import numerical_gradient, relative_error
from reference.layers import (Affine, AddLayer, BatchNormalization, Convolution, Dropout, MulLayer, Pooling, Relu,
                              Sigmoid, SoftmaxWithLoss, Tanh)
from reference.multi_layer_net import MultiLayerNet
from reference.multi_layer_net_extend import MultiLayerNetExtend
from reference.three_layer_net import ThreeLayerNet
from reference.trainer import train
from reference.two_layer_net import TwoLayerNet

RNG = np.random.default_rng(0)


def z(*shape):
    return np.zeros(shape)


def after_forward(layer, *inputs, **kwargs):
    """``layer`` after one forward pass (so that backward has something to differentiate)."""
    layer.forward(*inputs, **kwargs)
    return layer


def affine_with_bias(b):
    layer = Affine(z(4, 3), z(3))
    layer.b = b  # as the book's load_params does: attributes replaced after construction
    return layer


def update_twice(opt, first, second):
    opt.update(*first)
    opt.update(*second)


P = {"W": z(3, 4), "b": z(4)}
G = {"W": z(3, 4), "b": z(4)}
OPTIMIZERS = {"SGD": optimizer.SGD, "Momentum": optimizer.Momentum, "Nesterov": optimizer.Nesterov,
              "AdaGrad": optimizer.AdaGrad, "RMSprop": optimizer.RMSprop, "Adam": optimizer.Adam}

# id: (what raises, the message it must match)
HOLES = {
    # --- Affine (the three holes of issue 10 first) ----------------------------------------------
    "Affine-bias-length": (lambda: Affine(z(4, 3), z(2)),
                           r"Affine: b has shape \(2,\), expected \(3,\) for W of shape \(4, 3\)"),
    "Affine-backward-dout-shape": (lambda: after_forward(Affine(z(4, 3), z(3)), z(5, 4)).backward(z(5, 2)),
                                   r"Affine.backward: dout has shape \(5, 2\), expected \(5, 3\)"),
    "Dropout-ratio-1.5": (lambda: Dropout(1.5), r"Dropout: dropout_ratio must be a number in \[0, 1\], got 1.5"),
    "Affine-bias-replaced": (lambda: affine_with_bias(z(2)).forward(z(5, 4)),
                             r"Affine: b has shape \(2,\), expected \(3,\) for W of shape \(4, 3\)"),
    "Affine-W-1d": (lambda: Affine(z(4), z(4)), r"Affine: W must be 2-D \(in, out\), got shape \(4,\)"),
    "Affine-backward-before-forward": (lambda: Affine(z(4, 3), z(3)).backward(z(5, 3)),
                                       r"Affine.backward: called before forward"),
    # --- other layers ----------------------------------------------------------------------------
    "Dropout-ratio-negative": (lambda: Dropout(-0.1), r"Dropout: dropout_ratio .*\[0, 1\], got -0.1"),
    "Dropout-rng-seed": (lambda: Dropout(0.5, rng=42), r"Dropout: rng must be None or a np.random.Generator, got 42"),
    "Dropout-backward-dout-shape": (lambda: after_forward(Dropout(0.5), z(3, 4)).backward(z(4)),
                                    r"Dropout.backward: dout has shape \(4,\), expected \(3, 4\)"),
    "Dropout-backward-before-forward": (lambda: Dropout(0.5).backward(z(3, 4)), r"Dropout.backward: called before forward"),
    "Relu-backward-dout-shape": (lambda: after_forward(Relu(), z(3, 4)).backward(z(3, 5)),
                                 r"Relu.backward: dout has shape \(3, 5\), expected \(3, 4\)"),
    "Sigmoid-backward-dout-shape": (lambda: after_forward(Sigmoid(), z(3, 4)).backward(z(4)),
                                    r"Sigmoid.backward: dout has shape \(4,\), expected \(3, 4\)"),
    "Tanh-backward-dout-shape": (lambda: after_forward(Tanh(), z(3, 4)).backward(z(1, 4)),
                                 r"Tanh.backward: dout has shape \(1, 4\), expected \(3, 4\)"),
    "MulLayer-forward-shapes": (lambda: MulLayer().forward(z(3, 4), z(3, 5)),
                                r"MulLayer: shapes \{'x': \(3, 4\), 'y': \(3, 5\)\} do not broadcast"),
    "MulLayer-backward-dout-shape": (lambda: after_forward(MulLayer(), z(3, 4), 2.0).backward(z(4)),
                                     r"MulLayer.backward: dout has shape \(4,\), expected \(3, 4\)"),
    "AddLayer-forward-shapes": (lambda: AddLayer().forward(z(2), z(3)),
                                r"AddLayer: shapes \{'x': \(2,\), 'y': \(3,\)\} do not broadcast"),
    "SoftmaxWithLoss-1d-scores": (lambda: SoftmaxWithLoss().forward(z(5), np.eye(5)[1]),
                                  r"SoftmaxWithLoss: scores must be \(N, C\) .*got shape \(5,\)"),
    "SoftmaxWithLoss-backward-dout-array": (
        lambda: after_forward(SoftmaxWithLoss(), z(4, 5), np.arange(4)).backward(np.ones((4, 5))),
        r"SoftmaxWithLoss.backward: dout has shape \(4, 5\), expected \(\)"),
    "SoftmaxWithLoss-backward-before-forward": (lambda: SoftmaxWithLoss().backward(),
                                                r"SoftmaxWithLoss.backward: called before forward"),
    "BatchNormalization-beta-shape": (lambda: BatchNormalization(np.ones(12), z(5)),
                                      r"BatchNormalization: gamma has shape \(12,\) but beta has shape \(5,\)"),
    "BatchNormalization-gamma-2d": (lambda: BatchNormalization(np.ones((3, 4)), z(3, 4)),
                                    r"BatchNormalization: gamma must be a scalar or 1-D .*\(3, 4\)"),
    "BatchNormalization-momentum-1.5": (lambda: BatchNormalization(np.ones(4), z(4), momentum=1.5),
                                        r"BatchNormalization: momentum must be a number in \[0, 1\], got 1.5"),
    "BatchNormalization-running-mean-shape": (
        lambda: BatchNormalization(np.ones(12), z(12), running_mean=z(5), running_var=np.ones(5)),
        r"BatchNormalization: running_mean has shape \(5,\), gamma \(12,\)"),
    "BatchNormalization-running-var-missing": (lambda: BatchNormalization(np.ones(4), z(4), running_mean=z(4)),
                                               r"BatchNormalization: give both running_mean and running_var"),
    "BatchNormalization-backward-dout-shape": (
        lambda: after_forward(BatchNormalization(np.ones(12), z(12)), RNG.random((2, 12))).backward(z(2, 5)),
        r"BatchNormalization.backward: dout has shape \(2, 5\), expected \(2, 12\)"),
    "Convolution-bias-length": (lambda: Convolution(z(3, 2, 3, 3), z(2)),
                                r"Convolution: b has shape \(2,\), expected \(3,\) for W of shape \(3, 2, 3, 3\)"),
    "Convolution-W-3d": (lambda: Convolution(z(3, 3, 3), z(3)),
                         r"Convolution: W must be 4-D \(FN, C, FH, FW\), got shape \(3, 3, 3\)"),
    "Convolution-stride-0": (lambda: Convolution(z(3, 2, 3, 3), z(3), stride=0),
                             r"Convolution: stride must be an integer >= 1, got 0"),
    "Convolution-stride-float": (lambda: Convolution(z(3, 2, 3, 3), z(3), stride=1.5),
                                 r"Convolution: stride must be an integer >= 1, got 1.5"),
    "Convolution-pad-negative": (lambda: Convolution(z(3, 2, 3, 3), z(3), pad=-1),
                                 r"Convolution: pad must be an integer >= 0, got -1"),
    "Convolution-backward-dout-shape": (
        lambda: after_forward(Convolution(z(3, 2, 3, 3), z(3)), z(2, 2, 5, 5)).backward(z(2, 3, 4, 4)),
        r"Convolution.backward: dout has shape \(2, 3, 4, 4\), expected \(2, 3, 3, 3\)"),
    "Pooling-stride-0": (lambda: Pooling(2, 2, stride=0), r"Pooling: stride must be an integer >= 1, got 0"),
    "Pooling-pool_h-0": (lambda: Pooling(0, 2), r"Pooling: pool_h must be an integer >= 1, got 0"),
    "Pooling-window-larger-than-input": (lambda: Pooling(5, 5).forward(z(1, 1, 3, 3)),
                                         r"Pooling: window 5x5 with stride 2 does not fit input \(1, 1, 3, 3\)"),
    "Pooling-backward-dout-shape": (lambda: after_forward(Pooling(2, 2), z(2, 3, 4, 4)).backward(z(2, 3, 4, 4)),
                                    r"Pooling.backward: dout has shape \(2, 3, 4, 4\), expected \(2, 3, 2, 2\)"),
    # --- functions -------------------------------------------------------------------------------
    "cross_entropy_error-1d-label-count": (lambda: cross_entropy_error(np.full(5, 0.2), np.array([1, 2])),
                                           r"cross_entropy_error: labels t have shape \(2,\), expected \(1,\)"),
    "cross_entropy_error-3d-scores": (lambda: cross_entropy_error(np.full((2, 3, 4), 0.25), np.array([0, 1])),
                                      r"cross_entropy_error: scores must be \(N, C\) or \(C,\).*\(2, 3, 4\)"),
    "sum_squared_error-shapes": (lambda: functions.sum_squared_error(z(4, 3), z(3)),
                                 r"sum_squared_error: y has shape \(4, 3\) but t has shape \(3,\)"),
    "softmax-scalar": (lambda: functions.softmax(np.float64(1.0)),
                       r"softmax: x must have the classes on a last axis .*got shape \(\)"),
    "softmax-no-classes": (lambda: functions.softmax(z(3, 0)), r"softmax: .*last axis of size >= 1, got shape \(3, 0\)"),
    # --- optimizers: hyper-parameters ------------------------------------------------------------
    "SGD-lr-negative": (lambda: optimizer.SGD(lr=-0.1), r"SGD: lr must be a number in \[0, inf\), got -0.1"),
    "SGD-lr-string": (lambda: optimizer.SGD(lr="0.1"), r"SGD: lr must be a number .*got '0.1'"),
    "Momentum-momentum-1.5": (lambda: optimizer.Momentum(momentum=1.5), r"Momentum: momentum .*\[0, 1\], got 1.5"),
    "Nesterov-lr-nan": (lambda: optimizer.Nesterov(lr=float("nan")), r"Nesterov: lr .*got nan"),
    "RMSprop-decay_rate-1.5": (lambda: optimizer.RMSprop(decay_rate=1.5), r"RMSprop: decay_rate .*\[0, 1\], got 1.5"),
    "AdaGrad-lr-bool": (lambda: optimizer.AdaGrad(lr=True), r"AdaGrad: lr must be a number .*got True"),
    "Adam-beta1-1": (lambda: optimizer.Adam(beta1=1.0), r"Adam: beta1 must be a number in \[0, 1\), got 1.0"),
    "Adam-beta2-negative": (lambda: optimizer.Adam(beta2=-0.5), r"Adam: beta2 .*got -0.5"),
    # --- numerical gradient ----------------------------------------------------------------------
    "numerical_gradient-int-x": (lambda: numerical_gradient(lambda x: np.sum(x ** 2), np.array([1, 2])),
                                 r"numerical_gradient: x must be a floating NumPy array .*dtype int64"),
    "numerical_gradient-list-x": (lambda: numerical_gradient(lambda x: 0.0, [1.0, 2.0]),
                                  r"numerical_gradient: x must be a floating NumPy array .*got list"),
    "numerical_gradient-read-only-x": (lambda: numerical_gradient(lambda x: 0.0, np.broadcast_to(1.0, (3,))),
                                       r"numerical_gradient: x of shape \(3,\) is read-only"),
    "numerical_gradient-f-not-callable": (lambda: numerical_gradient(0.5, z(3)),
                                          r"numerical_gradient: f must be a function of x, got float"),
    "numerical_gradient-f-not-scalar": (lambda: numerical_gradient(lambda x: x * 2, z(3)),
                                        r"numerical_gradient: f\(x\) must be a scalar .*got shape \(3,\)"),
    "numerical_gradient-h-0": (lambda: numerical_gradient(lambda x: 0.0, z(3), h=0),
                               r"numerical_gradient: h must be a number in \(0, inf\), got 0"),
    "relative_error-shapes": (lambda: relative_error(z(3, 4), z(4)),
                              r"relative_error: a has shape \(3, 4\) but b has shape \(4,\)"),
    # --- initializers ----------------------------------------------------------------------------
    "weight_scale-negative-std": (lambda: init.weight_scale(-0.01, 10),
                                  r"weight_scale: weight_init_std must be a float std >= 0 .*got -0.01"),
    "weight_scale-bool-std": (lambda: init.weight_scale(True, 10), r"weight_scale: weight_init_std .*got True"),
    "weight_scale-n_in-0": (lambda: init.weight_scale("he", 0), r"weight_scale: n_in must be an integer >= 1, got 0"),
    "init_weight-1d-shape": (lambda: init.init_weight("he", (5,), RNG),
                             r"init_weight: shape must be a tuple of at least 2 integers >= 1, got \(5,\)"),
    "init_weight-rng-None": (lambda: init.init_weight("he", (5, 3), None),
                             r"init_weight: generator must be a np.random.Generator \(its rng\), got None"),
    "init_weight-int-dtype": (lambda: init.he((5, 3), RNG, dtype=np.int64),
                              r"init_weight: dtype must be a floating dtype .*int64"),
    # --- nets ------------------------------------------------------------------------------------
    "MultiLayerNet-hidden_size_list-int": (lambda: MultiLayerNet(5, 4, 3),
                                           r"MultiLayerNet: hidden_size_list must be a list of integers >= 1, got 4"),
    "MultiLayerNet-hidden-size-0": (lambda: MultiLayerNet(5, [4, 0], 3),
                                    r"MultiLayerNet: hidden_size_list .*got \[4, 0\]"),
    "MultiLayerNet-input_size-float": (lambda: MultiLayerNet(784.0, [4], 3),
                                       r"MultiLayerNet: input_size must be an integer >= 1, got 784.0"),
    "MultiLayerNet-activation-unknown": (lambda: MultiLayerNet(5, [4], 3, activation="elu"),
                                         r"MultiLayerNet: unknown activation 'elu'; use one of \['relu', 'sigmoid', 'tanh'\]"),
    "MultiLayerNet-activation-unknown-no-hidden": (lambda: MultiLayerNet(5, [], 3, activation="elu"),
                                                   r"MultiLayerNet: unknown activation 'elu'"),
    "MultiLayerNet-weight_init_std-unknown": (lambda: MultiLayerNet(5, [4], 3, weight_init_std="glorot"),
                                              r"MultiLayerNet: weight_init_std must be .*'xavier'.*got 'glorot'"),
    "MultiLayerNet-weight_decay_lambda-negative": (lambda: MultiLayerNet(5, [4], 3, weight_decay_lambda=-1),
                                                   r"MultiLayerNet: weight_decay_lambda .*got -1"),
    "MultiLayerNet-dtype-int": (lambda: MultiLayerNet(5, [4], 3, dtype=np.int32),
                                r"MultiLayerNet: dtype must be a floating dtype"),
    "MultiLayerNet-rng-seed": (lambda: MultiLayerNet(5, [4], 3, rng=0),
                               r"MultiLayerNet: rng must be None or a np.random.Generator, got 0"),
    "MultiLayerNet-accuracy-label-count": (
        lambda: MultiLayerNet(5, [4], 3, rng=RNG).accuracy(z(6, 5), np.zeros(5, int)),
        r"MultiLayerNet.accuracy: labels t have shape \(5,\), expected \(6,\)"),
    "MultiLayerNetExtend-dropout_ration-1.5": (lambda: MultiLayerNetExtend(5, [4], 3, use_dropout=True,
                                                                           dropout_ration=1.5),
                                               r"MultiLayerNetExtend: dropout_ration .*\[0, 1\], got 1.5"),
    "MultiLayerNetExtend-accuracy-one-hot-shape": (
        lambda: MultiLayerNetExtend(5, [4], 3, rng=RNG).accuracy(z(6, 5), np.zeros((3, 6))),
        r"MultiLayerNetExtend.accuracy: one-hot t has shape \(3, 6\), scores have \(6, 3\)"),
    "TwoLayerNet-hidden_size-0": (lambda: TwoLayerNet(5, 0, 3), r"TwoLayerNet: hidden_size must be an integer >= 1, got 0"),
    "ThreeLayerNet-hidden_size2-list": (lambda: ThreeLayerNet(5, 4, [4], 3),
                                        r"ThreeLayerNet: hidden_size2 must be an integer >= 1, got \[4\]"),
    # --- util and trainer ------------------------------------------------------------------------
    "im2col-3d-input": (lambda: util.im2col(z(1, 4, 4), 2, 2), r"im2col: input must be 4-D .*\(1, 4, 4\)"),
    "im2col-stride-0": (lambda: util.im2col(z(1, 1, 4, 4), 2, 2, stride=0), r"im2col: stride must be an integer >= 1, got 0"),
    "im2col-filter-too-large": (lambda: util.im2col(z(1, 1, 4, 4), 5, 5),
                                r"im2col: filter 5x5 with stride 1 does not fit input \(1, 1, 4, 4\) with pad 0"),
    "col2im-col-shape": (lambda: util.col2im(z(8, 4), (1, 1, 4, 4), 2, 2),
                         r"col2im: col has shape \(8, 4\), expected \(9, 4\) for input shape \(1, 1, 4, 4\)"),
    "shuffle_dataset-lengths": (lambda: util.shuffle_dataset(z(3, 2), np.arange(5), RNG),
                                r"shuffle_dataset: x, t must have the same number of samples, got \{'x': 3, 't': 5\}"),
    "smooth_curve-short": (lambda: util.smooth_curve(np.arange(10.0)),
                           r"smooth_curve: curve_length must be an integer >= 11, got 10"),
    "train-label-count": (lambda: train(TwoLayerNet(2, 3, 2, rng=RNG), z(10, 2), np.zeros(9, int), z(4, 2),
                                        np.zeros(4, int), iters_num=1, batch_size=2, rng=RNG),
                          r"train: x_train, t_train must have the same number of samples, got \{'x_train': 10, 't_train': 9\}"),
    "train-batch-indices-out-of-range": (
        lambda: train(TwoLayerNet(2, 3, 2, rng=RNG), z(10, 2), np.zeros(10, int), z(4, 2), np.zeros(4, int),
                      batch_indices=np.array([[0, 10]])),
        r"train: batch_indices must lie in \[0, 10\), got min 0 and max 10"),
}


@pytest.mark.parametrize("case", sorted(HOLES))
def test_bad_input_raises_a_value_error_naming_it(case):
    call, message = HOLES[case]
    with pytest.raises(ValueError, match=message):
        call()


def _update_cases():
    """Every optimizer's update with grads that do not fit params, and (stateful ones) with params
    that changed after the first update."""
    cases = {}
    for name, cls in OPTIMIZERS.items():
        cases[f"{name}-grads-missing-key"] = (lambda cls=cls: cls().update(dict(P), {"W": G["W"]}),
                                              rf"{name}.update: params and grads have different keys: "
                                              r"only in params \['b'\], only in grads \[\]")
        cases[f"{name}-grads-extra-key"] = (lambda cls=cls: cls().update({"W": z(3, 4)}, G),
                                            rf"{name}.update: .*only in grads \['b'\]")
        cases[f"{name}-grads-shape"] = (lambda cls=cls: cls().update({"W": z(3, 4)}, {"W": z(4)}),
                                        rf"{name}.update: grads\['W'\] has shape \(4,\), params\['W'\] has \(3, 4\)")
        cases[f"{name}-int-params"] = (lambda cls=cls: cls().update({"W": np.zeros(3, int)}, {"W": z(3)}),
                                       rf"{name}.update: params\['W'\] has dtype int64; it is updated in place")
        if name != "SGD":
            cases[f"{name}-params-changed"] = (
                lambda cls=cls: update_twice(cls(), ({"W": z(3)}, {"W": z(3)}), ({"W": z(3), "b": z(2)},
                                                                                 {"W": z(3), "b": z(2)})),
                rf"{name}.update: params changed since the first update .*\['b'\]")
    return cases


UPDATE_HOLES = _update_cases()


@pytest.mark.parametrize("case", sorted(UPDATE_HOLES))
def test_optimizer_update_with_mismatched_params_and_grads(case):
    call, message = UPDATE_HOLES[case]
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_update_takes_python_floats_as_the_book_does(name):
    """The book's ch06 optimizer comparison keeps params as Python floats; that still works."""
    params = {"x": -7.0, "y": 2.0}
    OPTIMIZERS[name]().update(params, {"x": 1.0, "y": -1.0})
    assert params["x"] < -7.0 and params["y"] > 2.0


def test_numerical_gradient_of_an_empty_array_is_empty():
    """An empty parameter has an empty gradient (NumPy's nditer refuses zero-size operands by default)."""
    grad = numerical_gradient(lambda x: 1.0, np.zeros((0, 3)))
    assert grad.shape == (0, 3)


def test_numerical_gradient_leaves_x_as_it_was_when_f_fails():
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="must be a scalar"):
        numerical_gradient(lambda v: v * 1.0, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_initializer_names_are_those_of_reference_init():
    """The argument table lists the initializer names itself (reference.init imports it, so it cannot
    import them back); they must stay the ones reference.init knows."""
    from reference._checks import ARGUMENTS
    assert set(ARGUMENTS["weight_init_std"].names) == set(init.SCALES) | set(init.ALIASES)


# --- the checks that were already in place ---------------------------------------------------------

def test_affine_shape_mismatch():
    layer = Affine(np.zeros((4, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"Affine.*\(5, 6\).*\(4, 3\)"):
        layer.forward(np.zeros((5, 6)))
    with pytest.raises(ValueError, match=r"Affine.*\(2, 12\).*\(4, 3\)"):  # 4-D input, flattened
        layer.forward(np.zeros((2, 3, 2, 2)))


@pytest.mark.parametrize("shape", [(2, 5, 5), (1, 3, 5, 5), (1, 1, 2, 5, 5)], ids=["3-D", "3-channels", "5-D"])
def test_convolution_wrong_rank_or_channels(shape):
    layer = Convolution(np.zeros((3, 2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"Convolution.*\(N, 2, H, W\).*\(3, 2, 3, 3\).*" + str(shape).replace("(", r"\(").replace(")", r"\)")):
        layer.forward(np.zeros(shape))


def test_convolution_filter_larger_than_input():
    with pytest.raises(ValueError, match=r"Convolution.*\(1, 1, 5, 5\).*\(1, 1, 3, 3\)"):
        Convolution(np.zeros((1, 1, 5, 5)), np.zeros(1)).forward(np.zeros((1, 1, 3, 3)))


def test_pooling_3d_input():
    with pytest.raises(ValueError, match=r"Pooling.*4-D.*\(2, 4, 4\)"):
        Pooling(2, 2).forward(np.zeros((2, 4, 4)))


def test_batchnorm_3d_input():
    layer = BatchNormalization(np.ones(12), np.zeros(12))
    with pytest.raises(ValueError, match=r"BatchNormalization.*\(2, 3, 4\)"):
        layer.forward(np.zeros((2, 3, 4)))


@pytest.mark.parametrize("labels, values", [([0, 1, 7, 2], "max 7"), ([0, -1, 2, 2], "min -1")],
                         ids=["too-large", "negative"])
def test_labels_out_of_range(labels, values):
    x = np.zeros((4, 5))
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: labels must lie in \[0, 5\).*" + values):
        SoftmaxWithLoss().forward(x, np.array(labels))
    with pytest.raises(ValueError, match=r"cross_entropy_error: labels must lie in \[0, 5\).*" + values):
        cross_entropy_error(np.full((4, 5), 0.2), np.array(labels))


def test_nan_in_inputs():
    x = np.zeros((4, 5))
    x[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: x of shape \(4, 5\).*non-finite.*nan.*at index \(1, 2\)"):
        SoftmaxWithLoss().forward(x, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"cross_entropy_error: y of shape \(4, 5\).*non-finite.*nan.*at index \(1, 2\)"):
        cross_entropy_error(x, np.array([0, 1, 2, 3]))


def test_label_count_mismatch():
    with pytest.raises(ValueError, match=r"SoftmaxWithLoss: labels t have shape \(3,\), expected \(4,\)"):
        SoftmaxWithLoss().forward(np.zeros((4, 5)), np.array([0, 1, 2]))
