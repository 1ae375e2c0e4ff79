"""Every kind of layer/function check catches a planted fault, and the failure names the component.

Each fault lives in a COPY of the reference (a package assembled from the reference's modules with
one class or function replaced, loaded through ``parity.impl.load_implementation``; two faults
are planted by editing a copied book-style folder, as a user's ``common/`` would be loaded).
The checks are run against torch (float64 unless the fault is about dtypes), and the numerical
framework must catch the gradient faults on its own.
"""
import types

import numpy as np
import pytest

import reference
from reference import layers as rl
from parity.verify.patch import Edit, reference_copy
from parity.runners.runner import run
from parity.impl import load_implementation
from parity.registry import get

pytest.importorskip("torch", reason="the planted faults are detected against torch")


def faulty(name, **replace):
    """The reference with ``replace`` ({"layers__Affine": obj}) swapped in, as an Implementation."""
    pkg = types.ModuleType(f"faulty_{name}")
    for modname in ("layers", "functions", "gradient", "util"):
        mod = types.ModuleType(f"faulty_{name}.{modname}")
        mod.__dict__.update(vars(getattr(reference, modname)))
        setattr(pkg, modname, mod)
    for key, obj in replace.items():
        modname, attr = key.split("__")
        setattr(getattr(pkg, modname), attr, obj)
    return load_implementation(pkg)


# --- the faults ------------------------------------------------------------------------------

class AffineBiasTwice(rl.Affine):
    def forward(self, x):
        return super().forward(x) + self.b


