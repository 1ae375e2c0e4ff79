"""Keras 3 counterparts of the book's layers and functions, on whichever backend ``KERAS_BACKEND``
selects (tensorflow, torch or jax), configured to the book's semantics.

Each builder is ``builder(arrays, hyper, dtype, device) -> Counterpart`` (see
``parity.backends.counterpart``). Every layer is created with ``dtype=`` the dtype under test (a
Keras layer casts its inputs to its compute dtype, float32 by default). Weights are copied from the
book's arrays: ``Dense.kernel = W``; ``Conv2D.kernel`` (HWIO) ``= W.transpose(2, 3, 1, 0)``.
Convolution and pooling run channels-last (TensorFlow's CPU kernels have no NCHW): the book's NCHW
input is transposed to NHWC inside the function and the output back, with ``keras.ops``.

Where Keras' default differs from the book:
- ``BatchNormalization``: momentum 0.99 -> 0.9 (same convention as the book: weight of the old
  value), epsilon 1e-3 -> 1e-6, moving variance initialized to ones -> zeros; Keras already uses
  the biased batch variance (measured: running stats equal the book's to rounding). 4-D input is
  flattened to (N, C*H*W) first, as the book does.
- pooling and convolution padding: explicit zero padding (``ops.pad``) then "valid" (Keras "same"
  padding is not the book's symmetric ``pad``).
- cross-entropy: the book's ``-sum(log(y + 1e-7)) / N`` written in ``keras.ops``;
  ``SoftmaxWithLoss``'s gradient is autodiff of ``categorical_crossentropy(from_logits=True)``
  (the book's backward, (y - t) / N, is the exact gradient of the loss without the 1e-7).
- dropout: the book's mask injected; train ``x * mask``, test ``x * (1 - ratio)`` (Keras'
  ``Dropout`` is inverted).
"""
import numpy as np

from parity.backends.counterpart import Counterpart
from parity.backends.keras import load_keras

keras = load_keras()
ops = keras.ops


def backend():
    return keras.backend.backend()


def tensor(a, device="cpu"):
    """A backend tensor holding NumPy ``a`` (dtype kept; integer labels become int64)."""
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)
    return ops.convert_to_tensor(np.array(a, order="C", copy=True), dtype=str(a.dtype))


def to_numpy(t):
    """A NumPy copy (never a view: variables updated in place later must not change it)."""
    if backend() == "torch":
        return np.array(t.detach().cpu().numpy(), copy=True)
    return np.array(ops.convert_to_numpy(t), copy=True)


def variable_numpy(variable):
    """A NumPy copy of a Keras Variable's value (through the backend's own tensor type)."""
    value = variable.value
    if backend() == "tensorflow":
        return np.array(value.numpy(), copy=True)
    return to_numpy(value)  # torch tensor or jax.Array


class _RecordingScope(keras.StatelessScope):
    """A StatelessScope that also keeps the Variables assigned inside it (BN moving statistics),
    so their new values can be returned from a traced function and assigned afterwards."""

    def __init__(self, state_mapping):
        super().__init__(state_mapping=state_mapping)
        self.assigned = {}

    def add_update(self, update):
        super().add_update(update)
        self.assigned[id(update[0])] = update[0]


def _jax_vjp(fn, xs, cs, params, dout):
    """(output, [d input, ..., d param, ...]) by ``jax.vjp`` through a Keras function on the JAX backend.

    The parameters' values are passed in through a ``StatelessScope(state_mapping=...)`` (Keras'
    own stateless-call mechanism: JAX can only differentiate values it is given, not Variables
    read inside ``fn``); variables ``fn`` assigns (batch-norm moving mean / variance) are taken
    out of the scope as auxiliary output and assigned after the trace, as Keras' JAX trainer does.
    """
    import jax

    variables = list(params.values())
    updated = []

    def pure(x_values, p_values):
        with _RecordingScope(list(zip(variables, p_values))) as scope:
            out = fn(*x_values, *cs)
        updated[:] = [v for k, v in scope.assigned.items() if all(k != id(p) for p in variables)]
        return out, [scope.get_current_value(v) for v in updated]

    out, vjp, new_values = jax.vjp(pure, list(xs), [v.value for v in variables], has_aux=True)
    for variable, value in zip(updated, new_values):
        variable.assign(value)
    d_inputs, d_params = vjp(ops.cast(tensor(dout), out.dtype))
    return out, list(d_inputs) + list(d_params)


