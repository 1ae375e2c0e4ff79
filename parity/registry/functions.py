"""Registry rows: functions of the book API (see parity.registry.spec.Component).

Protocol "function": ``f(*inputs, *constants)`` compared with the framework's expression of the
same formula. Where the book has a gradient function (``sigmoid_grad``), the "dx" check compares
it with the framework's autodiff of the function (upstream gradient of ones).
"""
import math

from parity.registry.spec import Component, Tol, with_known  # noqa: F401


def _last_axis(case):
    return case.arrays["x"].shape[-1]  # softmax sums over the last axis


def _size(case):
    return math.prod(case.arrays["y"].shape)  # the losses sum over every element


_FN = ("fn-random", "fn-large")

ROWS = (
    Component(
        name="softmax", kind="function", reference="functions.softmax", builder="softmax",
        cases=("softmax-2d", "softmax-1d", "softmax-saturated"), checks=("forward",),
        reduction=_last_axis, config={"protocol": "function", "inputs": ("x",)},
        note="max-shifted in the book; torch.softmax / keras.ops.softmax stay finite at +-1000 too",
    ),
    Component(
        name="cross_entropy_error", kind="function", reference="functions.cross_entropy_error",
        builder="cross_entropy_error",
        cases=("ce-onehot", "ce-labels", "ce-saturated", "ce-1d-onehot"), checks=("forward",),
        reduction=_size, config={"protocol": "function", "inputs": ("y",), "constants": ("t",)},
        note="-sum(log(y_t + 1e-7)) / N written in framework ops (the frameworks' own losses clip or "
             "drop the 1e-7: see the catalogue of differences)",
    ),
    Component(
        name="sum_squared_error", kind="function", reference="functions.sum_squared_error",
        builder="sum_squared_error",
        cases=("sse-2d", "sse-1d"), checks=("forward",), reduction=_size,
        config={"protocol": "function", "inputs": ("y", "t")},
        note="0.5 * sum((y - t)^2): torch 0.5 * mse_loss(reduction='sum'), keras 0.5 * ops.sum(ops.square)",
    ),
    Component(
        name="sigmoid", kind="function", reference="functions.sigmoid", builder="sigmoid",
        cases=_FN, checks=("forward", "dx"),
        config={"protocol": "function", "inputs": ("x",), "grad": "functions.sigmoid_grad"},
        note="dx: the book's sigmoid_grad against autodiff of the framework's sigmoid",
    ),
    Component(
        name="relu", kind="function", reference="functions.relu", builder="relu",
        cases=(*_FN, "fn-zeros"), checks=("forward",),
        config={"protocol": "function", "inputs": ("x",)},
        note="the book's relu_grad says 1 at x = 0 (its Relu layer says 0, as torch and keras): not compared here",
    ),
    Component(
        name="tanh", kind="function", reference="functions.tanh", builder="tanh",
        cases=_FN, checks=("forward",), config={"protocol": "function", "inputs": ("x",)},
    ),
    Component(
        name="identity_function", kind="function", reference="functions.identity_function",
        builder="identity_function",
        cases=("fn-random",), checks=("forward",), config={"protocol": "function", "inputs": ("x",)},
    ),
)

ROWS = with_known(ROWS)  # known differences: parity.catalogue.table
