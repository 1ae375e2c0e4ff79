"""Flax NNX counterparts of the book's layers and functions, configured to the book's semantics.

Each builder is ``builder(arrays, hyper, dtype, device, **config) -> Counterpart`` (see
``parity.backends.counterpart``); ``config`` defaults to the book-matching configuration; the table of known differences
(``parity.catalogue.table``) holds what Flax / optax do when a user writes the layer plainly, as
these builders' arguments, and runs the same builder under both. Weights are copied from the book's
arrays: ``nnx.Linear.kernel = W`` (in, out); ``nnx.Conv.kernel`` (HWIO) ``= W.transpose(2, 3, 1, 0)``
on NHWC input (the book's NCHW is transposed inside the function with ``jnp.transpose``, so
autodiff gives dx in the book's layout). Every module is built with ``param_dtype=dtype,
dtype=dtype`` and matmuls / convolutions with ``precision=HIGHEST`` (on a GPU JAX's default
float32 precision may use TF32 / bf16 passes).

Gradients: ``grad`` differentiates ``fn`` with ``jax.vjp`` (stateless functions) or ``nnx.vjp``
(a module's parameters, ``graph=False``; batch-norm statistics written during the call are
propagated back to the module), never with the implementation's backward.

Where Flax's default differs from the book (rows of ``parity.catalogue.table``):
- ``nnx.BatchNorm``: momentum 0.99 -> 0.9 (same convention as the book: weight of the old
  value), epsilon 1e-5 -> 1e-6, running variance initialized to ones -> zeros,
  ``use_fast_variance=True`` (var = E[x^2] - E[x]^2, cancels when |mean| >> std) -> False
  (mean((x - mean)^2), the book's), and the running statistics are created float32 whatever
  ``param_dtype`` says -> replaced by arrays of the dtype under test. Flax's batch variance is
  biased, as the book's. 4-D input is flattened to (N, C*H*W) first, as the book does.
- max pooling: ``nnx.max_pool``'s padding is -inf (the reduce_window init value); the book's
  im2col pads with zeros: the input is zero padded with ``jnp.pad`` and pooled "VALID".
- convolution padding: explicit ``((pad, pad), (pad, pad))`` pairs (zeros), not "SAME" (Flax's
  default, asymmetric at stride 2).
- cross-entropy: the book's ``-sum(log(y + 1e-7)) / N`` written in ``jnp``; ``SoftmaxWithLoss``'s
  gradient is autodiff of ``optax.softmax_cross_entropy`` (one-hot) or
  ``optax.softmax_cross_entropy_with_integer_labels`` (labels), averaged: (y - t) / N, the book's
  backward (the exact gradient of the loss WITHOUT the 1e-7).
- dropout: the book's mask injected; train ``x * mask``, test ``x * (1 - ratio)`` (``nnx.Dropout``
  is inverted: ``x * mask / (1 - rate)`` in training, identity when deterministic).
"""
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from parity.backends.counterpart import Counterpart
from parity.backends.jax import configure

jax = configure()
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402

DTYPES = {"float64": jnp.float64, "float32": jnp.float32}
HIGHEST = jax.lax.Precision.HIGHEST
BOOK_EPS = 1e-7  # inside the book's log in cross_entropy_error


def _dtype(dtype):
    try:
        return DTYPES[str(dtype)]
    except KeyError:
        raise ValueError(f"jax layers: dtype must be one of {sorted(DTYPES)}, got {dtype!r}") from None


def jax_device(device="cpu"):
    """The JAX device for a device name ("cpu"; "cuda" / "gpu": the first GPU JAX sees)."""
    platform = {"cpu": "cpu", "cuda": "gpu", "gpu": "gpu"}.get(str(device))
    if platform is None:
        raise ValueError(f"jax: unknown device {device!r} (cpu, cuda)")
    try:
        return jax.devices(platform)[0]
    except RuntimeError as exc:
        raise RuntimeError(f"jax: device {device!r} requested but JAX sees no {platform} device: {exc}") from exc


def tensor(a, device="cpu"):
    """A JAX array holding NumPy ``a`` (dtype kept; integer labels become int64)."""
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)
    return jax.device_put(np.array(a, order="C", copy=True), jax_device(device))


def to_numpy(t):
    """A NumPy copy of a JAX array (never a view)."""
    return np.array(t, copy=True)


@dataclass
class Bound:
    """``fn(*args) = apply(module, *args)``: a forward that reads its parameters from ``module``,
    so ``grad`` can hand the module to ``nnx.vjp`` and get the parameters' gradients."""

    apply: Callable
    module: Any

    def __call__(self, *args):
        return self.apply(self.module, *args)