def grad(fn, inputs, params, dout, constants=None, device="cpu"):
    """Forward ``fn`` and its gradients by the backend's autodiff (tf.GradientTape, torch autograd,
    or jax.vjp through a StatelessScope, see ``_jax_vjp``).

    inputs: {name: NumPy} differentiated, constants: {name: NumPy} not, passed to ``fn`` positionally
    in that order; params: {name: keras
    Variable}; dout: the upstream gradient (NumPy). Returns (output, {input name: grad},
    {param name: grad in Keras layout}) as NumPy.
    """
    constants = constants or {}
    if backend() == "tensorflow":
        import tensorflow as tf

        xs = {k: tensor(v) for k, v in inputs.items()}
        cs = {k: tensor(v) for k, v in constants.items()}
        with tf.GradientTape() as tape:
            for x in xs.values():
                tape.watch(x)
            out = fn(*xs.values(), *cs.values())
        sources = [*xs.values(), *(p.value for p in params.values())]
        grads = tape.gradient(out, sources, output_gradients=tf.cast(tensor(dout), out.dtype),
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
    elif backend() == "torch":
        import torch

        xs = {k: tensor(v).requires_grad_(True) for k, v in inputs.items()}
        cs = {k: tensor(v) for k, v in constants.items()}
        out = fn(*xs.values(), *cs.values())
        sources = [*xs.values(), *(p.value for p in params.values())]
        grads = torch.autograd.grad(out, sources, grad_outputs=tensor(dout).to(out.dtype), allow_unused=True)
        grads = [torch.zeros_like(s) if g is None else g for s, g in zip(sources, grads)]
    elif backend() == "jax":
        xs = {k: tensor(v) for k, v in inputs.items()}
        cs = [tensor(v) for v in constants.values()]
        out, grads = _jax_vjp(fn, xs.values(), cs, params, dout)
    else:
        raise ValueError(f"keras backend {backend()!r}: gradients implemented for tensorflow, torch and jax")
    as_np = [to_numpy(g) for g in grads]
    n = len(xs)
    return to_numpy(out), dict(zip(xs, as_np[:n])), dict(zip(params, as_np[n:]))


def evaluate(fn, inputs, constants=None, device="cpu"):
    args = [tensor(v) for v in (*inputs.values(), *(constants or {}).values())]
    return to_numpy(fn(*args))


def _stored(layer=None, **variables):
    """{name: dtype} of the variables plus the layer's compute dtype (what its inputs are cast to)."""
    def stored():
        d = {k: keras.backend.standardize_dtype(v.dtype) for k, v in variables.items()}
        if layer is not None:
            d["compute"] = str(layer.compute_dtype)
        return d
    return stored


def _nchw_to_nhwc(x):
    return ops.transpose(x, (0, 2, 3, 1))


def _nhwc_to_nchw(x):
    return ops.transpose(x, (0, 3, 1, 2))


def _zero_pad_nhwc(x, pad):
    return ops.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]) if pad else x


# --- layers ------------------------------------------------------------------------------------

def affine(arrays, hyper, dtype, device="cpu"):
    """Dense(M): kernel = W (D, M), bias = b; x flattened to (N, D) like the book."""
    W, b = arrays["W"], arrays["b"]
    dense = keras.layers.Dense(W.shape[1], dtype=dtype)
    dense.build((None, W.shape[0]))
    dense.kernel.assign(W)
    dense.bias.assign(b)
    return Counterpart(fn=lambda x: dense(ops.reshape(x, (x.shape[0], -1))),
                       params={"W": dense.kernel, "b": dense.bias},
                       stored=_stored(dense, W=dense.kernel, b=dense.bias), module=dense)


def _activation(name):
    def build(arrays, hyper, dtype, device="cpu"):
        layer = keras.layers.Activation(name, dtype=dtype)
        return Counterpart(fn=layer, stored=_stored(layer), module=layer)
    build.__name__ = name
    build.__doc__ = f"keras.layers.Activation({name!r}) in the dtype under test."
    return build


relu = _activation("relu")
sigmoid = _activation("sigmoid")
tanh = _activation("tanh")
identity_function = _activation("linear")


