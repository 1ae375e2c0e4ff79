"""Input validation shared by the reference: clear ValueErrors that name the layer (function, net,
optimizer), the argument and the shapes or values it saw.

Every public constructor, forward, backward and update calls one helper here, so that validation
is one line in code that otherwise reads like the book. What a scalar argument may be (a
learning rate, a stride, a dropout ratio, a size, an initializer) is one table, ``ARGUMENTS``,
read by ``check_args``; the shape rules of each layer kind have a helper of their own.
"""
import numbers
from collections.abc import Mapping, Sequence

import numpy as np


# --- scalar arguments, by name -------------------------------------------------------------------

def _is_real(value):
    """A real number: int, float or a NumPy real scalar (0-d array included), not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iuf"
    return isinstance(value, numbers.Real)


def _is_int(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


class _Interval:
    """A real number in [low, high] (a bracket is round where the end is excluded)."""

    def __init__(self, low, high, low_closed=True, high_closed=True):
        self.low, self.high, self.low_closed, self.high_closed = low, high, low_closed, high_closed
        self.text = f"a number in {'[' if low_closed else '('}{low}, {high}{']' if high_closed else ')'}"

    def __call__(self, value):
        if not _is_real(value):
            return False
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return bool(above and below)


class _Integer:
    """An integer >= minimum (a bool is not one)."""

    def __init__(self, minimum):
        self.minimum = minimum
        self.text = f"an integer >= {minimum}"

    def __call__(self, value):
        return _is_int(value) and value >= self.minimum


class _Sizes:
    """A list, tuple or 1-D array of integers >= 1 (may be empty)."""
    text = "a list of integers >= 1"

    def __call__(self, value):
        listlike = (isinstance(value, Sequence) and not isinstance(value, str)) or np.ndim(value) == 1
        return listlike and all(_Integer(1)(v) for v in value)


class _Shape(_Sizes):
    """A tuple of ``length`` integers >= 1 (``length`` or more if ``at_least``)."""

    def __init__(self, length, at_least=False):
        self.length, self.at_least = length, at_least
        self.text = f"a tuple of {'at least ' if at_least else ''}{length} integers >= 1"

    def __call__(self, value):
        return super().__call__(value) and (len(value) >= self.length if self.at_least else len(value) == self.length)


class _Initializer:
    """A weight initializer: a float std >= 0 (or its string, "0.01") or one of ``names`` (those of
    ``reference.init.SCALES`` and ``ALIASES``; not imported from there, which imports this module)."""

    def __init__(self, names):
        self.names = names
        self.text = f"a float std >= 0 or one of {list(names)}"

    def __call__(self, value):
        if isinstance(value, str):
            if value.lower() in self.names:
                return True
            try:
                value = float(value)
            except ValueError:
                return False
        return _is_real(value) and bool(np.isfinite(value)) and value >= 0


class _Generator:
    """A np.random.Generator, or None where a fresh one is made (``optional``)."""

    def __init__(self, optional):
        self.optional = optional
        self.text = "None or a np.random.Generator" if optional else "a np.random.Generator (its rng)"

    def __call__(self, value):
        return (self.optional and value is None) or isinstance(value, np.random.Generator)


class _FloatDtype:
    text = "a floating dtype (np.float32 or np.float64)"

    def __call__(self, value):
        try:
            return np.issubdtype(np.dtype(value), np.floating)
        except TypeError:
            return False


class _ConvParam:
    """The book's conv_param dict: filter_num, filter_size >= 1, pad >= 0, stride >= 1."""
    keys = {"filter_num": _Integer(1), "filter_size": _Integer(1), "pad": _Integer(0), "stride": _Integer(1)}
    text = "a dict with integers filter_num >= 1, filter_size >= 1, pad >= 0, stride >= 1"

    def __call__(self, value):
        return isinstance(value, Mapping) and all(k in value and rule(value[k]) for k, rule in self.keys.items())


_UNIT = _Interval(0, 1)
_NON_NEGATIVE = _Interval(0, np.inf, high_closed=False)