def _variable_paths(module):
    """{id(Variable): path} of every NNX Variable in ``module``."""
    return {id(node): path for path, node in nnx.iter_graph(module) if isinstance(node, nnx.Variable)}


def _at(module, path):
    node = module
    for key in path:
        node = node[key] if isinstance(key, int) else getattr(node, key)
    return node


def grad(fn, inputs, params, dout, constants=None, device="cpu"):
    """Forward ``fn`` and its gradients by JAX autodiff (``jax.vjp`` / ``nnx.vjp``).

    inputs: {name: NumPy} differentiated, constants: {name: NumPy} not, passed to ``fn``
    positionally in that order (labels); params: {name: nnx.Param} held by ``fn.module`` (a
    ``Bound``); dout: the upstream gradient (NumPy, shaped like the output).
    Returns (output, {input name: d input}, {param name: d param, Flax layout}) as NumPy.
    """
    xs = [tensor(v, device) for v in inputs.values()]
    cs = [tensor(v, device) for v in (constants or {}).values()]
    module = fn.module if isinstance(fn, Bound) else None
    if module is None:
        if params:
            raise ValueError(f"jax grad: parameters {sorted(params)} given but fn is not bound to a module")
        out, vjp = jax.vjp(lambda *x: fn(*x, *cs), *xs)
    else:
        out, vjp = nnx.vjp(lambda m, *x: fn.apply(m, *x, *cs), module, *xs, graph=False)
    if np.shape(dout) != out.shape:
        raise ValueError(f"jax grad: dout has shape {np.shape(dout)}, the output of "
                         f"{type(module).__name__ if module is not None else 'fn'} has shape {out.shape}")
    cotangents = vjp(tensor(dout, device).astype(out.dtype))
    g_module, g_inputs = (None, cotangents) if module is None else (cotangents[0], cotangents[1:])
    g_params = {}
    if params:
        paths = _variable_paths(module)
        for name, var in params.items():
            if id(var) not in paths:
                raise ValueError(f"jax grad: parameter {name!r} is not a Variable of {type(module).__name__}")
            g_params[name] = to_numpy(_at(g_module, paths[id(var)])[...])
    return to_numpy(out), dict(zip(inputs, map(to_numpy, g_inputs))), g_params


def evaluate(fn, inputs, constants=None, device="cpu"):
    """``fn`` on NumPy inputs, as NumPy (no gradients)."""
    args = [tensor(v, device) for v in (*inputs.values(), *(constants or {}).values())]
    return to_numpy(fn(*args))


def _stored(module=None, **variables):
    """{name: dtype} of the variables / arrays (plus the module's compute dtype where it has one)."""
    def stored():
        d = {k: str((v[...] if isinstance(v, nnx.Variable) else v).dtype) for k, v in variables.items()}
        if module is not None and getattr(module, "dtype", None) is not None:
            d["compute"] = str(jnp.dtype(module.dtype))
        return d
    return stored


def _nchw_to_nhwc(x):
    return jnp.transpose(x, (0, 2, 3, 1))


def _nhwc_to_nchw(x):
    return jnp.transpose(x, (0, 3, 1, 2))


# --- layers ------------------------------------------------------------------------------------

def affine(arrays, hyper, dtype, device="cpu"):
    """nnx.Linear(D, M): kernel = W (D, M), bias = b; x flattened to (N, D) like the book."""
    W, b = arrays["W"], arrays["b"]
    dt = _dtype(dtype)
    lin = nnx.Linear(W.shape[0], W.shape[1], dtype=dt, param_dtype=dt, precision=HIGHEST, rngs=nnx.Rngs(0))
    lin.kernel[...] = tensor(W, device)
    lin.bias[...] = tensor(b, device)
    return Counterpart(fn=Bound(lambda m, x: m(x.reshape(x.shape[0], -1)), lin),
                       params={"W": lin.kernel, "b": lin.bias},
                       stored=_stored(lin, W=lin.kernel, b=lin.bias), module=lin)


def _activation(name, fn):
    def build(arrays, hyper, dtype, device="cpu"):
        return Counterpart(fn=fn)
    build.__name__ = name
    build.__doc__ = f"``{fn.__module__}.{fn.__name__}`` (dtype follows the input)."
    return build


relu = _activation("relu", nnx.relu)          # jax.nn.relu: gradient 0 at exactly 0, as the book's layer
sigmoid = _activation("sigmoid", nnx.sigmoid)
tanh = _activation("tanh", nnx.tanh)


def identity_function(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=lambda x: x)


