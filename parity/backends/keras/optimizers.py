"""Keras 3 optimizers configured to the book's ``common/optimizer.py`` semantics (tensorflow or
torch backend), and their state read back in the book's terms.

    opt = make_optimizer("Adam", lr=0.001, dtype="float64")
    with floatx("float64"):
        opt.apply([g_w, g_b], [w, b])                   # = the book's Adam().update(params, grads)
    book_state("Adam", opt, w)                          # {"m": ..., "v": ...}

Book name -> Keras (hyper-parameters in the book's names: lr, momentum, decay_rate, beta1, beta2,
weight_decay_lambda):

| book | keras | |
|---|---|---|
| SGD(lr=0.01) | SGD(learning_rate) | same formula |
| Momentum(lr, momentum=0.9) | SGD(learning_rate, momentum) | m = mom*m - lr*g; W += m: the book's v, same sign |
| Nesterov(lr, momentum=0.9) | SGD(learning_rate, momentum, nesterov=True) | m = mom*m - lr*g; W += mom*m - lr*g = the book's corrected order |
| AdaGrad(lr=0.01) | Adagrad(learning_rate, initial_accumulator_value=0, epsilon=1e-14) | defaults lr 1e-3 and accumulator 0.1; eps INSIDE the sqrt (residual) |
| RMSprop(lr=0.01, decay_rate=0.99) | RMSprop(learning_rate, rho=decay_rate, epsilon=1e-14) | defaults lr 1e-3, rho 0.9; eps INSIDE the sqrt (residual) |
| Adam(lr=0.001, beta1, beta2) | Adam(learning_rate, beta_1, beta_2, epsilon=1e-7) | the book's form (eps on the uncorrected sqrt(v)) |

Not configurable (the registry rows list them as known differences with their measured size):
- Adagrad / RMSprop divide by sqrt(h + eps), the book by sqrt(h) + 1e-7. eps = 1e-14 = (1e-7)^2
  makes them equal at h = 0 (and negligible for h >> 1e-14); between, e.g. sqrt(h) ~ 1e-7, the
  two denominators differ by up to ~30%.
- ``weight_decay`` is decoupled (AdamW-like): W -= lr * lambda * W before the update rule, not
  lambda * W added to the gradient. For plain SGD the two are the same number
  (W - lr*(g + lambda*W)); for Momentum / Adam they are not.

Precision (float64): Keras builds the learning-rate variable with ``floatx()`` and, on
TensorFlow, turns Python-float hyper-parameters into float32 constants (0.999 -> 0.99900001).
So the optimizer is built with floatx set to the dtype under test and the hyper-parameters are
passed as that dtype's NumPy scalars (np.float64); without that a float64 run drifts ~1e-8 from
the book. ``stored_dtypes`` reports what it holds.

State, book <- Keras (``book_state``): Momentum / Nesterov ``v = momentums`` (same sign and
scale); AdaGrad ``h = accumulators``; RMSprop ``h = velocities``; Adam ``m = momentums``,
``v = velocities``.
"""
import numpy as np

from parity import book
from parity.backends.keras import floatx, load_keras

keras = load_keras()
from parity.backends.keras.layers import variable_numpy

BOOK_EPS = book.EPS
BOOK_OPTIMIZERS = book.OPTIMIZERS
# Inside the sqrt: sqrt(h + 1e-14) = 1e-7 = sqrt(h) + 1e-7 at h = 0 (the closest a constant gets).
INSIDE_SQRT_EPS = BOOK_EPS ** 2


