"""Registry rows: optimizers of the book API (see parity.registry.spec.Component).

The runner (``parity.runners.optimizers``) builds the implementation's optimizer as
``cls(**config["hyper"])`` and the framework's with ``parity.backends.<fw>.optimizers.make_optimizer(
row.torch / row.keras, ..., **config["hyper"])`` (the builder field is the book's class name that
``make_optimizer`` takes), runs both over the same 24 given gradients and compares the parameters
and the state named in ``config["state"]`` (the book's attributes: Momentum v, AdaGrad/RMSprop h,
Adam m, v) after every step.

Weight-decay rows (``config["weight_decay_lambda"]``): the implementation is handed g + lambda * W
(the book's MultiLayerNet gradient; biases undecayed), the framework g and its own weight-decay
option: torch's ``weight_decay`` is that coupled form; Keras' ``weight_decay`` is decoupled
(W -= lr * lambda * W, AdamW-like), the same number only for plain SGD, so the Keras driver adds
lambda * W to the gradient itself (the catalogue measures Keras' own forms: adamw-decoupled, keras-l2-factor).

Tolerances: ``reduction=STEPS``: every compared number is the end of a chain of up to 24 updates,
each adding a rounding error, so the table's rtol / atol grow like sqrt(24) ~ 4.9 (random walk).
"""
from parity.runners.optimizers import STEPS
from parity.registry.spec import Component, Tol, with_known  # noqa: F401

_CASES = ("trajectory-24",)

# Known differences come from the table of known differences (parity.catalogue.table): Keras
# Adagrad / RMSprop and optax.adagrad divide by sqrt(h + eps), the book by sqrt(h) + 1e-7 (rows
# adagrad-defaults, rmsprop-defaults).
ROWS = (
    Component(
        name="SGD", kind="optimizer", reference="optimizer.SGD", builder="SGD",
        cases=_CASES, checks=("params", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01}},
        note="W -= lr * g: torch SGD(lr=0.01) (its default lr is 1e-3); keras SGD(0.01)",
    ),
    Component(
        name="Momentum", kind="optimizer", reference="optimizer.Momentum", builder="Momentum",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01, "momentum": 0.9}, "state": ("v",)},
        note="v = m*v - lr*g; W += v: torch SGD(momentum, dampening=0) keeps b with v = -lr*b; "
             "keras SGD(momentum) keeps v itself",
    ),
    Component(
        name="Nesterov", kind="optimizer", reference="optimizer.Nesterov", builder="Nesterov",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01, "momentum": 0.9}, "state": ("v",)},
        note="the book's corrected order W += m*m*v - (1+m)*lr*g, then v = m*v - lr*g: torch "
             "SGD(nesterov=True) (v = -lr*b), keras SGD(nesterov=True)",
    ),
    Component(
        name="AdaGrad", kind="optimizer", reference="optimizer.AdaGrad", builder="AdaGrad",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01}, "state": ("h",)},
        note="h += g*g; W -= lr*g/(sqrt(h)+1e-7): torch Adagrad(eps=1e-7, initial_accumulator_value=0); "
             "keras Adagrad(initial_accumulator_value=0, epsilon=1e-14) with eps inside the sqrt",
    ),
    Component(
        name="RMSprop", kind="optimizer", reference="optimizer.RMSprop", builder="RMSprop",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01, "decay_rate": 0.99}, "state": ("h",)},
        note="h = d*h + (1-d)*g*g; W -= lr*g/(sqrt(h)+1e-7): torch RMSprop(alpha=0.99, eps=1e-7); "
             "keras RMSprop(rho=0.99, epsilon=1e-14) with eps inside the sqrt",
    ),
    Component(
        name="Adam", kind="optimizer", reference="optimizer.Adam", builder="Adam",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}, "state": ("m", "v")},
        note="lr_t = lr*sqrt(1-b2^t)/(1-b1^t); W -= lr_t*m/(sqrt(v)+1e-7): torch Adam with eps set to "
             "1e-7/sqrt(1-b2^t) before step t (BookAdam); keras Adam(epsilon=1e-7) is the book's form",
    ),
    Component(
        name="SGD-weight-decay", kind="optimizer", reference="optimizer.SGD", builder="SGD",
        cases=_CASES, checks=("params", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.01}, "weight_decay_lambda": 0.1},
        note="the book's MultiLayerNet gives g + lambda*W (weights only): torch SGD(weight_decay) adds "
             "it to the gradient; keras' decoupled weight_decay (W -= lr*lambda*W) is the same number for SGD",
    ),
    Component(
        name="Adam-weight-decay", kind="optimizer", reference="optimizer.Adam", builder="Adam",
        cases=_CASES, checks=("params", "state", "dtype"), reduction=STEPS,
        config={"hyper": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}, "state": ("m", "v"),
                "weight_decay_lambda": 0.1},
        note="g + lambda*W into Adam (weights only): torch Adam(weight_decay) is that coupled L2; keras: "
             "lambda*W added to the gradient (its weight_decay is decoupled, AdamW: catalogue adamw-decoupled); "
             "optax: add_decayed_weights before adam",
    ),
)

ROWS = with_known(ROWS)  # known differences: parity.catalogue.table