class AffineDoubleDW(rl.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = 2 * self.dW
        return dx


class AffineMeanDb(rl.Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)
        return dx


class AffinePromotes(rl.Affine):
    def forward(self, x):
        return super().forward(x).astype(np.float64)


class SigmoidWrongGrad(rl.Sigmoid):
    def backward(self, dout):
        return dout * (1.0 - self.out)


class ReluGradOneAtZero(rl.Relu):
    def forward(self, x):
        out = super().forward(x)
        self.mask = x < 0  # gradient 1 at exactly 0
        return out


class LossNotAveraged(rl.SoftmaxWithLoss):
    def backward(self, dout=1):
        return super().backward(dout) * self.t.shape[0]


class BNDgammaSign(rl.BatchNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dgamma = -self.dgamma
        return dx


class BNHalfDbeta(rl.BatchNormalization):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dbeta = 0.5 * self.dbeta
        return dx


class BNUnbiasedRunningVar(rl.BatchNormalization):
    def _forward(self, x, train_flg):
        old = None if self.running_var is None else self.running_var.copy()
        out = super()._forward(x, train_flg)
        if train_flg:
            n = x.shape[0]
            var = x.var(axis=0)
            base = np.zeros_like(var) if old is None else old
            self.running_var = self.momentum * base + (1 - self.momentum) * var * n / (n - 1)
        return out


class BNEvalEps(rl.BatchNormalization):
    def _forward(self, x, train_flg):
        if train_flg:
            return super()._forward(x, train_flg)
        return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + 1e-5) + self.beta


class DropoutInverted(rl.Dropout):
    def forward(self, x, train_flg=True):
        out = super().forward(x, train_flg)
        return out / (1.0 - self.dropout_ratio) if train_flg else x


class ConvFlippedKernel(rl.Convolution):
    def __init__(self, W, b, stride=1, pad=0):
        super().__init__(np.ascontiguousarray(W[:, :, ::-1, ::-1]), b, stride, pad)

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW[:, :, ::-1, ::-1]
        return dx


class ConvTransposedKernel(rl.Convolution):
    def __init__(self, W, b, stride=1, pad=0):
        super().__init__(np.ascontiguousarray(W.transpose(0, 1, 3, 2)) if W.shape[2] == W.shape[3] else W,
                         b, stride, pad)


class PoolingLastTie(rl.Pooling):
    def forward(self, x):
        out = super().forward(x)
        col = rl.im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = col.shape[1] - 1 - np.argmax(col[:, ::-1], axis=1)  # last maximum
        return out


class MulSwapped(rl.MulLayer):
    def backward(self, dout):
        return dout * self.y, dout * self.y


def softmax_unshifted(x):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_1e5(y, t):
    if t.size == y.size:
        t = t.argmax(axis=-1)
    y = y.reshape(-1, y.shape[-1])
    return -np.sum(np.log(y[np.arange(y.shape[0]), t.reshape(-1)] + 1e-5)) / y.shape[0]


FAULTS = [
    # (id, component, check, dtype, replacement)
    ("forward", "Affine", "forward", "float64", {"layers__Affine": AffineBiasTwice}),
    ("dx", "Sigmoid", "dx", "float64", {"layers__Sigmoid": SigmoidWrongGrad}),
    ("dx-relu-at-zero", "Relu", "dx", "float64", {"layers__Relu": ReluGradOneAtZero}),
    ("dx-loss-not-averaged", "SoftmaxWithLoss", "dx", "float64", {"layers__SoftmaxWithLoss": LossNotAveraged}),
    ("dW", "Affine", "dW", "float64", {"layers__Affine": AffineDoubleDW}),
    ("db", "Affine", "db", "float64", {"layers__Affine": AffineMeanDb}),
    ("dy", "MulLayer", "dy", "float64", {"layers__MulLayer": MulSwapped}),
    ("dgamma", "BatchNormalization-train", "dgamma", "float64", {"layers__BatchNormalization": BNDgammaSign}),
    ("dbeta", "BatchNormalization-train", "dbeta", "float64", {"layers__BatchNormalization": BNHalfDbeta}),
    ("running-var-unbiased", "BatchNormalization-train", "running_var", "float64",
     {"layers__BatchNormalization": BNUnbiasedRunningVar}),
    ("eval-eps", "BatchNormalization-eval", "eval_forward", "float64", {"layers__BatchNormalization": BNEvalEps}),
    ("dropout-inverted-train", "Dropout-train", "forward", "float64", {"layers__Dropout": DropoutInverted}),
    ("dropout-inverted-test", "Dropout-test", "eval_forward", "float64", {"layers__Dropout": DropoutInverted}),
    ("conv-kernel-flipped", "Convolution", "forward", "float64", {"layers__Convolution": ConvFlippedKernel}),
    ("conv-kernel-transposed", "Convolution", "dx", "float64", {"layers__Convolution": ConvTransposedKernel}),
    ("pooling-tie-to-last", "Pooling", "dx", "float64", {"layers__Pooling": PoolingLastTie}),
    ("softmax-unshifted", "softmax", "forward", "float64", {"functions__softmax": softmax_unshifted}),
    ("cross-entropy-1e-5", "cross_entropy_error", "forward", "float64",
     {"functions__cross_entropy_error": cross_entropy_1e5}),
]


def _failures(records, check):
    return [r for r in records if r.check == check and r.status == "fail"]


@pytest.mark.parametrize("fault_id, component, check, dtype, replace", FAULTS, ids=[f[0] for f in FAULTS])
def test_planted_fault_is_caught_against_torch(fault_id, component, check, dtype, replace):
    row = get(component)
    clean = run(row, "torch", dtype, "reference")
    assert all(r.status == "pass" for r in clean if r.check == check), "the clean reference must pass first"
    failing = _failures(run(row, "torch", dtype, faulty(fault_id, **replace)), check)
    assert failing, f"{fault_id}: no {check} failure for {component}"
    assert all(r.component == component and component in r.message for r in failing)
    assert "MISMATCH" in failing[0].message or "mismatch" in failing[0].message


@pytest.mark.parametrize("fault_id, component, check, replace", [
    ("dx", "Sigmoid", "dx", {"layers__Sigmoid": SigmoidWrongGrad}),
    ("dW", "Affine", "dW", {"layers__Affine": AffineDoubleDW}),
    ("db", "Affine", "db", {"layers__Affine": AffineMeanDb}),
    ("dgamma", "BatchNormalization-train", "dgamma", {"layers__BatchNormalization": BNDgammaSign}),
    ("dy", "MulLayer", "dy", {"layers__MulLayer": MulSwapped}),
], ids=["dx", "dW", "db", "dgamma", "dy"])
def test_numerical_framework_catches_gradient_faults(fault_id, component, check, replace):
    """(Layout faults such as a flipped kernel are self-consistent: only a framework sees them.)"""
    failing = _failures(run(get(component), "numerical", "float64", faulty(fault_id, **replace)), check)
    assert failing and component in failing[0].message


def test_output_dtype_fault_is_a_dtype_finding_and_fails_only_when_strict():
    """float32 in, float64 out with the right values: status "dtype" naming the implementation's
    side, never "pass"; the check's summary fails it only under strict_dtype."""
    from parity.verify.table import summarize

    row = get("Affine")
    records = run(row, "torch", "float32", faulty("output-dtype", layers__Affine=AffinePromotes))
    forward = [r for r in records if r.check == "forward"]
    assert forward and all(r.status == "dtype" for r in forward)
    assert all("the implementation returns float64 for float32 input" in r.dtype_finding for r in forward)
    assert "dtype mismatch: actual float32, expected float64" in forward[0].message
    assert summarize("Affine", "layer", records).status == "pass"
    assert summarize("Affine", "layer", records).dtype_finding.startswith("the implementation returns float64")
    assert summarize("Affine", "layer", records, strict_dtype=True).status == "FAIL"


def test_output_dtype_fault_with_wrong_values_is_a_failure():
    class AffinePromotesAndShifts(rl.Affine):
        def forward(self, x):
            return super().forward(x).astype(np.float64) + 1e-3

    records = run(get("Affine"), "torch", "float32", faulty("dtype-and-values", layers__Affine=AffinePromotesAndShifts))
    assert [r.status for r in records if r.check == "forward"] == ["fail"] * 3


def _copy_reference(tmp_path, edit_file, old, new):
    """The reference written as a book-style folder (a user's common/), with one line edited."""
    return reference_copy(tmp_path / "common", [Edit(edit_file, old, new)])


def test_folder_implementation_with_bn_eps_1e5_is_caught(tmp_path):
    folder = _copy_reference(tmp_path, "layers.py", "np.sqrt(var + 10e-7)\n", "np.sqrt(var + 1e-5)\n")
    impl = load_implementation(folder)
    assert impl.name == folder
    failing = _failures(run(get("BatchNormalization-train"), "torch", "float64", impl), "forward")
    assert failing and "BatchNormalization-train" in failing[0].message


def test_folder_implementation_with_transposed_affine_weight_is_caught(tmp_path):
    # W read in the wrong layout: (in, out) memory taken as (out, in), then transposed back
    folder = _copy_reference(tmp_path, "layers.py", "return np.dot(self.x, self.W) + self.b",
                             "return np.dot(self.x, self.W.reshape(self.W.shape[::-1]).T) + self.b")
    failing = _failures(run(get("Affine"), "torch", "float64", load_implementation(folder)), "forward")
    assert failing and "Affine" in failing[0].message


def test_missing_component_is_reported_not_raised():
    impl = faulty("no-tanh", layers__Tanh=None)
    records = run(get("Tanh"), "torch", "float64", impl)
    assert records and all(r.status == "missing" and "layers.Tanh" in r.message for r in records)


def test_implementation_that_raises_is_an_error_record_naming_the_component():
    class Broken(rl.Affine):
        def backward(self, dout):
            raise RuntimeError("boom")

    records = run(get("Affine"), "torch", "float64", faulty("broken", layers__Affine=Broken))
    assert records and all(r.status == "error" for r in records)
    assert "Affine" in records[0].message and "boom" in records[0].message
