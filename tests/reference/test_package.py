"""The package as the seeds use it: ``import reference as common`` with the book's names, the
training loop's curves, and no framework pulled in by any reference module."""
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import reference as common
from reference.trainer import train
from reference.two_layer_net import TwoLayerNet

REPO = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("torch", "tensorflow", "keras", "jax")

BOOK_NAMES = {
    "layers": ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout",
               "BatchNormalization", "Convolution", "Pooling"],
    "functions": ["identity_function", "step_function", "sigmoid", "sigmoid_grad", "relu", "relu_grad",
                  "softmax", "sum_squared_error", "cross_entropy_error", "softmax_loss"],
    "optimizer": ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"],
    "gradient": ["numerical_gradient"],
    "util": ["im2col", "col2im", "smooth_curve", "shuffle_dataset", "conv_output_size"],
    "multi_layer_net": ["MultiLayerNet"],
    "multi_layer_net_extend": ["MultiLayerNetExtend"],
    "two_layer_net": ["TwoLayerNet"],
    "three_layer_net": ["ThreeLayerNet"],
    "simple_convnet": ["SimpleConvNet"],
    "deep_convnet": ["DeepConvNet"],
    "trainer": ["train"],
}


@pytest.mark.parametrize("module", sorted(BOOK_NAMES))
def test_book_names_through_common(module):
    missing = [name for name in BOOK_NAMES[module] if not callable(getattr(getattr(common, module), name, None))]
    assert not missing, f"common.{module} lacks {missing}"


def test_seed_style_code_runs():
    """The seeds' explicit style: common.layers.Affine, common.functions.softmax, common.optimizer.Adam,
    common.gradient.numerical_gradient, common.util.im2col."""
    rng = np.random.default_rng(0)
    affine = common.layers.Affine(rng.standard_normal((3, 2)), np.zeros(2))
    y = common.functions.softmax(affine.forward(rng.standard_normal((4, 3))))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    params, grads = {"W": np.ones(2)}, {"W": np.ones(2)}
    common.optimizer.Adam(lr=0.1).update(params, grads)
    np.testing.assert_allclose(params["W"], 0.9, rtol=1e-6)  # first Adam step moves by ~lr
    grad = common.gradient.numerical_gradient(lambda x: np.sum(x ** 2), np.array([1.0, -2.0]))
    np.testing.assert_allclose(grad, [2.0, -4.0], rtol=1e-9)
    assert common.util.im2col(np.zeros((1, 1, 4, 4)), 2, 2, stride=2).shape == (4, 4)


def blobs(n, seed):
    """Three well-separated 2-D Gaussian classes."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    return centers[t] + 0.5 * rng.standard_normal((n, 2)), t


@pytest.mark.parametrize("train_size, batch_size", [(60, 10), (50, 20), (5, 10)],
                         ids=["epoch-6-iters", "epoch-2.5-iters", "batch-larger-than-set"])
def test_train_curves_have_the_expected_lengths(train_size, batch_size):
    x, t = blobs(train_size, seed=0)
    x_test, t_test = blobs(30, seed=1)
    iters = 40
    curves = train(TwoLayerNet(2, 8, 3, weight_init_std=0.5, rng=np.random.default_rng(0)), x, t, x_test, t_test,
                   iters_num=iters, batch_size=batch_size, rng=np.random.default_rng(2))
    iter_per_epoch = max(train_size / batch_size, 1)
    expected_evals = [i for i in range(iters) if i % iter_per_epoch == 0]
    assert len(curves.train_loss_list) == iters
    assert curves.eval_iters == expected_evals
    assert len(curves.train_acc_list) == len(curves.test_acc_list) == len(expected_evals)


def test_train_reduces_the_loss_and_is_reproducible():
    x, t = blobs(90, seed=0)
    x_test, t_test = blobs(30, seed=1)

    def run():
        net = TwoLayerNet(2, 8, 3, weight_init_std=0.5, rng=np.random.default_rng(0))
        return train(net, x, t, x_test, t_test, iters_num=120, batch_size=10, rng=np.random.default_rng(3))
    curves = run()
    first, last = np.mean(curves.train_loss_list[:10]), np.mean(curves.train_loss_list[-10:])
    assert last < 0.5 * first, (first, last)
    assert curves.test_acc_list[-1] > 0.9  # separable blobs
    assert run().train_loss_list == curves.train_loss_list


def frameworks_imported(package, extra_path=None):
    """Import ``package`` and every module in it in a fresh interpreter; return the frameworks loaded."""
    code = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        import {package}
        for info in pkgutil.walk_packages({package}.__path__, "{package}."):
            importlib.import_module(info.name)
        print(",".join(m for m in {FRAMEWORKS!r} if m in sys.modules))
    """)
    path = [str(REPO)] + ([str(extra_path)] if extra_path else [])
    env = {"PYTHONPATH": ":".join(path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return [m for m in result.stdout.strip().split(",") if m]


def test_reference_imports_no_framework():
    assert frameworks_imported("reference") == []


def test_planted_framework_import_is_caught(tmp_path):
    """A package one of whose modules imports 'jax' (a stand-in module here) is flagged."""
    (tmp_path / "jax.py").write_text("")
    (tmp_path / "fakeref").mkdir()
    (tmp_path / "fakeref" / "__init__.py").write_text("")
    (tmp_path / "fakeref" / "layers.py").write_text("import jax\n")
    assert frameworks_imported("fakeref", extra_path=tmp_path) == ["jax"]