def make_optimizer(name, weight_decay_lambda=0.0, no_decay=(), dtype=None, keras_kwargs=None, hyper_scalars="dtype",
                   **hyper):
    """A Keras optimizer whose ``apply(grads, variables)`` is the book's ``<name>().update``.

    name: "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop" or "Adam" (the book's classes).
    weight_decay_lambda: Keras' (decoupled) ``weight_decay``; ``no_decay``: variables it does
        not apply to (the book decays weights only). See the module docstring: equal to the
        book's lambda*W-in-the-gradient for SGD only.
    dtype: the dtype of the variables it will update (None: ``keras.config.floatx()``, as the
        harness sets it while building); the learning rate variable and the hyper-parameters
        are kept in it.
    hyper: the book's constructor arguments; missing ones take the book's defaults.
    The catalogue's configurations (Keras' own defaults, measured): ``keras_kwargs`` override the
    constructor's keyword arguments (``{"epsilon": 1e-7}``; a value None: Keras' default);
    ``hyper_scalars="python"``: hyper-parameters as Python floats (what users write).
    """
    book.optimizer_hyper(name, hyper, "keras optimizer")  # unknown names raise here
    dtype = str(dtype or keras.config.floatx())
    if hyper_scalars not in ("dtype", "python"):
        raise ValueError(f"keras optimizer: hyper_scalars must be 'dtype' or 'python', got {hyper_scalars!r}")
    # NOTE: np.float64 scalars stay float64 on TensorFlow (a Python float becomes float32 first);
    # in float32 a Python float is cast once, as NumPy casts the book's Python floats.
    scalar = np.float64 if dtype == "float64" and hyper_scalars == "dtype" else float
    h = {k: scalar(v) for k, v in book.optimizer_hyper(name, hyper).items()}
    common = {"learning_rate": h["lr"]}
    if weight_decay_lambda:
        # NOTE: the torch backend multiplies weight_decay by the learning-rate Variable directly:
        # an np.float64 there makes NumPy convert the Variable (a deprecated __array__ call); a
        # Python float becomes a floatx() tensor AT APPLY TIME, so apply under floatx(dtype) (the
        # harness' keras runner trains inside it; measured: under float32 a float64 SGD run with
        # lambda drifts 1.5e-11 relative). TensorFlow gets np.float64.
        wd_scalar = scalar if keras.backend.backend() == "tensorflow" else float
        common["weight_decay"] = wd_scalar(weight_decay_lambda)
    if name == "SGD":
        cls, kwargs = "SGD", {}
    elif name in ("Momentum", "Nesterov"):
        cls, kwargs = "SGD", {"momentum": h["momentum"], "nesterov": name == "Nesterov"}
    elif name == "AdaGrad":
        cls, kwargs = "Adagrad", {"initial_accumulator_value": 0.0, "epsilon": scalar(INSIDE_SQRT_EPS)}
    elif name == "RMSprop":
        cls, kwargs = "RMSprop", {"rho": h["decay_rate"], "momentum": 0.0, "epsilon": scalar(INSIDE_SQRT_EPS),
                                  "centered": False}
    else:
        cls, kwargs = "Adam", {"beta_1": h["beta1"], "beta_2": h["beta2"], "epsilon": scalar(BOOK_EPS),
                               "amsgrad": False}
    kwargs.update(common)
    for key, value in (keras_kwargs or {}).items():
        if value is None:
            kwargs.pop(key, None)  # Keras' own default
        else:
            kwargs[key] = value
    with floatx(dtype):
        opt = getattr(keras.optimizers, cls)(**kwargs)
    if weight_decay_lambda and no_decay:
        opt.exclude_from_weight_decay(var_list=list(no_decay))
    return opt


# The book's state attribute -> the Keras optimizer attribute holding one variable per model variable.
STATE = {
    "SGD": {},
    "Momentum": {"v": "momentums"},
    "Nesterov": {"v": "momentums"},
    "AdaGrad": {"h": "_accumulators"},
    "RMSprop": {"h": "_velocities"},
    "Adam": {"m": "_momentums", "v": "_velocities"},
}


def book_state(name, optimizer, variable):
    """{book state name: numpy array} for ``variable`` (same sign and scale as the book's)."""
    index = optimizer._get_variable_index(variable)
    return {book: variable_numpy(getattr(optimizer, attr)[index]) for book, attr in STATE[name].items()}


