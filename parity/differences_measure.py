"""Measuring functions for the catalogue of known differences (``parity.differences``).

Every function has the form ``measure_x(framework, config) -> Measurement``: ``config`` is
"as_is" (the framework as it comes — its defaults, or for a "literal" entry the book's number
copied into the framework's own convention) or "book" (the configuration that gives the book's
semantics, or the best one the framework allows). Everything else is set to the book's values,
so each number is the effect of that one entry. The book side is always the shipped
``reference`` package; inputs are NumPy arrays drawn once from ``default_rng(SEED)``, in float64
so that a residual of rounding size (~1e-15) is told apart from a semantic one.

``Measurement.value`` is the measured difference in ``unit``; ``scale`` is the size of the values
compared (max |book value|), so the normal tolerance is ``tol.atol + tol.rtol * scale``.
"""
from dataclasses import dataclass
import math
from typing import Union

import numpy as np

from parity.backends.keras import floatx as keras_floatx
from reference import functions as ref_functions
from reference import init as ref_init
from reference import layers as ref_layers
from reference import optimizer as ref_optimizer

SEED = 0
OPT_STEPS = 10
BN_STEPS = 5


@dataclass
class Measurement:
    value: float
    unit: str
    scale: float = 0.0
    detail: str = ""
    critical: Union[float, None] = None  # statistical measurements: the test's critical value


def _rng(offset=0):
    return np.random.default_rng(SEED + offset)


def _max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def _scale(b):
    return float(np.max(np.abs(np.asarray(b, np.float64))))


def _check_config(config):
    if config not in ("as_is", "book"):
        raise ValueError(f"differences: config must be 'as_is' or 'book', got {config!r}")


def _torch():
    import torch

    return torch


def _keras():
    from parity.backends.keras.initializers import keras_module

    return keras_module()


def _np(x):
    """A framework tensor or variable as a NumPy array."""
    x = getattr(x, "value", x)  # a keras Variable: its backend tensor
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):  # keras Variable, TF tensor (np.array(variable) warns on numpy 2)
        return np.asarray(x.numpy())
    return np.asarray(_keras().ops.convert_to_numpy(x))


# --- batch normalization ---------------------------------------------------------------------------

def bn_batches(steps=BN_STEPS, n=8, d=6):
    """``steps`` batches (n, d); feature scales 1e-3 ... 10 so that epsilon (~var) matters."""
    rng = _rng(1)
    scales = np.array([1e-3, 3e-3, 1e-2, 0.1, 1.0, 10.0])[:d]
    return [rng.standard_normal((n, d)) * scales + 0.5 for _ in range(steps)]


def _bn_reference(batches, momentum=0.9):
    d = int(np.prod(batches[0].shape[1:]))
    bn = ref_layers.BatchNormalization(np.ones(d), np.zeros(d), momentum=momentum)
    out = [bn.forward(x, train_flg=True) for x in batches]
    return out[-1], bn.running_mean, bn.running_var


def _bn_torch(batches, eps=1e-6, momentum=0.1, zero_var=True, two_d=True):
    torch = _torch()
    shape = batches[0].shape
    cls = torch.nn.BatchNorm1d if two_d else torch.nn.BatchNorm2d
    m = cls(shape[1] if not two_d else int(np.prod(shape[1:])), eps=eps, momentum=momentum, dtype=torch.float64)
    if zero_var:
        with torch.no_grad():
            m.running_var.zero_()
    m.train()
    with torch.no_grad():
        out = [m(torch.tensor(x.reshape(x.shape[0], -1) if two_d else x)) for x in batches]
    return _np(out[-1]).reshape(shape), _np(m.running_mean), _np(m.running_var)


