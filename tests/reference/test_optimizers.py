"""Every optimizer against its closed form (DESIGN.md), written here independently in plain Python
floats, element by element, over several steps; Nesterov also against PyTorch's recurrence; dtypes."""
import math

import numpy as np
import pytest

from reference.optimizer import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop

STEPS = 6


def sgd(lr):
    def step(w, g, s):
        return w - lr * g
    return step


def momentum(lr, m):
    def step(w, g, s):
        s["v"] = m * s.get("v", 0.0) - lr * g
        return w + s["v"]
    return step


def nesterov(lr, m):
    """The book's corrected ordering: W += m*m*v - (1+m)*lr*g, then v = m*v - lr*g."""
    def step(w, g, s):
        v = s.get("v", 0.0)
        w = w + m * m * v
        w = w - (1 + m) * lr * g
        s["v"] = m * v - lr * g
        return w
    return step


def nesterov_torch_form(lr, m):
    """PyTorch SGD(momentum=m, nesterov=True, dampening=0): b = m*b + g; W -= lr*(g + m*b)."""
    def step(w, g, s):
        s["b"] = m * s["b"] + g if "b" in s else g
        return w - lr * (g + m * s["b"])
    return step


def adagrad(lr):
    def step(w, g, s):
        s["h"] = s.get("h", 0.0) + g * g
        return w - lr * g / (math.sqrt(s["h"]) + 1e-7)
    return step


def rmsprop(lr, d):
    def step(w, g, s):
        s["h"] = d * s.get("h", 0.0) + (1 - d) * g * g
        return w - lr * g / (math.sqrt(s["h"]) + 1e-7)
    return step


def adam(lr, b1, b2):
    """Bias correction folded into the step: lr_t = lr*sqrt(1-b2^t)/(1-b1^t), eps 1e-7 outside sqrt."""
    def step(w, g, s):
        s["t"] = s.get("t", 0) + 1
        lr_t = lr * math.sqrt(1.0 - b2 ** s["t"]) / (1.0 - b1 ** s["t"])
        s["m"] = s.get("m", 0.0) + (1 - b1) * (g - s.get("m", 0.0))
        s["v"] = s.get("v", 0.0) + (1 - b2) * (g * g - s.get("v", 0.0))
        return w - lr_t * s["m"] / (math.sqrt(s["v"]) + 1e-7)
    return step


CASES = {
    "SGD": (lambda: SGD(lr=0.1), sgd(0.1)),
    "Momentum": (lambda: Momentum(lr=0.1, momentum=0.8), momentum(0.1, 0.8)),
    "Nesterov": (lambda: Nesterov(lr=0.1, momentum=0.8), nesterov(0.1, 0.8)),
    "AdaGrad": (lambda: AdaGrad(lr=0.1), adagrad(0.1)),
    "RMSprop": (lambda: RMSprop(lr=0.05), rmsprop(0.05, 0.99)),
    "RMSprop-decay0.9": (lambda: RMSprop(lr=0.05, decay_rate=0.9), rmsprop(0.05, 0.9)),
    "Adam": (lambda: Adam(), adam(0.001, 0.9, 0.999)),
    "Adam-lr0.1-b0.5-0.8": (lambda: Adam(lr=0.1, beta1=0.5, beta2=0.8), adam(0.1, 0.5, 0.8)),
}

# Tolerances (relative to max |W|). float64: the same formula evaluated by NumPy instead of
# Python floats; the operations and their order are the same, so agreement is to a few ulps.
# float32: the optimizer runs in float32 (about 10 rounded operations per step, each <= 6e-8
# relative, compounding over STEPS steps), the closed form in float64 on the same float32 inputs.
RTOL = {np.float64: 1e-13, np.float32: 2e-6}


def initial(dtype, seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.standard_normal((2, 3)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)}
    grads = [{k: rng.standard_normal(v.shape).astype(dtype) for k, v in params.items()} for _ in range(STEPS)]
    return params, grads


def closed_form_trajectory(step, params, grads):
    """[{key: float64 array after step s}] by running ``step`` on each element in Python floats."""
    trajectory = []
    current = {k: [float(w) for w in v.ravel()] for k, v in params.items()}
    states = {k: [{} for _ in v.ravel()] for k, v in params.items()}
    for g in grads:
        for key in params:
            current[key] = [step(w, float(gi), s) for w, gi, s in zip(current[key], g[key].ravel(), states[key])]
        trajectory.append({k: np.array(current[k]).reshape(params[k].shape) for k in params})
    return trajectory