def _book_cross_entropy(y, t):
    """-sum(log(y_t + 1e-7)) / N over rows; t labels (N,) or one-hot (N, C); 1-D y is one row."""
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
    if t.shape == y.shape:  # one-hot: the book takes argmax(t)
        t = jnp.argmax(t, axis=1)
    picked = jnp.take_along_axis(y, t.reshape(-1, 1).astype(jnp.int64), axis=1)
    return -jnp.sum(jnp.log(picked + BOOK_EPS)) / y.shape[0]


def _optax_cross_entropy(x, t):
    if t.shape == x.shape:
        return jnp.mean(optax.softmax_cross_entropy(x, t))
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(x, t))


def softmax_with_loss(arrays, hyper, dtype, device="cpu", forward_loss="book"):
    """forward: the book's loss in jnp (``forward_loss="optax"``: optax's softmax cross-entropy,
    which has no 1e-7); gradient: autodiff of optax's softmax cross-entropy (mean)."""
    if forward_loss not in ("book", "optax"):
        raise ValueError(f"softmax_with_loss: forward_loss must be 'book' or 'optax', got {forward_loss!r}")

    def forward(x, t):
        if forward_loss == "optax":
            return _optax_cross_entropy(x, t)
        return _book_cross_entropy(nnx.softmax(x, axis=-1), t)

    return Counterpart(fn=forward, grad_fn=_optax_cross_entropy)


def book_batch_norm(num_features, dtype="float64", momentum=0.9, epsilon=1e-6, use_fast_variance=False,
                    running_var_init="zeros", stats_dtype=None):
    """``nnx.BatchNorm`` on (N, D) input, configured to the book by default.

    momentum: Flax's convention is the book's (running = momentum * running + (1 - momentum) * batch);
    epsilon 1e-6 (the book's 10e-7); use_fast_variance False: the variance as mean((x - mean)^2);
    running_var_init "zeros" (the book's; Flax: ones); stats_dtype: the dtype of the running
    statistics (None: ``dtype``; Flax creates them float32 whatever ``param_dtype`` is).

        >>> bn = book_batch_norm(3); y = bn(jnp.ones((4, 3)), use_running_average=False)
    """
    dt = _dtype(dtype)
    bn = nnx.BatchNorm(num_features, momentum=momentum, epsilon=epsilon, use_fast_variance=use_fast_variance,
                       dtype=dt, param_dtype=dt, rngs=nnx.Rngs(0))
    sd = dt if stats_dtype is None else _dtype(stats_dtype)
    init = {"zeros": jnp.zeros, "ones": jnp.ones}[running_var_init]
    bn.mean = nnx.BatchStat(jnp.zeros((num_features,), sd))
    bn.var = nnx.BatchStat(init((num_features,), sd))
    return bn


def _bn_apply(m, x, training):
    return m(x.reshape(x.shape[0], -1), use_running_average=not training).reshape(x.shape)


def batch_normalization(arrays, hyper, dtype, device="cpu", **config):
    """The book's BatchNormalization on ``nnx.BatchNorm`` (``book_batch_norm``; ``config``
    overrides its arguments, e.g. the catalogue's ``{"momentum": 0.99}``)."""
    gamma, beta = arrays["gamma"], arrays["beta"]
    settings = {"momentum": hyper.get("momentum", 0.9), "epsilon": hyper.get("eps", 1e-6), **config}
    bn = book_batch_norm(gamma.size, dtype=dtype, **settings)
    bn.scale[...] = tensor(gamma, device)
    bn.bias[...] = tensor(beta, device)
    return Counterpart(
        fn=Bound(lambda m, x: _bn_apply(m, x, True), bn),
        eval_fn=lambda x: _bn_apply(bn, x, False),
        params={"gamma": bn.scale, "beta": bn.bias},
        state=lambda: {"running_mean": to_numpy(bn.mean[...]), "running_var": to_numpy(bn.var[...])},
        stored=_stored(bn, gamma=bn.scale, beta=bn.bias, running_mean=bn.mean, running_var=bn.var),
        module=bn)


def dropout(arrays, hyper, dtype, device="cpu", inverted=False):
    """The book's dropout with its mask injected: train x * mask, test x * (1 - ratio).
    inverted: ``nnx.Dropout`` with that mask, train x * mask / (1 - rate), deterministic x."""
    mask = tensor(np.asarray(arrays["mask"], dtype=dtype), device)
    keep = 1.0 - hyper["dropout_ratio"]  # a Python float is weakly typed in JAX: x keeps its dtype
    if inverted:
        return Counterpart(fn=lambda x: x * mask / keep, eval_fn=lambda x: x, stored=_stored(mask=mask))
    return Counterpart(fn=lambda x: x * mask, eval_fn=lambda x: x * keep, stored=_stored(mask=mask))