def _bn_keras(batches, epsilon=1e-6, momentum=0.9, var_init="zeros", axis=-1, flatten=True):
    keras = _keras()
    shape = batches[0].shape
    layer = keras.layers.BatchNormalization(axis=axis, momentum=momentum, epsilon=epsilon,
                                            moving_variance_initializer=var_init, dtype="float64")
    xs = [x.reshape(x.shape[0], -1) if flatten else x for x in batches]
    out = [layer(keras.ops.convert_to_tensor(x), training=True) for x in xs]
    return _np(out[-1]).reshape(shape), _np(layer.moving_mean), _np(layer.moving_variance)


def measure_bn_epsilon(framework, config):
    """Training output of one batch: book eps 1e-6 vs torch 1e-5 / keras 1e-3 (default)."""
    _check_config(config)
    batches = bn_batches(steps=1)
    ref_out, _, _ = _bn_reference(batches)
    if framework == "torch":
        out, _, _ = _bn_torch(batches, eps=1e-5 if config == "as_is" else 1e-6)
    else:
        out, _, _ = _bn_keras(batches, epsilon=1e-3 if config == "as_is" else 1e-6)
    cols = np.max(np.abs(out - ref_out), axis=0)
    return Measurement(_max_abs(out, ref_out), "max abs diff of the training output", _scale(ref_out),
                       f"per-feature max diff {np.array2string(cols, precision=2)} for feature std "
                       f"1e-3, 3e-3, 1e-2, 0.1, 1, 10")


def measure_bn_momentum(framework, config):
    """running_mean after BN_STEPS batches. Keras: default 0.99 (book convention) vs 0.9. Torch: the
    book's 0.9 copied literally (torch's convention is the opposite: 0.1 means the book's 0.9)."""
    _check_config(config)
    batches = bn_batches()
    _, ref_mean, _ = _bn_reference(batches)
    if framework == "torch":
        _, mean, _ = _bn_torch(batches, momentum=0.9 if config == "as_is" else 0.1)
    else:
        _, mean, _ = _bn_keras(batches, momentum=0.99 if config == "as_is" else 0.9)
    return Measurement(_max_abs(mean, ref_mean), f"max abs diff of running_mean after {BN_STEPS} steps",
                       _scale(ref_mean), f"framework {np.array2string(mean, precision=4)} vs book "
                                         f"{np.array2string(ref_mean, precision=4)}")


def measure_bn_running_var(framework, config):
    """running_var after one batch, as a relative difference. Book: starts at 0, biased batch
    variance. Torch: starts at 1 and uses the unbiased (N-1) variance, which nothing configures
    away: the residual is 1/(N-1) exactly. Keras: starts at 1 ("ones"), biased."""
    _check_config(config)
    batches = bn_batches(steps=1)
    _, _, ref_var = _bn_reference(batches)
    if framework == "torch":
        _, _, var = _bn_torch(batches, zero_var=(config == "book"))
    else:
        _, _, var = _bn_keras(batches, var_init="ones" if config == "as_is" else "zeros")
    rel = np.abs(var - ref_var) / np.abs(ref_var)
    n = batches[0].shape[0]
    return Measurement(float(rel.max()), "max relative diff of running_var after 1 step", 1.0,
                       f"batch N = {n}; 1/(N-1) = {1 / (n - 1):.6f}; framework/book ratio "
                       f"{np.array2string(var / ref_var, precision=6)}")


def measure_bn_per_channel(framework, config):
    """4-D input (N, C, H, W): the book flattens to (N, C*H*W) and normalizes per activation;
    BatchNorm2d / Keras BatchNormalization(axis=1) normalize per channel. Book config: flatten and
    use the 1-D layer (an adapter, no option does it)."""
    _check_config(config)
    rng = _rng(2)
    x = rng.standard_normal((4, 2, 3, 3)) * rng.uniform(0.1, 3.0, (1, 2, 3, 3)) + rng.standard_normal((1, 2, 3, 3))
    ref_out, _, _ = _bn_reference([x])
    if framework == "torch":
        out, _, _ = _bn_torch([x], two_d=(config == "book"))
    else:
        out, _, _ = _bn_keras([x], axis=-1 if config == "book" else 1, flatten=(config == "book"))
    return Measurement(_max_abs(out, ref_out), "max abs diff of the training output", _scale(ref_out),
                       "input (4, 2, 3, 3), per-position scales 0.1..3")


