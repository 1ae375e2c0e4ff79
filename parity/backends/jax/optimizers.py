"""optax optimizers configured to the book's ``common/optimizer.py`` semantics, and their state
read back in the book's terms.

    tx = make_optimizer("Adam", lr=0.001, dtype="float64")
    state = tx.init(params)                               # params: a pytree (dict) of arrays
    updates, state = tx.update(grads, state, params)
    params = optax.apply_updates(params, updates)         # = the book's Adam().update(params, grads)
    book_state("Adam", state, "W1")                       # {"m": ..., "v": ...}

Book name -> optax (hyper-parameters in the book's names: lr, momentum, decay_rate, beta1, beta2):

| book | optax | |
|---|---|---|
| SGD(lr=0.01) | sgd(lr) | W + (-lr*g): the same number as W - lr*g |
| Momentum(lr, momentum=0.9) | sgd(lr, momentum) | trace t = g + m*t; W += -lr*t: the book's v = -lr*t |
| Nesterov(lr, momentum=0.9) | sgd(lr, momentum, nesterov=True) | W += -lr*(g + m*t_new) = m*m*v - (1+m)*lr*g: the book's corrected order |
| AdaGrad(lr=0.01) | adagrad(lr, initial_accumulator_value=0, eps=1e-14) | defaults: accumulator 0.1, eps 1e-7 INSIDE the sqrt (residual) |
| RMSprop(lr=0.01, decay_rate=0.99) | rmsprop(lr, decay, eps=1e-7, eps_in_sqrt=False) | defaults: decay 0.9, eps 1e-8 inside the sqrt |
| Adam(lr=0.001, beta1, beta2) | inject_hyperparams(adam)(lr, b1, b2, eps=1e-7/sqrt(1-b2^t)) | optax adds eps to the bias-corrected sqrt(v_hat) |

Why each configuration:
- AdaGrad: ``scale_by_rss`` divides by sqrt(h + eps) (and gives 0 where h = 0); the book by
  sqrt(h) + 1e-7. eps = 1e-14 = (1e-7)^2 makes them agree at h = 0 and where h >> 1e-14, not
  between (gradient elements near 1e-7): no constant removes that, and no optax primitive sums
  squares with the epsilon outside the root. A residual, measured by the catalogue.
- Adam: optax computes m_hat / (sqrt(v_hat + eps_root) + eps) with m_hat = m / (1 - b1^t),
  v_hat = v / (1 - b2^t). Multiplying by sqrt(1 - b2^t) / sqrt(1 - b2^t) shows it equals the
  book's lr_t * m / (sqrt(v) + 1e-7) when eps = 1e-7 / sqrt(1 - b2^t) and eps_root = 0, so eps
  is a schedule of the step count (``optax.inject_hyperparams``; the first update has count 0,
  i.e. the book's t = 1). A constant eps = 1e-7 is off by up to the factor 1 / sqrt(1 - b2) ~ 32
  in the first steps on gradient elements near 1e-7 (see the catalogue).
- Weight decay (``weight_decay_lambda``): ``optax.add_decayed_weights(lambda, mask)`` chained
  BEFORE the rule adds lambda * W to the gradient (coupled L2), the book's MultiLayerNet
  ``grad = dW + lambda * W``; ``no_decay`` names the leaves it leaves out (biases).
  (``optax.adamw`` is decoupled: W -= lr * lambda * W outside the adaptive step, not the book.)

Precision: hyper-parameters are Python floats (weakly typed: applied in the parameters' dtype,
as NumPy applies the book's), except Adam's injected epsilon, computed in float64 and held in
``dtype``; ``stored_dtypes`` reports what the state holds.

State, book <- optax (``book_state``): Momentum / Nesterov ``v = -lr * trace``; AdaGrad
``h = sum_of_squares``; RMSprop ``h = nu``; Adam ``m = mu``, ``v = nu`` (uncorrected, as the book's).
"""
import numpy as np

