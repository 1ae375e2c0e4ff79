"""Every kind of optimizer check catches a planted fault and names the step where it first shows.

Each fault is a COPY of the reference (a package assembled from the reference's modules with one
optimizer class replaced, loaded through ``parity.impl.load_implementation``). The checks run
against torch, float64. Faults that show only on the all-zero step or the large step of the
trajectory must be reported at exactly that step; a fault in the state alone (parameters still
right) must fail "state" and pass "params". Framework-side faults (a Keras optimizer built with
float32 learning rate, a torch optimizer that drops the weight decay) are planted by replacing
the backend's ``make_optimizer`` for one test.
"""
import math
import types

import numpy as np
import pytest

import reference
from reference import optimizer as ro
from parity.runners.optimizers import LARGE_STEP, STEPS, ZERO_STEP, run
from parity.impl import load_implementation
from parity.registry import get

pytest.importorskip("torch", reason="the planted faults are detected against torch")


def faulty(name, **replace):
    """The reference with ``replace`` ({"Adam": cls}) swapped into its optimizer module."""
    pkg = types.ModuleType(f"faulty_opt_{name}")
    for modname in ("layers", "functions", "gradient", "util", "optimizer"):
        mod = types.ModuleType(f"faulty_opt_{name}.{modname}")
        mod.__dict__.update(vars(getattr(reference, modname)))
        setattr(pkg, modname, mod)
    for attr, obj in replace.items():
        setattr(pkg.optimizer, attr, obj)
    return load_implementation(pkg)


# --- the faults ------------------------------------------------------------------------------