def measure_keras_bn_compute_dtype(framework, config):
    """Keras BatchNormalization computes in ``backend.result_type(input dtype, "float32")``; on the
    torch backend that is float32 even for float64 input and a float64 layer, and its moments are
    E[x^2] - E[x]^2, so features with a small variance around a mean of 0.5 lose most digits.
    Everything is set to the book (epsilon 1e-6, momentum 0.9, moving variance from 0); no option
    changes the compute dtype, so both configs measure the same. Value: the larger of the training
    output's max abs diff and running_var's max relative diff after one step."""
    _check_config(config)
    batches = bn_batches(steps=1)
    ref_out, _, ref_var = _bn_reference(batches)
    out, _, var = _bn_keras(batches)
    d_out = _max_abs(out, ref_out)
    d_var = float(np.max(np.abs(var - ref_var) / np.abs(ref_var)))
    return Measurement(max(d_out, d_var), "max of output abs diff and running_var rel diff", 1.0,
                       f"output {d_out:.3g}, running_var {d_var:.3g}; result_type(float64, float32) = "
                       f"{_keras().backend.result_type('float64', 'float32')}")


# --- dropout -----------------------------------------------------------------------------------------

def measure_dropout_scaling(framework, config, p=0.5):
    """Book: train x * mask, test x * (1 - p). Torch/Keras (inverted): train x * mask / (1 - p),
    test x. The mask is read off the framework's output (x has no zeros). Book config: the
    framework's output times (1 - p) in both modes (an adapter; no option turns inversion off)."""
    _check_config(config)
    x = _rng(3).standard_normal((64, 32))
    if framework == "torch":
        torch = _torch()
        m = torch.nn.Dropout(p)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(SEED)
            train = _np(m.train()(torch.tensor(x)))
        test = _np(m.eval()(torch.tensor(x)))
    else:
        keras = _keras()
        layer = keras.layers.Dropout(p, seed=SEED, dtype="float64")
        train = _np(layer(keras.ops.convert_to_tensor(x), training=True))
        test = _np(layer(keras.ops.convert_to_tensor(x), training=False))
    if config == "book":
        train, test = train * (1 - p), test * (1 - p)
    mask = train != 0
    book_train = x * mask
    book_test = ref_layers.Dropout(p).forward(x, train_flg=False)
    d_train, d_test = _max_abs(train, book_train), _max_abs(test, book_test)
    return Measurement(max(d_train, d_test), "max abs diff of train and test outputs", _scale(x),
                       f"p = {p}; train diff {d_train:.3g}, test diff {d_test:.3g}; kept share {mask.mean():.3f}")


# --- optimizers ---------------------------------------------------------------------------------------

def opt_problem(steps=OPT_STEPS):
    """W0 (4, 5) and ``steps`` gradients whose elements span 1e-9 ... 1 (where epsilons matter)."""
    rng = _rng(4)
    scales = 10.0 ** np.linspace(-9, 0, 20).reshape(4, 5)
    return rng.standard_normal((4, 5)), [rng.standard_normal((4, 5)) * scales for _ in range(steps)]


def _run_reference(cls, kwargs, w0, grads):
    opt = getattr(ref_optimizer, cls)(**kwargs)
    params = {"W": w0.copy()}
    for g in grads:
        opt.update(params, {"W": g})
    return params["W"]


def _run_torch(cls, kwargs, w0, grads, before_step=None):
    torch = _torch()
    p = torch.tensor(w0.copy(), requires_grad=True)
    opt = getattr(torch.optim, cls)([p], **kwargs)
    for t, g in enumerate(grads, start=1):
        p.grad = torch.tensor(g)
        if before_step is not None:
            before_step(opt, t)
        opt.step()
    return _np(p)