from parity import book
from parity.backends.jax import configure

jax = configure()
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

BOOK_EPS = book.EPS
BOOK_OPTIMIZERS = book.OPTIMIZERS
# Inside the sqrt: sqrt(h + 1e-14) = 1e-7 = sqrt(h) + 1e-7 at h = 0 (the closest a constant gets).
INSIDE_SQRT_EPS = BOOK_EPS ** 2


def book_hyper(name, hyper):
    """The book's hyper-parameters for ``name``: ``hyper`` over the book's defaults (unknown names raise)."""
    return book.optimizer_hyper(name, hyper, "jax optimizer")


def book_adam_eps(beta2, dtype=None):
    """The schedule count -> 1e-7 / sqrt(1 - beta2^(count + 1)) (count 0 is the book's t = 1),
    computed in float64 (as the book's Python floats) and cast to ``dtype`` once (None: left to
    optax, which casts it to the parameters' dtype)."""
    def eps(count):
        value = BOOK_EPS / jnp.sqrt(1.0 - beta2 ** (jnp.asarray(count, jnp.float64) + 1.0))
        return value if dtype is None else value.astype(jnp.dtype(dtype))
    return eps


def decay_mask(no_decay):
    """params -> pytree of bools: True where weight decay applies, False for a leaf with any key
    on its path in ``no_decay`` (e.g. {"b1", "b2"} in a flat dict, or "bias" in an NNX state)."""
    skip = {str(k) for k in no_decay}

    def mask(params):
        def keep(path, _):
            keys = {str(getattr(p, "key", getattr(p, "name", getattr(p, "idx", p)))) for p in path}
            return not (keys & skip)
        return jax.tree_util.tree_map_with_path(keep, params)
    return mask


def make_optimizer(name, weight_decay_lambda=0.0, no_decay=(), dtype=None, optax_kwargs=None, adam_eps="book_schedule",
                   weight_decay="coupled", **hyper):
    """An optax GradientTransformation whose update is the book's ``<name>().update``.

    name: "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop" or "Adam" (the book's classes).
    weight_decay_lambda: the book's MultiLayerNet lambda: the gradient becomes g + lambda * W
        (``add_decayed_weights`` before the rule); ``no_decay``: leaf keys it does not apply to.
    dtype: the parameters' dtype; Adam's per-step epsilon is held in it (None: the highest
        dtype of the parameters, optax's choice).
    hyper: the book's constructor arguments; missing ones take the book's defaults.
    The catalogue's configurations (optax's own defaults, measured by ``parity.catalogue``):
    ``optax_kwargs`` override the constructor's keyword arguments (``{"eps": 1e-8,
    "eps_in_sqrt": True}``; a value None: optax's default); ``adam_eps="constant"``: ``optax.adam``
    with a constant eps (optax's default 1e-8); ``weight_decay="decoupled"``: ``optax.adamw``
    (W -= lr * lambda * W outside the adaptive step).
    """
    h = book_hyper(name, hyper)
    lr = float(h["lr"])
    if weight_decay not in ("coupled", "decoupled"):
        raise ValueError(f"optax {name}: weight_decay must be 'coupled' or 'decoupled', got {weight_decay!r}")
    if weight_decay == "decoupled" and name != "Adam":
        raise ValueError(f"optax {name}: weight_decay='decoupled' (decoupled decay is optax.adamw only)")
    if name == "SGD":
        make, kwargs = optax.sgd, {}
    elif name in ("Momentum", "Nesterov"):
        make, kwargs = optax.sgd, {"momentum": float(h["momentum"]), "nesterov": name == "Nesterov"}
    elif name == "AdaGrad":
        make, kwargs = optax.adagrad, {"initial_accumulator_value": 0.0, "eps": INSIDE_SQRT_EPS}
    elif name == "RMSprop":
        make, kwargs = optax.rmsprop, {"decay": float(h["decay_rate"]), "eps": BOOK_EPS, "initial_scale": 0.0,
                                       "eps_in_sqrt": False, "centered": False, "momentum": None}
    else:
        if adam_eps not in ("book_schedule", "constant"):
            raise ValueError(f"optax Adam: adam_eps must be 'book_schedule' or 'constant', got {adam_eps!r}")
        # NOTE: only eps is injected (a schedule); lr, b1, b2 stay Python floats. Injected, they
        # would be cast to the parameters' dtype FIRST and 1 - b2 computed there: in float32
        # 1 - float32(0.999) is 9.9998713e-4, not the book's float32(1 - 0.999) (measured: v off by
        # 5e-3 absolute, 5e-7 relative, at the trajectory's large step).
        b2 = float(h["beta2"])
        base = optax.adamw if weight_decay == "decoupled" else optax.adam
        kwargs = {"b1": float(h["beta1"]), "b2": b2, "eps_root": 0.0}
        if weight_decay == "decoupled":
            kwargs.update(weight_decay=float(weight_decay_lambda), mask=decay_mask(no_decay))
        if adam_eps == "constant":
            make = base
        else:
            static = ("learning_rate", "b1", "b2", "eps_root") + (("mask", "weight_decay") if weight_decay == "decoupled"
                                                                  else ())
            make = optax.inject_hyperparams(base, static_args=static)
            kwargs["eps"] = book_adam_eps(b2, dtype)
    for key, value in (optax_kwargs or {}).items():
        if value is None:
            kwargs.pop(key, None)  # optax's own default
        else:
            kwargs[key] = value
    tx = make(learning_rate=lr, **kwargs)
    if weight_decay_lambda and weight_decay == "coupled":
        tx = optax.chain(optax.add_decayed_weights(float(weight_decay_lambda), mask=decay_mask(no_decay)), tx)
    return tx