def stored_dtypes(name, optimizer, variables):
    """{what: dtype name} of the learning rate and each state variable the optimizer holds."""
    out = {"learning_rate": keras.backend.standardize_dtype(optimizer._learning_rate.dtype)}
    for book, attr in STATE[name].items():
        for i, v in enumerate(variables):
            state = getattr(optimizer, attr)[optimizer._get_variable_index(v)]
            out[f"{book}[{i}]"] = keras.backend.standardize_dtype(state.dtype)
    return out


WEIGHT_DECAY_FORMS = ("coupled", "decoupled", "l2")


def _decay_gradients(g, variables, lam, form, l2_factor, dtype):
    """The gradients handed to ``apply`` for the weight-decay form: "coupled" g + lambda * W (the
    book's MultiLayerNet), "l2" g + d/dW of ``keras.regularizers.L2(l2_factor * lambda)(W)`` by the
    backend's autodiff (a Dense layer's kernel_regularizer adds that term to the loss; the book's
    0.5 * lambda * sum(W**2) is l2_factor 0.5), "decoupled" g (the optimizer's weight_decay)."""
    from parity.backends.keras import autodiff
    from parity.backends.keras.layers import tensor

    out = []
    for k, v in variables.items():
        gk = tensor(g[k])
        if lam and book.decayed(k) and form == "coupled":
            gk = gk + tensor(np.asarray(lam, dtype=dtype)) * v.value
        elif lam and book.decayed(k) and form == "l2":
            regularizer = keras.regularizers.L2(l2_factor * lam)
            _, _, (d_w,) = autodiff.vjp(lambda: regularizer(v.value), (), (v,))
            gk = gk + d_w
        out.append(gk)
    return out


def drive(row, params0, grads, dtype, device="cpu", keras_kwargs=None, hyper_scalars="dtype", floatx_dtype=None,
          weight_decay="coupled", l2_factor=0.5):
    """The optimizer check's Keras side (``parity.runners.optimizers``): [(params, state)] after
    each of the given gradients, and the dtypes the Keras optimizer holds.

    The catalogue's configurations: keras_kwargs / hyper_scalars (``make_optimizer``);
    floatx_dtype: ``keras.config.floatx()`` while the optimizer is built and applied (None: the
    dtype under test; Keras' default "float32" keeps the learning rate in float32);
    weight_decay: "coupled" (default: lambda * W in the gradient, the book's), "decoupled"
    (Keras' ``weight_decay=``, AdamW), "l2" (an ``L2(l2_factor * lambda)`` regularizer's gradient)."""
    if weight_decay not in WEIGHT_DECAY_FORMS:
        raise ValueError(f"keras drive: weight_decay must be one of {WEIGHT_DECAY_FORMS}, got {weight_decay!r}")
    name = row.builder
    fx = floatx_dtype or dtype
    variables = {k: keras.Variable(v, dtype=dtype, name=k) for k, v in params0.items()}
    lam = row.config.get("weight_decay_lambda", 0.0)
    with floatx(fx):
        opt = make_optimizer(name, weight_decay_lambda=lam if weight_decay == "decoupled" else 0.0, dtype=fx,
                             no_decay=[v for k, v in variables.items() if not book.decayed(k)],
                             keras_kwargs=keras_kwargs, hyper_scalars=hyper_scalars, **row.config.get("hyper", {}))
    out = []
    for g in grads:
        with floatx(fx):  # as the harness trains (see make_optimizer's weight_decay note)
            opt.apply(_decay_gradients(g, variables, lam, weight_decay, l2_factor, dtype), list(variables.values()))
        params = {k: variable_numpy(v) for k, v in variables.items()}
        state = {f"{s}/{k}": a for k, v in variables.items() for s, a in book_state(name, opt, v).items()}
        out.append((params, state))
    return out, stored_dtypes(name, opt, list(variables.values()))
