"""Keras 3 counterparts of the book's layers and functions, on whichever backend ``KERAS_BACKEND``
selects (tensorflow, torch or jax), configured to the book's semantics.

Each builder is ``builder(arrays, hyper, dtype, device, **config) -> Counterpart`` (see
``parity.backends.counterpart``); ``config`` defaults to the book-matching configuration, the
catalogue (``parity.catalogue``) passes Keras' own defaults to measure them. Every layer is created with ``dtype=`` the dtype under test (a
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
from parity.backends.keras import autodiff, load_keras

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


def grad(fn, inputs, params, dout, constants=None, device="cpu"):
    """Forward ``fn`` and its gradients by the backend's autodiff (``parity.backends.keras.autodiff``).

    inputs: {name: NumPy} differentiated, constants: {name: NumPy} not, passed to ``fn`` positionally
    in that order; params: {name: keras Variable}; dout: the upstream gradient (NumPy). Returns
    (output, {input name: grad}, {param name: grad in Keras layout}) as NumPy.
    """
    xs = {k: tensor(v) for k, v in inputs.items()}
    cs = [tensor(v) for v in (constants or {}).values()]
    out, d_inputs, d_params = autodiff.vjp(fn, xs.values(), params.values(), tensor(dout), cs)
    return (to_numpy(out), dict(zip(xs, map(to_numpy, d_inputs))), dict(zip(params, map(to_numpy, d_params))))


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


def _keras_loss(kind, sparse, from_logits, dtype):
    """The cross-entropy a Keras user writes: the loss FUNCTION (computes in its inputs' dtype) or
    the loss CLASS (``CategoricalCrossentropy()``: casts its inputs to ``dtype``, default floatx,
    float32), sparse (labels) or dense (one-hot), per row or averaged."""
    if kind == "function":
        fn = keras.losses.sparse_categorical_crossentropy if sparse else keras.losses.categorical_crossentropy
        return lambda t, y: ops.mean(fn(t, y, from_logits=from_logits))
    if kind == "class":
        cls = keras.losses.SparseCategoricalCrossentropy if sparse else keras.losses.CategoricalCrossentropy
        return cls(from_logits=from_logits, dtype=dtype)
    raise ValueError(f"keras loss: kind must be 'function' or 'class', got {kind!r}")


def softmax_with_loss(arrays, hyper, dtype, device="cpu", gradient_loss="function", loss_dtype=None,
                      from_logits=True, gradient_input="logits"):
    """forward: the book's loss in keras.ops; gradient: autodiff of Keras' cross-entropy (mean).

    gradient_loss: "function" (``categorical_crossentropy``) or "class" (``CategoricalCrossentropy``,
    computing in ``loss_dtype``, None: floatx); from_logits and gradient_input ("logits" or
    "softmax": the scores go through ``ops.softmax`` first) as a user writes them."""
    def forward(x, t):
        return _book_cross_entropy(ops.softmax(x, axis=-1), t)

    def loss_for_gradient(x, t):
        loss = _keras_loss(gradient_loss, tuple(t.shape) != tuple(x.shape), from_logits, loss_dtype)
        scores = ops.softmax(x, axis=-1) if gradient_input == "softmax" else x
        return loss(t, scores)

    return Counterpart(fn=forward, grad_fn=loss_for_gradient)


def book_batch_norm(momentum=0.9, dtype="float64", epsilon=1e-6, moving_variance_initializer="zeros", axis=-1,
                    per_channel=False):
    """keras BatchNormalization with the book's semantics on (N, D) input.

    momentum 0.9 (Keras writes momentum the book's way: new = momentum * old + (1 - momentum) *
    batch), epsilon 1e-6, moving mean and variance from zeros; the batch variance is biased, as
    the book's. For 4-D book input flatten to (N, C*H*W) first (the book normalizes per activation).
    per_channel: ``axis=1`` without scale and center (statistics per channel of NCHW input, the
    book's per-activation gamma / beta applied after it; Keras' way of normalizing images); the
    builder's ``per_channel`` is the number of channels C.
    """
    return keras.layers.BatchNormalization(axis=1 if per_channel else axis, momentum=momentum, epsilon=epsilon,
                                           center=not per_channel, scale=not per_channel,
                                           moving_mean_initializer="zeros",
                                           moving_variance_initializer=moving_variance_initializer, dtype=dtype)


def batch_normalization(arrays, hyper, dtype, device="cpu", momentum=None, epsilon=1e-6,
                        moving_variance_initializer="zeros", per_channel=False):
    """The book's BatchNormalization on ``keras.layers.BatchNormalization``; the keyword arguments in
    Keras' terms (its defaults: momentum 0.99, epsilon 1e-3, moving_variance_initializer "ones";
    momentum None: the book's, from the case)."""
    gamma, beta = arrays["gamma"], arrays["beta"]
    bn = book_batch_norm(momentum=hyper.get("momentum", 0.9) if momentum is None else momentum, dtype=dtype,
                         epsilon=epsilon, moving_variance_initializer=moving_variance_initializer,
                         per_channel=per_channel)
    if per_channel:
        bn.build((None, int(per_channel), 1, 1))
        g = keras.Variable(gamma, dtype=dtype, name="gamma")
        b = keras.Variable(beta, dtype=dtype, name="beta")

        def call(x, training):
            out = bn(x, training=training)
            return ops.reshape(ops.reshape(out, (x.shape[0], -1)) * g + b, x.shape)

        def state():
            spread = np.ones(gamma.size // int(per_channel))
            return {"running_mean": np.outer(variable_numpy(bn.moving_mean), spread).ravel(),
                    "running_var": np.outer(variable_numpy(bn.moving_variance), spread).ravel()}

        return Counterpart(fn=lambda x: call(x, True), eval_fn=lambda x: call(x, False),
                           params={"gamma": g, "beta": b}, state=state, stored=_stored(bn, gamma=g, beta=b),
                           module=bn)
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


def dropout(arrays, hyper, dtype, device="cpu", inverted=False):
    """The book's dropout with its mask injected: train x * mask, test x * (1 - ratio).
    inverted: Keras' ``Dropout`` with that mask, train x * mask / (1 - ratio), test x."""
    mask = tensor(arrays["mask"].astype(dtype))
    # NOTE: a Python float would become a float32 tensor on the torch backend (floatx): pass
    # 1 - ratio as a tensor in the dtype under test.
    keep = tensor(np.asarray(1.0 - hyper["dropout_ratio"], dtype=dtype))
    if inverted:
        return Counterpart(fn=lambda x: ops.divide(ops.multiply(x, mask), keep), eval_fn=lambda x: x,
                           stored=_stored(mask=mask, keep=keep))
    return Counterpart(fn=lambda x: ops.multiply(x, mask), eval_fn=lambda x: ops.multiply(x, keep),
                       stored=_stored(mask=mask, keep=keep))


def convolution(arrays, hyper, dtype, device="cpu", padding="valid"):
    """Conv2D channels-last: kernel HWIO = W.transpose(2, 3, 1, 0); NCHW <-> NHWC around it; the
    book's ``pad`` as explicit zeros then "valid" (``padding="same"``: Keras' own instead of them)."""
    W, b = arrays["W"], arrays["b"]
    FN, C, FH, FW = W.shape
    stride, pad = hyper.get("stride", 1), hyper.get("pad", 0)
    if padding not in ("valid", "same"):
        raise ValueError(f"convolution: padding must be 'valid' or 'same', got {padding!r}")
    if padding == "same":
        pad = 0
    conv = keras.layers.Conv2D(FN, (FH, FW), strides=stride, padding=padding, dtype=dtype)
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


def cross_entropy_error(arrays, hyper, dtype, device="cpu", form="book", loss_dtype=None):
    """The book's -sum(log(y_t + 1e-7)) / N in keras.ops; ``form`` "function" / "class": Keras'
    categorical (one-hot t) or sparse (labels) cross-entropy on the probabilities
    (``from_logits=False``: clip to [1e-7, 1 - 1e-7], no 1e-7 added), averaged."""
    if form == "book":
        return Counterpart(fn=_book_cross_entropy)

    def fn(y, t):
        if len(y.shape) == 1:
            y = ops.reshape(y, (1, -1))
            t = ops.reshape(t, (1, -1)) if int(np.prod(t.shape)) == int(np.prod(y.shape)) else ops.reshape(t, (1,))
        return _keras_loss(form, tuple(t.shape) != tuple(y.shape), False, loss_dtype)(t, y)

    return Counterpart(fn=fn)


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