ARGUMENTS = {
    # optimizers: the ranges torch's optimizers accept, but momentum is capped at 1 (above, v grows without bound)
    "lr": _NON_NEGATIVE,
    "momentum": _UNIT,              # also BatchNormalization's: running = m * running + (1 - m) * batch
    "decay_rate": _UNIT,            # RMSprop: h = d * h + (1 - d) * g^2
    "beta1": _Interval(0, 1, high_closed=False),   # 1 would divide by 1 - beta1^t = 0
    "beta2": _Interval(0, 1, high_closed=False),
    # layers
    "dropout_ratio": _UNIT,
    "dropout_ration": _UNIT,        # MultiLayerNetExtend's spelling (the book's)
    "stride": _Integer(1),
    "pad": _Integer(0),
    "pool_h": _Integer(1),
    "pool_w": _Integer(1),
    "filter_h": _Integer(1),
    "filter_w": _Integer(1),
    # nets and initializers
    "input_size": _Integer(1),
    "hidden_size": _Integer(1),
    "hidden_size1": _Integer(1),
    "hidden_size2": _Integer(1),
    "output_size": _Integer(1),
    "hidden_size_list": _Sizes(),
    "input_dim": _Shape(3),
    "conv_param": _ConvParam(),
    "weight_init_std": _Initializer(("xavier", "he", "sigmoid", "relu")),
    "weight_decay_lambda": _NON_NEGATIVE,
    "n_in": _Integer(1),
    "shape": _Shape(2, at_least=True),
    "rng": _Generator(optional=True),
    "dropout_rng": _Generator(optional=True),
    "generator": _Generator(optional=False),
    "dtype": _FloatDtype(),
    "batch_size": _Integer(1),
    "iters_num": _Integer(0),
    "curve_length": _Integer(11),   # smooth_curve's window: a shorter curve comes back with the wrong length
    "h": _Interval(0, np.inf, low_closed=False, high_closed=False),
}


def check_args(where, **values):
    """Raise ValueError naming ``where`` and the argument unless each value fits its ``ARGUMENTS`` rule.

    >>> check_args("Dropout", dropout_ratio=1.5)
    Traceback (most recent call last):
    ValueError: Dropout: dropout_ratio must be a number in [0, 1], got 1.5
    """
    for name, value in values.items():
        rule = ARGUMENTS[name]
        if not rule(value):
            raise ValueError(f"{where}: {name} must be {rule.text}, got {value!r}")


# --- arrays --------------------------------------------------------------------------------------

def check_finite(where, **arrays):
    """Raise ValueError naming ``where`` and the array if any value is NaN or infinite."""
    for name, a in arrays.items():
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
            bad = np.argwhere(~np.isfinite(a))[0]
            raise ValueError(
                f"{where}: {name} of shape {a.shape} holds a non-finite value "
                f"{float(a[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}"
            )