def _run_keras(cls, kwargs, w0, grads, floatx="float64"):
    with keras_floatx(floatx) as keras:
        v = keras.Variable(w0.copy(), dtype="float64")
        opt = getattr(keras.optimizers, cls)(**kwargs)
        for g in grads:
            opt.apply([keras.ops.convert_to_tensor(g)], [v])
        return _np(v)


def _opt_measure(w, w_ref, detail=""):
    return Measurement(_max_abs(w, w_ref), f"max abs diff of parameters after {OPT_STEPS} steps", _scale(w_ref), detail)


def measure_sgd_lr(framework, config):
    """torch SGD's default lr is 1e-3; the book's SGD uses 0.01."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("SGD", {}, w0, grads)
    w = _run_torch("SGD", {} if config == "as_is" else {"lr": 0.01}, w0, grads)
    return _opt_measure(w, ref)


def measure_keras_lr_float32(framework, config):
    """Keras keeps the learning rate in a float32 variable (floatx), so a float64 model is updated
    with lr = float32(0.01) = 0.009999999776...; ``keras.config.set_floatx("float64")`` before
    building the optimizer keeps it in float64."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("SGD", {"lr": 0.01}, w0, grads)
    w = _run_keras("SGD", {"learning_rate": 0.01}, w0, grads, floatx="float32" if config == "as_is" else "float64")
    return _opt_measure(w, ref, f"float32(0.01) - 0.01 = {float(np.float32(0.01)) - 0.01:.3g}")


def measure_rmsprop_epsilon_torch(framework, config):
    """torch RMSprop: lr 0.01, alpha 0.99 (= book), eps 1e-8 outside the sqrt (book 1e-7, also outside)."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("RMSprop", {}, w0, grads)
    w = _run_torch("RMSprop", {} if config == "as_is" else {"eps": 1e-7}, w0, grads)
    return _opt_measure(w, ref)


def measure_adagrad_epsilon_torch(framework, config):
    """torch Adagrad: lr 0.01, initial accumulator 0 (= book), eps 1e-10 outside the sqrt (book 1e-7)."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("AdaGrad", {}, w0, grads)
    w = _run_torch("Adagrad", {} if config == "as_is" else {"eps": 1e-7}, w0, grads)
    return _opt_measure(w, ref)


def _adam_book_eps(opt, t, eps=1e-7):
    """Before torch's step t: eps_t = 1e-7 / sqrt(1 - beta2^t), which makes
    lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps_t) = lr*sqrt(bc2)/bc1 * m / (sqrt(v) + 1e-7), the book's step."""
    for group in opt.param_groups:
        group["eps"] = eps / math.sqrt(1.0 - group["betas"][1] ** t)


def measure_adam_epsilon_torch(framework, config):
    """torch Adam: p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + 1e-8) (epsilon added to the
    bias-corrected sqrt(v_hat)); the book (= Keras): lr_t = lr sqrt(1-b2^t)/(1-b1^t),
    p -= lr_t * m / (sqrt(v) + 1e-7) (epsilon on the uncorrected sqrt(v), "epsilon hat").
    A constant eps cannot match; setting eps_t = 1e-7 / sqrt(1 - b2^t) before every step does."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("Adam", {}, w0, grads)
    const = _run_torch("Adam", {"eps": 1e-7}, w0, grads)
    if config == "as_is":
        w = _run_torch("Adam", {}, w0, grads)
    else:
        w = _run_torch("Adam", {}, w0, grads, before_step=_adam_book_eps)
    return _opt_measure(w, ref, f"constant eps=1e-7 still leaves {_max_abs(const, ref):.3g}")


_KERAS_BOOK = {
    # Book values in Keras' names; epsilon 1e-14 = (1e-7)^2 makes sqrt(h + eps) = sqrt(h) + 1e-7 at h = 0.
    "RMSprop": {"learning_rate": 0.01, "rho": 0.99, "epsilon": 1e-14},
    "Adagrad": {"learning_rate": 0.01, "initial_accumulator_value": 0.0, "epsilon": 1e-14},
}
_KERAS_DEFAULT = {
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
}
_REF_NAME = {"RMSprop": "RMSprop", "Adagrad": "AdaGrad"}


def _measure_keras_accumulator_opt(cls, config):
    """Keras RMSprop / Adagrad against the book. Keras puts epsilon INSIDE the sqrt:
    g / sqrt(h + eps) (book: g / (sqrt(h) + 1e-7)); no constant eps makes them equal, so after
    configuring everything else a residual remains. The detail gives each default's effect alone."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference(_REF_NAME[cls], {}, w0, grads)
    kw = _KERAS_DEFAULT[cls] if config == "as_is" else _KERAS_BOOK[cls]
    w = _run_keras(cls, kw, w0, grads)
    parts = []
    if config == "as_is":
        for key, value in _KERAS_DEFAULT[cls].items():
            alone = dict(_KERAS_BOOK[cls], **{key: value})
            parts.append(f"{key}={value} alone: {_max_abs(_run_keras(cls, alone, w0, grads), ref):.3g}")
    return _opt_measure(w, ref, "; ".join(parts))