def optimizer_trajectory(optimizer, params, grads):
    """[{key: copy of params after step s}], checking that update changes the arrays in place."""
    params = {k: v.copy() for k, v in params.items()}
    arrays = dict(params)
    trajectory = []
    for g in grads:
        optimizer.update(params, g)
        assert all(params[k] is arrays[k] for k in params), "update replaced a parameter array"
        trajectory.append({k: v.copy() for k, v in params.items()})
    return trajectory


def max_relative_deviation(actual, expected):
    """max over steps and keys of max|a - e| / max|e|."""
    return max(float(np.max(np.abs(a[k].astype(np.float64) - e[k])) / np.max(np.abs(e[k])))
               for a, e in zip(actual, expected) for k in e)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES), ids=lambda n: f"{n}-closed-form")
def test_optimizer_follows_closed_form(name, dtype):
    make, step = CASES[name]
    params, grads = initial(dtype)
    actual = optimizer_trajectory(make(), params, grads)
    expected = closed_form_trajectory(step, params, grads)
    deviation = max_relative_deviation(actual, expected)
    assert deviation < RTOL[dtype], f"{name} {np.dtype(dtype)}: deviates by {deviation:.2e} from its closed form"


@pytest.mark.parametrize("name", sorted(CASES), ids=lambda n: f"{n}-float32-keeps-dtype")
def test_optimizer_keeps_float32(name):
    optimizer = CASES[name][0]()
    params, grads = initial(np.float32)
    for g in grads:
        optimizer.update(params, g)
    assert {k: v.dtype for k, v in params.items()} == {"W": np.float32, "b": np.float32}
    for state in ("v", "h", "m"):
        for key, value in (getattr(optimizer, state, None) or {}).items():
            assert value.dtype == np.float32, f"{name}.{state}[{key}] is {value.dtype}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_nesterov_equals_pytorch_recurrence(dtype):
    """v = -lr*b turns the book's corrected Nesterov into PyTorch's nesterov=True exactly."""
    params, grads = initial(dtype, seed=1)
    actual = optimizer_trajectory(Nesterov(lr=0.1, momentum=0.9), params, grads)
    expected = closed_form_trajectory(nesterov_torch_form(0.1, 0.9), params, grads)
    # float64: algebraically equal recurrences, different operations, so agreement to rounding.
    rtol = {np.float64: 1e-13, np.float32: 2e-6}[dtype]
    assert max_relative_deviation(actual, expected) < rtol


class _MomentumStaleVelocity(Momentum):
    """Fault: W moves by the previous step's velocity (update order swapped)."""
    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        for k in params:
            params[k] += self.v[k]
            self.v[k] = self.momentum * self.v[k] - self.lr * grads[k]


class _AdamUncorrected(Adam):
    """Fault: no bias correction (lr_t = lr)."""
    def update(self, params, grads):
        self.iter = 10**6
        super().update(params, grads)


class _NesterovPlainMomentum(Nesterov):
    """Fault: Nesterov that is plain momentum."""
    update = Momentum.update


PLANTED = {
    "Momentum-stale-velocity": ("Momentum", lambda: _MomentumStaleVelocity(lr=0.1, momentum=0.8)),
    "Adam-no-bias-correction": ("Adam", lambda: _AdamUncorrected()),
    "Nesterov-as-plain-momentum": ("Nesterov", lambda: _NesterovPlainMomentum(lr=0.1, momentum=0.8)),
}


@pytest.mark.parametrize("fault", sorted(PLANTED), ids=lambda f: f"{f}-planted-fault")
def test_planted_optimizer_fault_is_caught(fault):
    name, make_faulty = PLANTED[fault]
    params, grads = initial(np.float64)
    deviation = max_relative_deviation(optimizer_trajectory(make_faulty(), params, grads),
                                       closed_form_trajectory(CASES[name][1], params, grads))
    assert deviation > 1e3 * RTOL[np.float64], f"{fault}: deviation only {deviation:.2e}"
