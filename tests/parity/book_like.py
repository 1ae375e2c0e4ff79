"""A folder that behaves, behaviour by behaviour, like the book's published ``common/``
(oreilly-japan/deep-learning-from-scratch), written as edits of the shipped reference (no code of
the book's is copied):

- the im2col / col2im buffers are float64 whatever the input (``np.zeros`` without a dtype), so
  float32 convolution and pooling come back float64;
- the batch-norm running statistics start as float64 zeros (``np.zeros(D)``), so a float32 layer's
  running averages and inference output are float64;
- ``Pooling.forward`` sizes its output without ``pad`` (``1 + (H - pool_h) / stride``) while
  im2col pads: every pad > 0 fails to reshape;
- the nets know two activations, 'relu' and 'sigmoid' (``KeyError`` for 'tanh'), and draw their
  weights inline with ``np.random.randn`` from ``weight_init_std``: there is no ``init.py``;
- the files are the book's: no ``two_layer_net.py`` / ``three_layer_net.py`` / conv nets (the book
  keeps those in its chapter folders).
"""
from parity.verify.patch import Append, Drop, Edit, reference_copy

_INLINE_INIT = '''def init_weight(weight_init_std, shape, rng=None, dtype=None):
    """The book's inline law (no init module): 'relu'/'he' sqrt(2/n_in), 'sigmoid'/'xavier'
    sqrt(1/n_in), else the float; drawn with np.random.randn in float64 (rng and dtype unused)."""
    scale = weight_init_std
    if str(weight_init_std).lower() in ("relu", "he"):
        scale = np.sqrt(2.0 / shape[0])
    elif str(weight_init_std).lower() in ("sigmoid", "xavier"):
        scale = np.sqrt(1.0 / shape[0])
    return scale * np.random.randn(*shape)
'''

_FLOAT64_BUFFERS = '''_im2col_in_input_dtype, _col2im_in_input_dtype = im2col, col2im


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """The book's im2col keeps its buffer in float64."""
    return _im2col_in_input_dtype(input_data, filter_h, filter_w, stride, pad).astype(np.float64)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im sums into a float64 image."""
    return _col2im_in_input_dtype(col, input_shape, filter_h, filter_w, stride, pad).astype(np.float64)
'''

EDITS = (
    Drop("init.py"), Drop("two_layer_net.py"), Drop("three_layer_net.py"), Drop("gradient_vectorized.py"),
    Drop("simple_convnet.py"), Drop("deep_convnet.py"), Drop("params_io.py"),
    Append("util.py", _FLOAT64_BUFFERS),
    Edit("layers.py", "self.running_mean = np.zeros(D, dtype=x.dtype)", "self.running_mean = np.zeros(D)"),
    Edit("layers.py", "self.running_var = np.zeros(D, dtype=x.dtype)", "self.running_var = np.zeros(D)"),
    Edit("layers.py", "dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)", "dmax = np.zeros((dout.size, pool_size))"),
    Edit("layers.py", "out_h = conv_output_size(H, self.pool_h, self.stride, self.pad)",
         "out_h = int(1 + (H - self.pool_h) / self.stride)"),
    Edit("layers.py", "out_w = conv_output_size(W, self.pool_w, self.stride, self.pad)",
         "out_w = int(1 + (W - self.pool_w) / self.stride)"),
    Edit("multi_layer_net.py", 'ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid, "tanh": Tanh}',
         'ACTIVATIONS = {"sigmoid": Sigmoid, "relu": Relu}'),
    Edit("multi_layer_net.py", "    try:\n        return ACTIVATIONS[name]()\n    except (KeyError, TypeError):\n"
                               "        raise ValueError(f\"{where}: unknown activation {name!r}; use one of "
                               "{sorted(ACTIVATIONS)}\") from None\n",
         "    return ACTIVATIONS[name]()  # KeyError for 'tanh', as the book\n"),
    Edit("multi_layer_net.py", "from common.init import init_weight\n", ""),
    Append("multi_layer_net.py", _INLINE_INIT),
)


def book_like_common(dest, extra=()):
    """Write the book-like folder to ``dest`` (with ``extra`` edits after the book's); returns it."""
    return reference_copy(dest, EDITS + tuple(extra))