def _book_cross_entropy(y, t):
    """-sum(log(y_t + 1e-7)) / N over rows; t labels (N,) or one-hot (N, C); 1-D y is one row."""
    if len(y.shape) == 1:
        y = ops.reshape(y, (1, -1))
        t = ops.reshape(t, (1, -1)) if int(np.prod(t.shape)) == int(np.prod(y.shape)) else ops.reshape(t, (1,))
    if tuple(t.shape) == tuple(y.shape):  # one-hot: the book takes argmax(t)
        t = ops.argmax(t, axis=1)
    picked = ops.take_along_axis(y, ops.reshape(ops.cast(t, "int64"), (-1, 1)), axis=1)
    return -ops.sum(ops.log(picked + 1e-7)) / y.shape[0]


def softmax_with_loss(arrays, hyper, dtype, device="cpu"):
    """forward: the book's loss in keras.ops; gradient: autodiff of Keras' cross-entropy (mean)."""
    def forward(x, t):
        return _book_cross_entropy(ops.softmax(x, axis=-1), t)

    def loss_for_gradient(x, t):
        if tuple(t.shape) == tuple(x.shape):
            per_row = keras.losses.categorical_crossentropy(t, x, from_logits=True)
        else:
            per_row = keras.losses.sparse_categorical_crossentropy(t, x, from_logits=True)
        return ops.mean(per_row)

    return Counterpart(fn=forward, grad_fn=loss_for_gradient)


def book_batch_norm(momentum=0.9, dtype="float64"):
    """keras BatchNormalization with the book's semantics on (N, D) input.

    momentum 0.9 (Keras writes momentum the book's way: new = momentum * old + (1 - momentum) *
    batch), epsilon 1e-6, moving mean and variance from zeros; the batch variance is biased, as
    the book's. For 4-D book input flatten to (N, C*H*W) first (the book normalizes per activation).
    """
    return keras.layers.BatchNormalization(axis=-1, momentum=momentum, epsilon=1e-6,
                                           moving_mean_initializer="zeros",
                                           moving_variance_initializer="zeros", dtype=dtype)


def batch_normalization(arrays, hyper, dtype, device="cpu"):
    gamma, beta = arrays["gamma"], arrays["beta"]
    bn = book_batch_norm(momentum=hyper.get("momentum", 0.9), dtype=dtype)
    bn.build((None, gamma.size))
    bn.gamma.assign(gamma)
    bn.beta.assign(beta)

    def call(x, training):
        return ops.reshape(bn(ops.reshape(x, (x.shape[0], -1)), training=training), x.shape)

    return Counterpart(
        fn=lambda x: call(x, True), eval_fn=lambda x: call(x, False),
        params={"gamma": bn.gamma, "beta": bn.beta},
        state=lambda: {"running_mean": variable_numpy(bn.moving_mean),
                       "running_var": variable_numpy(bn.moving_variance)},
        stored=_stored(bn, gamma=bn.gamma, beta=bn.beta, running_mean=bn.moving_mean,
                       running_var=bn.moving_variance),
        module=bn)


def dropout(arrays, hyper, dtype, device="cpu"):
    """The book's dropout with its mask injected: train x * mask, test x * (1 - ratio)."""
    mask = tensor(arrays["mask"].astype(dtype))
    # NOTE: a Python float would become a float32 tensor on the torch backend (floatx): pass
    # 1 - ratio as a tensor in the dtype under test.
    keep = tensor(np.asarray(1.0 - hyper["dropout_ratio"], dtype=dtype))
    return Counterpart(fn=lambda x: ops.multiply(x, mask), eval_fn=lambda x: ops.multiply(x, keep),
                       stored=_stored(mask=mask, keep=keep))


def convolution(arrays, hyper, dtype, device="cpu"):
    """Conv2D channels-last: kernel HWIO = W.transpose(2, 3, 1, 0); NCHW <-> NHWC around it."""
    W, b = arrays["W"], arrays["b"]
    FN, C, FH, FW = W.shape
    stride, pad = hyper.get("stride", 1), hyper.get("pad", 0)
    conv = keras.layers.Conv2D(FN, (FH, FW), strides=stride, padding="valid", dtype=dtype)
    conv.build((None, None, None, C))
    conv.kernel.assign(W.transpose(2, 3, 1, 0))
    conv.bias.assign(b)
    return Counterpart(
        fn=lambda x: _nhwc_to_nchw(conv(_zero_pad_nhwc(_nchw_to_nhwc(x), pad))),
        params={"W": conv.kernel, "b": conv.bias},
        to_book={"W": lambda g: g.transpose(3, 2, 0, 1)},
        stored=_stored(conv, W=conv.kernel, b=conv.bias), module=conv)