def check_labels(where, t, y_shape):
    """Raise ValueError unless ``t`` is N integer labels in [0, C) for scores shaped (N, C)."""
    t = np.asarray(t)
    n, c = y_shape[0], y_shape[-1]
    if t.shape != (n,):
        raise ValueError(f"{where}: labels t have shape {t.shape}, expected ({n},) for scores {tuple(y_shape)}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"{where}: labels must lie in [0, {c}), got min {t.min()} and max {t.max()}")
    if not (np.issubdtype(t.dtype, np.integer) or np.all(t == np.round(t))):
        raise ValueError(f"{where}: labels must be integers, got dtype {t.dtype}")


def check_targets(where, t, y, batch=False):
    """Raise ValueError unless ``t`` is one-hot shaped like the scores ``y`` ((N, C), or (C,) unless
    ``batch``) or integer labels in [0, C): (N,) for 2-D scores, one label for 1-D scores.
    y: the scores or their shape (a tuple)."""
    t, y_shape = np.asarray(t), (y if isinstance(y, tuple) else np.shape(y))
    if len(y_shape) not in ((2,) if batch else (1, 2)) or y_shape[-1] == 0:
        raise ValueError(f"{where}: scores must be {'(N, C)' if batch else '(N, C) or (C,)'} with C >= 1, "
                         f"got shape {y_shape}")
    if t.size == np.prod(y_shape) and t.shape != y_shape:
        raise ValueError(f"{where}: one-hot t has shape {t.shape}, scores have {y_shape}")
    if t.size != np.prod(y_shape):
        if len(y_shape) == 1:
            check_labels(where, t.reshape(-1), (1, y_shape[0]))
        else:
            check_labels(where, t, y_shape)


def check_scores(where, x):
    """Raise ValueError unless ``x`` has a last axis of classes, at least one."""
    if np.ndim(x) == 0 or np.shape(x)[-1] == 0:
        raise ValueError(f"{where}: x must have the classes on a last axis of size >= 1, got shape {np.shape(x)}")


def check_same_shape(where, a_name, a, b_name, b):
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{where}: {a_name} has shape {np.shape(a)} but {b_name} has shape {np.shape(b)}")


def check_broadcast(where, **arrays):
    """Raise ValueError unless the arrays' shapes broadcast together (MulLayer's x * y)."""
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    try:
        np.broadcast_shapes(*shapes.values())
    except ValueError:
        raise ValueError(f"{where}: shapes {shapes} do not broadcast together") from None


def check_dout(where, dout, *like):
    """Raise ValueError unless backward's ``dout`` has the shape of forward's output.

    like: the output, an array of its shape or its shape (a tuple); several are broadcast together
    (MulLayer's x and y). None means forward has not run: there is nothing to differentiate.
    """
    if any(a is None for a in like):
        raise ValueError(f"{where}.backward: called before forward (nothing is cached to differentiate)")
    expected = np.broadcast_shapes(*(a if isinstance(a, tuple) else np.shape(a) for a in like))
    if np.shape(dout) != expected:
        raise ValueError(f"{where}.backward: dout has shape {np.shape(dout)}, expected {expected} "
                         f"(the shape of forward's output)")


def check_matmul(where, x, W):
    """Raise ValueError unless x (N, K) can be multiplied by W (K, M)."""
    if x.shape[1] != W.shape[0]:
        raise ValueError(
            f"{where}: input flattened to {x.shape} does not match W of shape {W.shape} "
            f"({x.shape[1]} != {W.shape[0]})"
        )


def _check_weights(where, W, b, ndim, layout, out_axis):
    """W must be ``ndim``-D (``layout`` in words); b must be (W.shape[out_axis],)."""
    if np.ndim(W) != ndim:
        raise ValueError(f"{where}: W must be {ndim}-D {layout}, got shape {np.shape(W)}")
    if np.shape(b) != (W.shape[out_axis],):
        raise ValueError(f"{where}: b has shape {np.shape(b)}, expected ({W.shape[out_axis]},) for W of shape {W.shape}")


def check_affine(where, W, b, x=None):
    """W (D, M), b (M,); x (if given) flattened to (N, D)."""
    _check_weights(where, W, b, 2, "(in, out)", 1)
    if x is not None:
        check_matmul(where, x, W)


def _check_window(where, shape, fh, fw, stride, pad, what):
    """``shape`` must be 4-D (N, C, H, W) and the fh x fw window must fit it with this pad."""
    shape = tuple(shape)
    if len(shape) != 4:
        raise ValueError(f"{where}: input must be 4-D (N, C, H, W), got shape {shape}")
    if (shape[2] + 2 * pad - fh) // stride + 1 < 1 or (shape[3] + 2 * pad - fw) // stride + 1 < 1:
        raise ValueError(f"{where}: {what} does not fit input {shape} with pad {pad}")


def check_conv(where, W, b, stride, pad, x=None):
    """W (FN, C, FH, FW), b (FN,), stride >= 1, pad >= 0; x (if given) (N, C, H, W) with room for the filter."""
    _check_weights(where, W, b, 4, "(FN, C, FH, FW)", 0)
    check_args(where, stride=stride, pad=pad)
    if x is not None:
        if x.ndim != 4 or x.shape[1] != W.shape[1]:
            raise ValueError(f"{where}: input must be (N, {W.shape[1]}, H, W) for W of shape {W.shape}, got {x.shape}")
        _check_window(where, x.shape, W.shape[2], W.shape[3], stride, pad, f"filter {W.shape}")


def check_pool(where, pool_h, pool_w, stride, pad, x=None):
    """Window sizes and stride >= 1, pad >= 0; x (if given) (N, C, H, W) with room for the window."""
    check_args(where, pool_h=pool_h, pool_w=pool_w, stride=stride, pad=pad)
    if x is not None:
        _check_window(where, x.shape, pool_h, pool_w, stride, pad, f"window {pool_h}x{pool_w} with stride {stride}")


def check_im2col(where, input_shape, filter_h, filter_w, stride, pad, col=None):
    """im2col's input / col2im's input_shape (N, C, H, W) with room for the filter; col (if given)
    must be (N*out_h*out_w, C*filter_h*filter_w)."""
    check_args(where, filter_h=filter_h, filter_w=filter_w, stride=stride, pad=pad)
    _check_window(where, input_shape, filter_h, filter_w, stride, pad, f"filter {filter_h}x{filter_w} with stride {stride}")
    N, C, H, W = input_shape
    if col is not None:
        expected = (N * ((H + 2 * pad - filter_h) // stride + 1) * ((W + 2 * pad - filter_w) // stride + 1),
                    C * filter_h * filter_w)
        if np.shape(col) != expected:
            raise ValueError(f"{where}: col has shape {np.shape(col)}, expected {expected} for input shape "
                             f"{tuple(input_shape)}, filter {filter_h}x{filter_w}, stride {stride}, pad {pad}")


def check_batchnorm(where, gamma, beta, momentum, running_mean, running_var, x=None):
    """gamma and beta: scalars or (D,), the same shape; momentum in [0, 1]; running_mean and
    running_var: both None or both (D,); x (if given) (N, D) or (N, C, H, W) with C*H*W = D."""
    check_args(where, momentum=momentum)
    check_same_shape(where, "gamma", gamma, "beta", beta)
    if np.ndim(gamma) > 1:
        raise ValueError(f"{where}: gamma must be a scalar or 1-D (D,), got shape {np.shape(gamma)}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{where}: give both running_mean and running_var or neither")
    if running_mean is not None:
        check_same_shape(where, "running_mean", running_mean, "running_var", running_var)
        if np.ndim(running_mean) != 1 or (np.ndim(gamma) and np.shape(running_mean) != np.shape(gamma)):
            raise ValueError(f"{where}: running_mean has shape {np.shape(running_mean)}, gamma {np.shape(gamma)}")
    if x is not None:
        if x.ndim not in (2, 4):
            raise ValueError(f"{where}: expected 2-D or 4-D input, got shape {x.shape}")
        features = int(np.prod(x.shape[1:]))
        if np.ndim(gamma) and np.shape(gamma)[-1] != features:
            raise ValueError(f"{where}: gamma has shape {np.shape(gamma)}, input {x.shape} has {features} features")
        if running_mean is not None and np.shape(running_mean)[-1] != features:
            raise ValueError(f"{where}: running_mean has shape {np.shape(running_mean)}, "
                             f"input {x.shape} has {features} features")


def check_update(where, params, grads, state=None):
    """An optimizer's update(params, grads): dicts with the same keys, each grads[key] shaped like
    params[key], every params array floating (it is updated in place); ``state`` (the optimizer's
    v, h or m, None before the first update) made for the same keys and shapes."""
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise ValueError(f"{where}.update: params and grads must be dicts, got {type(params).__name__} "
                         f"and {type(grads).__name__}")
    if params.keys() != grads.keys():
        raise ValueError(f"{where}.update: params and grads have different keys: only in params "
                         f"{[k for k in params if k not in grads]}, only in grads {[k for k in grads if k not in params]}")
    for key, p in params.items():
        if isinstance(p, np.ndarray) and not np.issubdtype(p.dtype, np.floating):
            raise ValueError(f"{where}.update: params[{key!r}] has dtype {p.dtype}; it is updated in place, "
                             f"so it must be floating")
        if np.shape(grads[key]) != np.shape(p):
            raise ValueError(f"{where}.update: grads[{key!r}] has shape {np.shape(grads[key])}, "
                             f"params[{key!r}] has {np.shape(p)}")
    if state is not None:
        changed = [k for k in params if k not in state or np.shape(state[k]) != np.shape(params[k])]
        if changed or len(state) != len(params):
            raise ValueError(f"{where}.update: params changed since the first update (keys or shapes of "
                             f"{changed or sorted(set(state) - set(params))}); use a new optimizer for new params")


def check_scalar(where, name, value):
    """``value`` if it is a scalar (0-d), else ValueError: a loss must be one number."""
    if np.ndim(value) != 0:
        raise ValueError(f"{where}: {name} must be a scalar (a loss), got shape {np.shape(value)}")
    return value


def check_numerical_gradient(where, f, x, h):
    """f callable; x a writable floating NumPy array (perturbed in place); h > 0."""
    if not callable(f):
        raise ValueError(f"{where}: f must be a function of x, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        what = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{where}: x must be a floating NumPy array (it is perturbed in place), got {what}")
    if not x.flags.writeable:
        raise ValueError(f"{where}: x of shape {x.shape} is read-only; it is perturbed in place")
    check_args(where, h=h)


def check_same_length(where, **arrays):
    """Raise ValueError unless the arrays have the same first dimension (samples)."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{where}: {', '.join(arrays)} must have the same number of samples, got {lengths}")


def check_training(where, x_train, t_train, x_test, t_test, batch_indices):
    """Training and test sets with as many labels as samples; batch_indices (iters, batch) integer
    indices into the training set."""
    check_same_length(where, x_train=x_train, t_train=t_train)
    check_same_length(where, x_test=x_test, t_test=t_test)
    b = np.asarray(batch_indices)
    if b.ndim != 2 or not np.issubdtype(b.dtype, np.integer):
        raise ValueError(f"{where}: batch_indices must be (iters, batch) integers, got shape {b.shape}, dtype {b.dtype}")
    if b.size and (b.min() < 0 or b.max() >= len(x_train)):
        raise ValueError(f"{where}: batch_indices must lie in [0, {len(x_train)}), got min {b.min()} and max {b.max()}")


def check_saved_params(where, file_name, saved, params):
    """A parameter file's content must be a dict with the net's keys, each array of the net's shape."""
    if not isinstance(saved, Mapping):
        raise ValueError(f"{where}: {file_name} holds a {type(saved).__name__}, not a dict of parameters")
    if saved.keys() != params.keys():
        raise ValueError(f"{where}: {file_name} has keys {list(saved)}, the net has {list(params)}")
    for key, val in saved.items():
        if np.shape(val) != np.shape(params[key]):
            raise ValueError(f"{where}: {file_name}: {key} has shape {np.shape(val)}, the net's {key} has "
                             f"{np.shape(params[key])} (a net built with other sizes?)")