def measure_rmsprop_keras(framework, config):
    return _measure_keras_accumulator_opt("RMSprop", config)


def measure_adagrad_keras(framework, config):
    return _measure_keras_accumulator_opt("Adagrad", config)


def measure_keras_hyperparams_float32(framework, config):
    """Keras on TensorFlow turns Python-float hyper-parameters (Adam's beta_1, beta_2, SGD's
    momentum) into float32 constants before casting them to a float64 variable's dtype
    (0.999 -> 0.99900001287...), so float64 training drifts from the book by ~1e-8 in 10 steps.
    Book config: pass them as np.float64. Measured with floatx float64 (the lr-float32 entry
    removed) on Adam() and SGD(0.01, momentum=0.9) = the book's Momentum; the larger difference."""
    _check_config(config)
    w0, grads = opt_problem()
    f = float if config == "as_is" else np.float64
    adam = _run_keras("Adam", {"beta_1": f(0.9), "beta_2": f(0.999)}, w0, grads)
    mom = _run_keras("SGD", {"learning_rate": 0.01, "momentum": f(0.9)}, w0, grads)
    d_adam = _max_abs(adam, _run_reference("Adam", {}, w0, grads))
    d_mom = _max_abs(mom, _run_reference("Momentum", {}, w0, grads))
    return Measurement(max(d_adam, d_mom), f"max abs diff of parameters after {OPT_STEPS} steps", _scale(w0),
                       f"Adam {d_adam:.3g}, Momentum {d_mom:.3g}; float32(0.999) - 0.999 = "
                       f"{float(np.float32(0.999)) - 0.999:.3g}")


def measure_keras_sgd_default(framework, config):
    """Keras SGD() as it comes: learning_rate 0.01, the book's SGD (with floatx float64 so the
    lr-float32 entry is not measured). Not a catalogue entry: the planted stale claim in the tests."""
    _check_config(config)
    w0, grads = opt_problem()
    ref = _run_reference("SGD", {}, w0, grads)
    return _opt_measure(_run_keras("SGD", {}, w0, grads), ref)


WEIGHT_DECAY = 0.1


def _keras_autodiff(fn, x):
    """d fn(x) / dx for a scalar keras function, by the backend's own autodiff."""
    keras = _keras()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xv = tf.Variable(x)
        with tf.GradientTape() as tape:
            s = fn(xv)
        return tape.gradient(s, xv).numpy()
    if backend == "torch":
        xt = _torch().tensor(x, requires_grad=True)
        fn(xt).backward()
        return _np(xt.grad)
    raise ValueError(f"differences: no gradient helper for keras backend {backend!r}")