def convolution(arrays, hyper, dtype, device="cpu", padding=None):
    """nnx.Conv on NHWC: kernel HWIO = W.transpose(2, 3, 1, 0), zero padding ``((pad, pad), (pad, pad))``
    (``padding`` overrides it, e.g. "SAME", Flax's default); NCHW <-> NHWC around it."""
    W, b = arrays["W"], arrays["b"]
    FN, C, FH, FW = W.shape
    stride, pad = hyper.get("stride", 1), hyper.get("pad", 0)
    dt = _dtype(dtype)
    conv = nnx.Conv(C, FN, (FH, FW), strides=stride, padding=((pad, pad), (pad, pad)) if padding is None else padding,
                    dtype=dt, param_dtype=dt, precision=HIGHEST, rngs=nnx.Rngs(0))
    conv.kernel[...] = tensor(W.transpose(2, 3, 1, 0), device)
    conv.bias[...] = tensor(b, device)
    return Counterpart(fn=Bound(lambda m, x: _nhwc_to_nchw(m(_nchw_to_nhwc(x))), conv),
                       params={"W": conv.kernel, "b": conv.bias},
                       to_book={"W": lambda g: g.transpose(3, 2, 0, 1)},
                       stored=_stored(conv, W=conv.kernel, b=conv.bias), module=conv)


def pooling(arrays, hyper, dtype, device="cpu", pad_value=0.0):
    """``nnx.max_pool`` "VALID" on NHWC after padding with ``pad_value`` (the book's im2col: zeros;
    ``pad_value=None`` uses max_pool's own padding, -inf, Flax's behaviour)."""
    pad = hyper.get("pad", 0)
    window = (hyper["pool_h"], hyper["pool_w"])
    stride = hyper.get("stride", 2)

    def fn(x):
        x = _nchw_to_nhwc(x)
        padding = "VALID"
        if pad and pad_value is None:
            padding = ((pad, pad), (pad, pad))
        elif pad:
            x = jnp.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=pad_value)
        return _nhwc_to_nchw(nnx.max_pool(x, window, strides=(stride, stride), padding=padding))

    return Counterpart(fn=fn)


def mul(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=jnp.multiply)


def add(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=jnp.add)


# --- functions ---------------------------------------------------------------------------------

def softmax(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=lambda x: nnx.softmax(x, axis=-1))


def cross_entropy_error(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=_book_cross_entropy)


def sum_squared_error(arrays, hyper, dtype, device="cpu"):
    """sum(optax.l2_loss(y, t)) = 0.5 * sum((y - t)^2) (``l2_loss`` carries the 0.5; ``squared_error`` does not)."""
    return Counterpart(fn=lambda y, t: jnp.sum(optax.l2_loss(y, t)))


# --- the layout matrix (parity.registry.layouts): nnx.Conv / nnx.max_pool as users write them ----
# Flax's convolution and pooling take NHWC only (no data-format argument): channels_last alone.

_FLAX_PADDING = {"same": "SAME", "valid": "VALID"}


def _flax_padding(padding):
    return ((padding, padding), (padding, padding)) if isinstance(padding, int) else _FLAX_PADDING[padding]


def convolution_channels_last(arrays, hyper, dtype, device="cpu", padding="valid", use_bias=True):
    """nnx.Conv(padding="SAME" / "VALID" / ((p, p), (p, p)), use_bias=...), kernel HWIO, NHWC."""
    W = arrays["W"]
    FN, C, FH, FW = W.shape
    dt = _dtype(dtype)
    conv = nnx.Conv(C, FN, (FH, FW), strides=hyper.get("stride", 1), padding=_flax_padding(padding),
                    use_bias=use_bias, dtype=dt, param_dtype=dt, precision=HIGHEST, rngs=nnx.Rngs(0))
    conv.kernel[...] = tensor(W.transpose(2, 3, 1, 0), device)
    params = {"W": conv.kernel}
    if use_bias:
        conv.bias[...] = tensor(arrays["b"], device)
        params["b"] = conv.bias
    return Counterpart(fn=Bound(lambda m, x: _nhwc_to_nchw(m(_nchw_to_nhwc(x))), conv), params=params,
                       to_book={"W": lambda g: g.transpose(3, 2, 0, 1)}, stored=_stored(conv, **params), module=conv)


def pooling_channels_last(arrays, hyper, dtype, device="cpu", padding="valid"):
    """nnx.max_pool(padding="SAME" / "VALID" / pairs) on NHWC (its padding value is -inf)."""
    window = (hyper["pool_h"], hyper["pool_w"])
    stride = hyper.get("stride", 2)
    return Counterpart(fn=lambda x: _nhwc_to_nchw(nnx.max_pool(_nchw_to_nhwc(x), window, strides=(stride, stride),
                                                               padding=_flax_padding(padding))))