# The book's state attribute -> (optax state field, factor: "neg_lr" for v = -lr * trace).
STATE = {
    "SGD": {},
    "Momentum": {"v": ("trace", "neg_lr")},
    "Nesterov": {"v": ("trace", "neg_lr")},
    "AdaGrad": {"h": ("sum_of_squares", None)},
    "RMSprop": {"h": ("nu", None)},
    "Adam": {"m": ("mu", None), "v": ("nu", None)},
}


def book_state(name, opt_state, key, lr=None):
    """{book state name: NumPy array} of leaf ``key`` (a top-level key of the params dict).

    Momentum / Nesterov: v = -lr * trace (lr: the book's default where not given)."""
    out = {}
    for book, (field, factor) in STATE[name].items():
        value = np.array(optax.tree.get(opt_state, field)[key], copy=True)
        if factor == "neg_lr":
            value = -(book.optimizer_defaults(name)["lr"] if lr is None else lr) * value
        out[book] = value
    return out


def stored_dtypes(opt_state):
    """{path: dtype} of every floating array the optimizer state holds (counters left out:
    optax's int32 step count enters the bias corrections as an exact integer)."""
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(opt_state)[0]:
        if hasattr(leaf, "dtype") and jnp.issubdtype(leaf.dtype, jnp.floating):
            out[jax.tree_util.keystr(path)] = str(leaf.dtype)
    return out


__all__ = ["BOOK_OPTIMIZERS", "book_adam_eps", "book_hyper", "book_state", "decay_mask", "make_optimizer",
           "stored_dtypes"]


def drive(row, params0, grads, dtype, device="cpu", **config):
    """The optimizer check's optax side (``parity.runners.optimizers``): see ``optimizer_driver``;
    config: ``make_optimizer``'s catalogue arguments (optax_kwargs, adam_eps, weight_decay)."""
    from parity.backends.jax.optimizer_driver import drive_jax

    return drive_jax(row, params0, grads, dtype, device, **config)