def pooling(arrays, hyper, dtype, device="cpu"):
    """MaxPooling2D "valid" after zero padding (the book's im2col pads with zeros), NHWC inside."""
    pad = hyper.get("pad", 0)
    pool = keras.layers.MaxPooling2D((hyper["pool_h"], hyper["pool_w"]), strides=hyper.get("stride", 2),
                                     padding="valid", dtype=dtype)
    return Counterpart(fn=lambda x: _nhwc_to_nchw(pool(_zero_pad_nhwc(_nchw_to_nhwc(x), pad))),
                       stored=_stored(pool), module=pool)


def mul(arrays, hyper, dtype, device="cpu"):
    layer = keras.layers.Multiply(dtype=dtype)
    return Counterpart(fn=lambda x, y: layer([x, y]), stored=_stored(layer), module=layer)


def add(arrays, hyper, dtype, device="cpu"):
    layer = keras.layers.Add(dtype=dtype)
    return Counterpart(fn=lambda x, y: layer([x, y]), stored=_stored(layer), module=layer)


# --- functions ---------------------------------------------------------------------------------

def softmax(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=lambda x: ops.softmax(x, axis=-1))


def cross_entropy_error(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=_book_cross_entropy)


def sum_squared_error(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=lambda y, t: 0.5 * ops.sum(ops.square(y - t)))


# --- the layout matrix (parity.registry.layouts): Conv2D / MaxPooling2D as users write them ------
# data_format "channels_first" takes the book's NCHW as it is, "channels_last" gets it transposed
# to NHWC and back; the kernel is HWIO in both (Keras' kernel layout does not follow data_format).
# padding "same" / "valid" is Keras' own argument; an int is ZeroPadding2D(int) then "valid".

_TO_FORMAT = {"channels_first": (lambda x: x, lambda y: y), "channels_last": (_nchw_to_nhwc, _nhwc_to_nchw)}


def _keras_padding(padding, data_format, dtype):
    """(the layer's padding argument, a ZeroPadding2D in front of it or None). NOTE: the
    ZeroPadding2D needs dtype= too: a layer without it casts float64 input to float32."""
    if isinstance(padding, int):
        return "valid", keras.layers.ZeroPadding2D(padding, data_format=data_format, dtype=dtype)
    return padding, None


def _conv_in_format(data_format):
    def build(arrays, hyper, dtype, device="cpu", padding="valid", use_bias=True):
        W = arrays["W"]
        FN, C, FH, FW = W.shape
        mode, zero_pad = _keras_padding(padding, data_format, dtype)
        conv = keras.layers.Conv2D(FN, (FH, FW), strides=hyper.get("stride", 1), padding=mode,
                                   data_format=data_format, use_bias=use_bias, dtype=dtype)
        conv.build((None, C, None, None) if data_format == "channels_first" else (None, None, None, C))
        conv.kernel.assign(W.transpose(2, 3, 1, 0))
        params = {"W": conv.kernel}
        if use_bias:
            conv.bias.assign(arrays["b"])
            params["b"] = conv.bias
        into, back = _TO_FORMAT[data_format]

        def fn(x):
            h = into(x)
            return back(conv(zero_pad(h) if zero_pad is not None else h))

        return Counterpart(fn=fn, params=params, to_book={"W": lambda g: g.transpose(3, 2, 0, 1)},
                           stored=_stored(conv, **params), module=conv)
    build.__name__ = f"convolution_{data_format}"
    build.__doc__ = f"Conv2D(data_format={data_format!r}, padding=..., use_bias=...), kernel HWIO."
    return build


def _pool_in_format(data_format):
    def build(arrays, hyper, dtype, device="cpu", padding="valid"):
        mode, zero_pad = _keras_padding(padding, data_format, dtype)
        pool = keras.layers.MaxPooling2D((hyper["pool_h"], hyper["pool_w"]), strides=hyper.get("stride", 2),
                                         padding=mode, data_format=data_format, dtype=dtype)
        into, back = _TO_FORMAT[data_format]

        def fn(x):
            h = into(x)
            return back(pool(zero_pad(h) if zero_pad is not None else h))

        return Counterpart(fn=fn, stored=_stored(pool), module=pool)
    build.__name__ = f"pooling_{data_format}"
    build.__doc__ = f"MaxPooling2D(data_format={data_format!r}, padding=...)."
    return build


convolution_channels_first = _conv_in_format("channels_first")
convolution_channels_last = _conv_in_format("channels_last")
pooling_channels_first = _pool_in_format("channels_first")
pooling_channels_last = _pool_in_format("channels_last")