def measure_keras_weight_decay(framework, config):
    """The book's weight decay is L2 in the loss: the gradient gets + lambda*W, and Adam scales it
    like any gradient. Keras' optimizer ``weight_decay`` is decoupled (W -= lr*lambda*W beside the
    update, AdamW). Book config: no optimizer weight_decay; ``keras.regularizers.L2(lambda/2)``
    on the weights, whose gradient (by Keras' autodiff) is added to g, as a layer's
    kernel_regularizer does through the loss."""
    _check_config(config)
    w0, grads = opt_problem()
    lam = WEIGHT_DECAY
    with keras_floatx("float64") as keras:
        v = keras.Variable(w0.copy(), dtype="float64")
        if config == "as_is":
            opt = keras.optimizers.Adam(weight_decay=lam, beta_1=np.float64(0.9), beta_2=np.float64(0.999))
        else:
            opt = keras.optimizers.Adam(beta_1=np.float64(0.9), beta_2=np.float64(0.999))
            l2 = keras.regularizers.L2(lam / 2)
        for g in grads:
            if config != "as_is":
                g = g + _keras_autodiff(l2, _np(v))
            opt.apply([keras.ops.convert_to_tensor(g)], [v])
        w = _np(v)
    opt_ref, params = ref_optimizer.Adam(), {"W": w0.copy()}
    for g in grads:
        opt_ref.update(params, {"W": g + lam * params["W"]})
    return _opt_measure(w, params["W"], f"lambda = {lam}, Adam")


# --- cross-entropy ------------------------------------------------------------------------------------

def ce_cases():
    """Logits (6, 3) and labels chosen to saturate: the true class' probability is ~0.4, 1 exactly,
    ~1e-7, ~2e-22, exactly 0 (logit gap 1000) and ~1/3."""
    x = np.array([[2.0, 1.0, 0.1],
                  [50.0, 0.0, 0.0],
                  [0.0, math.log(1e-7), -50.0],
                  [50.0, 0.0, 0.0],
                  [1000.0, 0.0, 0.0],
                  [0.0, 0.0, 0.0]])
    t = np.array([0, 0, 1, 1, 1, 2])
    return x, t


def measure_cross_entropy(framework, config):
    """Per-sample loss. Book: -log(softmax(x)[t] + 1e-7). Torch CrossEntropyLoss: -log_softmax(x)[t]
    (exact, no delta). Keras categorical_crossentropy(from_logits=False) on the probabilities:
    -log(clip(y, 1e-7, 1 - 1e-7)) — at y = 0 the same as the book, at y = 1e-7 off by log 2, at
    y = 1 by 2e-7. No option adds the book's delta; book config: the loss written with the
    framework's ops, -log(y + 1e-7) (an adapter)."""
    _check_config(config)
    x, t = ce_cases()
    y = ref_functions.softmax(x)
    ref = np.array([ref_functions.cross_entropy_error(y[i], t[i:i + 1]) for i in range(len(t))])
    if framework == "torch":
        torch = _torch()
        xt, tt = torch.tensor(x), torch.tensor(t)
        if config == "as_is":
            loss = torch.nn.functional.cross_entropy(xt, tt, reduction="none")
        else:
            loss = torch.nn.functional.nll_loss(torch.log(torch.softmax(xt, dim=1) + 1e-7), tt, reduction="none")
    else:
        keras = _keras()
        onehot = np.eye(3)[t]
        if config == "as_is":
            loss = keras.losses.categorical_crossentropy(keras.ops.convert_to_tensor(onehot),
                                                         keras.ops.convert_to_tensor(y))
        else:
            yk = keras.ops.convert_to_tensor(y)
            loss = -keras.ops.sum(keras.ops.convert_to_tensor(onehot) * keras.ops.log(yk + 1e-7), axis=1)
    loss = _np(loss)
    diffs = np.abs(loss - ref)
    return Measurement(float(diffs.max()), "max abs diff of per-sample loss", _scale(ref),
                       "p_true = " + ", ".join(f"{p:.2g}: {d:.3g}" for p, d in zip(y[np.arange(len(t)), t], diffs)))