class AdamNoBiasCorrection(ro.Adam):
    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        for k in params:
            self.m[k] += (1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += (1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= self.lr * self.m[k] / (np.sqrt(self.v[k]) + 1e-7)


class AdamEpsInsideSqrt(ro.Adam):
    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for k in params:
            self.m[k] += (1 - self.beta1) * (grads[k] - self.m[k])
            self.v[k] += (1 - self.beta2) * (grads[k] ** 2 - self.v[k])
            params[k] -= lr_t * self.m[k] / np.sqrt(self.v[k] + 1e-14)


class AdamClipsLargeGradients(ro.Adam):
    def update(self, params, grads):
        super().update(params, {k: np.clip(g, -100.0, 100.0) for k, g in grads.items()})


class NesterovUncorrected(ro.Nesterov):
    """The book's first printing: v updated first, then used in W += m*m*v - (1+m)*lr*g."""

    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            self.v[k] *= self.momentum
            self.v[k] -= self.lr * grads[k]
            params[k] += self.momentum * self.momentum * self.v[k]
            params[k] -= (1 + self.momentum) * self.lr * grads[k]


class MomentumSignFlippedState(ro.Momentum):
    """v kept with the opposite sign (v = m*v + lr*g; W -= v): the same parameters, other state."""

    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            self.v[k] = self.momentum * self.v[k] + self.lr * grads[k]
            params[k] -= self.v[k]


class MomentumSkipsZeroGradients(ro.Momentum):
    """Returns early on an all-zero gradient: no coasting on v (wrong only at the zero step)."""

    def update(self, params, grads):
        if all(not np.any(g) for g in grads.values()):
            return
        super().update(params, grads)


class RMSpropDecay09(ro.RMSprop):
    def __init__(self, lr=0.01, decay_rate=0.99):
        super().__init__(lr, 0.9)


class AdaGradEps1e8(ro.AdaGrad):
    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            self.h[k] += grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / (np.sqrt(self.h[k]) + 1e-8)


class SGDHalfLr(ro.SGD):
    def __init__(self, lr=0.01):
        super().__init__(lr / 2)


FAULTS = [
    # (id, component, replacement, {failing check: first failing step}); other checks must pass.
    # Gradients are given, so the state goes wrong only where the state rule is wrong, except with
    # weight decay, where g + lambda*W carries the parameters' error into the state one step later.
    ("adam-no-bias-correction", "Adam", {"Adam": AdamNoBiasCorrection}, {"params": 1}),
    ("adam-eps-inside-sqrt", "Adam", {"Adam": AdamEpsInsideSqrt}, {"params": 1}),
    ("adam-clips-large", "Adam", {"Adam": AdamClipsLargeGradients}, {"params": LARGE_STEP, "state": LARGE_STEP}),
    ("nesterov-uncorrected", "Nesterov", {"Nesterov": NesterovUncorrected}, {"params": 1}),
    ("momentum-state-sign", "Momentum", {"Momentum": MomentumSignFlippedState}, {"state": 1}),
    ("momentum-skips-zero-step", "Momentum", {"Momentum": MomentumSkipsZeroGradients},
     {"params": ZERO_STEP, "state": ZERO_STEP}),
    ("rmsprop-decay-0.9", "RMSprop", {"RMSprop": RMSpropDecay09}, {"params": 1, "state": 1}),
    ("adagrad-eps-1e-8", "AdaGrad", {"AdaGrad": AdaGradEps1e8}, {"params": 1}),
    ("sgd-half-lr", "SGD", {"SGD": SGDHalfLr}, {"params": 1}),
    ("adam-weight-decay-no-bias-correction", "Adam-weight-decay", {"Adam": AdamNoBiasCorrection},
     {"params": 1, "state": 2}),
]


@pytest.mark.parametrize("fault_id, component, replace, failing", FAULTS, ids=[f[0] for f in FAULTS])
def test_planted_fault_is_caught_at_its_step(fault_id, component, replace, failing):
    row = get(component)
    clean = run(row, "torch", "float64", "reference")
    assert clean and all(r.status == "pass" for r in clean), "the clean reference must pass first"
    records = {r.check: r for r in run(row, "torch", "float64", faulty(fault_id, **replace))}
    for check in row.checks:
        rec = records[check]
        if check in failing:
            step = failing[check]
            assert rec.status == "fail", f"{fault_id}: {check} not caught: {rec.message}"
            assert rec.case == f"step-{step:02d}", rec.message
            assert f"first mismatch at step {step} of {STEPS}" in rec.message and component in rec.message
        else:
            assert rec.status == "pass", f"{fault_id}: {check} should still agree: {rec.message}"


def test_float32_fault_is_caught_too():
    records = run(get("RMSprop"), "torch", "float32", faulty("rms32", RMSprop=RMSpropDecay09))
    (params,) = [r for r in records if r.check == "params"]
    assert params.status == "fail" and params.case == "step-01"
    assert params.err_vs_float64 > 100 * params.ref_rounding  # not float32 rounding


def test_missing_optimizer_is_reported_not_raised():
    records = run(get("Adam"), "torch", "float64", faulty("no-adam", Adam=None))
    assert records and all(r.status == "missing" and "optimizer.Adam" in r.message for r in records)


def test_optimizer_that_raises_is_an_error_record_naming_the_step():
    class Broken(ro.Adam):
        def update(self, params, grads):
            if self.iter == 3:
                raise RuntimeError("boom")
            super().update(params, grads)

    records = run(get("Adam"), "torch", "float64", faulty("broken", Adam=Broken))
    assert records and all(r.status == "error" for r in records)
    assert "boom" in records[0].message and "step 4" in records[0].message and "Adam" in records[0].message


def test_optimizer_without_the_books_state_is_an_error():
    class NoState(ro.Momentum):
        """Right numbers, but the velocity kept as .velocity instead of the book's .v."""

        def update(self, params, grads):
            self.v = getattr(self, "velocity", None)
            super().update(params, grads)
            self.velocity, self.v = self.v, None

    records = run(get("Momentum"), "torch", "float64", faulty("nostate", Momentum=NoState))
    assert records and all(r.status == "error" for r in records)
    assert ".v is not a dict" in records[0].message


def test_torch_optimizer_that_drops_weight_decay_is_caught(monkeypatch):
    from parity.backends.torch import optimizers as backend

    real = backend.make_optimizer
    monkeypatch.setattr(backend, "make_optimizer",
                        lambda name, parameters, weight_decay_lambda=0.0, no_decay=(), **h: real(name, parameters, **h))
    (rec,) = [r for r in run(get("SGD-weight-decay"), "torch", "float64") if r.check == "params"]
    assert rec.status == "fail" and rec.case == "step-01" and "W1" in rec.message


def test_torch_optimizer_that_decays_biases_too_is_caught(monkeypatch):
    from parity.backends.torch import optimizers as backend

    real = backend.make_optimizer
    monkeypatch.setattr(backend, "make_optimizer",
                        lambda name, parameters, weight_decay_lambda=0.0, no_decay=(), **h:
                        real(name, parameters, weight_decay_lambda=weight_decay_lambda, **h))
    (rec,) = [r for r in run(get("Adam-weight-decay"), "torch", "float64") if r.check == "params"]
    assert rec.status == "fail" and rec.case == "step-01" and "(b1)" in rec.message


@pytest.mark.keras
def test_keras_optimizer_with_float32_learning_rate_is_caught(monkeypatch):
    pytest.importorskip("keras")
    from parity.backends.keras import optimizers as backend

    real = backend.make_optimizer
    monkeypatch.setattr(backend, "make_optimizer", lambda name, dtype=None, **kw: real(name, dtype="float32", **kw))
    records = {r.check: r for r in run(get("Momentum"), "keras", "float64")}
    assert records["dtype"].status == "fail" and "learning_rate" in records["dtype"].message
    assert records["params"].status == "fail" and records["params"].case == "step-01"