# --- relu ---------------------------------------------------------------------------------------------

def _framework_grad(framework, fn_name, x):
    """d/dx sum(fn(x)) by the framework's autodiff (keras: through its backend)."""
    if framework == "torch":
        torch = _torch()
        xt = torch.tensor(x, requires_grad=True)
        getattr(torch, fn_name)(xt).sum().backward()
        return _np(xt.grad)
    keras = _keras()
    backend = keras.backend.backend()
    fn = getattr(keras.ops, fn_name)
    if backend == "tensorflow":
        import tensorflow as tf

        xv = tf.Variable(x)
        with tf.GradientTape() as tape:
            s = tf.reduce_sum(fn(xv))
        return tape.gradient(s, xv).numpy()
    if backend == "torch":
        torch = _torch()
        xt = torch.tensor(x, requires_grad=True)
        fn(xt).sum().backward()
        return _np(xt.grad)
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(lambda v: fn(v).sum())(x))
    raise ValueError(f"differences: no gradient helper for keras backend {backend!r}")


def measure_relu_grad_at_zero(framework, config):
    """Gradient of relu at x = -1, 0, 1. The book's ``relu_grad`` says 1 at 0 (x >= 0), its ``Relu``
    layer says 0; torch and Keras say 0. No framework option changes it, so the residual stays 1."""
    _check_config(config)
    x = np.array([-1.0, 0.0, 1.0])
    book = ref_functions.relu_grad(x)
    fw = _framework_grad(framework, "relu", x)
    layer = ref_layers.Relu()
    layer.forward(x)
    layer_grad = layer.backward(np.ones_like(x))
    return Measurement(_max_abs(fw, book), "max abs diff of d relu/dx at -1, 0, 1", 1.0,
                       f"framework {fw.tolist()}, book relu_grad {book.tolist()}, book Relu layer {layer_grad.tolist()}")


# --- initializers -------------------------------------------------------------------------------------

INIT_SHAPE = (1000, 400)


def _init_measure(framework, builder, book_fn, book_kwargs):
    """Two-sample KS distance between the framework's weights (``builder``) and the book's."""
    import importlib

    from parity.runners.initializers import alpha, compare_samples

    fw = importlib.import_module(f"parity.backends.{framework}.initializers")
    a = getattr(fw, builder)(INIT_SHAPE, "float64", SEED)
    e = getattr(ref_init, book_fn)(INIT_SHAPE, _rng(0), **book_kwargs)
    tests = compare_samples(a, e, alpha())
    return Measurement(tests["ks"].statistic, f"KS distance D (shape {INIT_SHAPE})", 1.0,
                       f"{builder}: {tests['std'].detail}; {tests['kurtosis'].detail}; KS critical "
                       f"{tests['ks'].critical:.4f}", critical=tests["ks"].critical)


_INIT = {
    # id -> framework -> (as-is builder, book builder, book function, its kwargs)
    "init-xavier-name": {"torch": ("xavier_normal", "book_xavier", "xavier", {}),
                         "keras": ("glorot_normal", "book_xavier", "xavier", {})},
    "init-he-truncated": {"keras": ("he_normal", "book_he", "he", {})},
    "init-kaiming-layout": {"torch": ("kaiming_normal_book_layout", "book_he", "he", {})},
    "init-layer-default": {"torch": ("linear_default", "book_std", "std_normal", {"std": 0.01}),
                           "keras": ("glorot_uniform", "book_std", "std_normal", {"std": 0.01})},
}


def measure_init(entry_id):
    """The measuring function of initializer entry ``entry_id``: f(framework, config)."""
    def measure(framework, config):
        _check_config(config)
        as_is, book, fn, kwargs = _INIT[entry_id][framework]
        return _init_measure(framework, as_is if config == "as_is" else book, fn, kwargs)

    measure.__doc__ = f"KS distance of {entry_id}: as-is builder vs the book's law, and the book-configured builder."
    return measure
