"""The layer sequence of an experiment's network, named as the book names its layers.

Every framework's trainer builds this sequence and its ``trace`` (one forward and backward pass,
see ``harness.forensics``) names each intermediate after it, so two frameworks' traces line up
name by name:

    >>> layer_names({"kind": "MultiLayerNet", "hidden_size_list": [50], "activation": "relu"})
    [('Affine1', 'affine'), ('Relu1', 'relu'), ('Affine2', 'affine')]
    >>> [n for n, _ in layer_names({"kind": "SimpleConvNet", "input_dim": [1, 28, 28],
    ...   "conv_param": {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1},
    ...   "hidden_size": 100, "output_size": 10})]
    ['Conv1', 'Relu1', 'Pool1', 'Affine1', 'Relu2', 'Affine2']

A trace holds, in this order: each layer's output under its name (the last Affine's output is the
scores), ``softmax``, then ``d<name>`` (the gradient of the training loss with respect to that
output, last layer first), ``grad <key>`` per parameter (book layout), and for batch norm
``<name>.mean`` / ``<name>.var`` (the batch statistics it normalized with).

The convolutional nets (``layers``): the book's ``SimpleConvNet`` (conv - relu - pool 2x2 -
affine - relu - affine) and ``DeepConvNet`` (six 3x3 convs with a pool after every second, affine
- relu - dropout - affine - dropout), as layer specs every framework builds from: {"name", "kind"
(conv, relu, pool, affine, dropout), "W"/"b" (parameter keys) and "shape" (W's, book layout),
"stride"/"pad" (conv), "ratio" (dropout), "out" (the output shape of one sample)}.
"""
import math

from reference.deep_convnet import CONV_PARAMS

ACTIVATION_LAYER = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
CONV_KINDS = ("SimpleConvNet", "DeepConvNet")
# The book's DeepConvNet convolutions (conv_param_1 .. conv_param_6), read off the reference.
DEEP_CONV_PARAMS = CONV_PARAMS


def is_conv(network):
    return network.get("kind") in CONV_KINDS


def _out(n, k, stride, pad):
    return (n + 2 * pad - k) // stride + 1


def layers(network):
    """The layer specs of a convolutional ``network`` table in forward order (see module doc)."""
    if not is_conv(network):
        raise ValueError(f"layers: {network.get('kind')!r} is not a convolutional net ({CONV_KINDS})")
    c, h, w = network["input_dim"]
    convs = [network["conv_param"]] if network["kind"] == "SimpleConvNet" else network.get(
        "conv_params", list(DEEP_CONV_PARAMS))
    pool_after = {1} if network["kind"] == "SimpleConvNet" else {2, 4, 6}
    specs, key, n_relu, n_pool = [], 1, 0, 0
    for idx, cp in enumerate(convs, start=1):
        fn, fs, stride, pad = cp["filter_num"], cp["filter_size"], cp["stride"], cp["pad"]
        h, w = _out(h, fs, stride, pad), _out(w, fs, stride, pad)
        specs.append({"name": f"Conv{idx}", "kind": "conv", "W": f"W{key}", "b": f"b{key}",
                      "shape": (fn, c, fs, fs), "stride": stride, "pad": pad, "out": (fn, h, w)})
        key, c, n_relu = key + 1, fn, n_relu + 1
        specs.append({"name": f"Relu{n_relu}", "kind": "relu", "out": (c, h, w)})
        if idx in pool_after:
            h, w, n_pool = _out(h, 2, 2, 0), _out(w, 2, 2, 0), n_pool + 1
            specs.append({"name": f"Pool{n_pool}", "kind": "pool", "out": (c, h, w)})
        if min(h, w) < 1:
            raise ValueError(f"{network['kind']}: input {network['input_dim']} is too small for its convolutions")
    dropout = network.get("dropout_ratio") if network["kind"] == "DeepConvNet" else None
    sizes = [c * h * w, network["hidden_size"], network["output_size"]]
    for idx in (1, 2):
        specs.append({"name": f"Affine{idx}", "kind": "affine", "W": f"W{key}", "b": f"b{key}",
                      "shape": (sizes[idx - 1], sizes[idx]), "out": (sizes[idx],)})
        key += 1
        if idx == 1:
            n_relu += 1
            specs.append({"name": f"Relu{n_relu}", "kind": "relu", "out": (sizes[1],)})
        if dropout is not None:
            specs.append({"name": f"Dropout{idx}", "kind": "dropout", "ratio": dropout, "out": (sizes[idx],)})
    return specs


def layer_names(network):
    """[(name, kind)] in forward order for an experiment's ``network`` table."""
    if is_conv(network):
        return [(s["name"], s["kind"]) for s in layers(network)]
    hidden = network["hidden_size_list"]
    names = []
    for idx in range(1, len(hidden) + 2):
        names.append((f"Affine{idx}", "affine"))
        if idx <= len(hidden):
            if network.get("use_batchnorm"):
                names.append((f"BatchNorm{idx}", "batchnorm"))
            names.append((f"{ACTIVATION_LAYER[network['activation']]}{idx}", network["activation"]))
    return names


def param_layers(network):
    """{parameter key: (layer name, the book layer's gradient attribute)}: W1 -> ("Conv1", "dW")."""
    if is_conv(network):
        return {s[p]: (s["name"], f"d{p}") for s in layers(network) if "W" in s for p in ("W", "b")}
    out = {}
    for idx in range(1, len(network["hidden_size_list"]) + 2):
        out[f"W{idx}"], out[f"b{idx}"] = (f"Affine{idx}", "dW"), (f"Affine{idx}", "db")
    if network.get("use_batchnorm"):
        for idx in range(1, len(network["hidden_size_list"]) + 1):
            out[f"gamma{idx}"], out[f"beta{idx}"] = (f"BatchNorm{idx}", "dgamma"), (f"BatchNorm{idx}", "dbeta")
    return out


def input_shape(network):
    """The shape of one sample: (input_size,) for the MLPs, (C, H, W) for the conv nets."""
    return tuple(network["input_dim"]) if is_conv(network) else (network["input_size"],)


def param_shapes(network):
    """[(key, shape, "weight" | "zeros" | "ones")] in the book's key order (the order its
    constructor draws the weights in)."""
    if is_conv(network):
        out = []
        for s in layers(network):
            if "W" in s:
                out += [(s["W"], s["shape"], "weight"), (s["b"], (s["shape"][0] if s["kind"] == "conv"
                                                                 else s["shape"][1],), "zeros")]
        return out
    sizes = [network["input_size"], *network["hidden_size_list"], network["output_size"]]
    out = []
    for idx in range(1, len(sizes)):
        out += [(f"W{idx}", (sizes[idx - 1], sizes[idx]), "weight"), (f"b{idx}", (sizes[idx],), "zeros")]
    if network.get("use_batchnorm"):
        for idx, size in enumerate(network["hidden_size_list"], start=1):
            out += [(f"gamma{idx}", (size,), "ones"), (f"beta{idx}", (size,), "zeros")]
    return out


def dropout_shapes(network, batch):
    """The mask shapes one training forward pass draws, in order ([] without dropout)."""
    if not is_conv(network):
        return []
    return [(batch, *s["out"]) for s in layers(network) if s["kind"] == "dropout"]


def multiply_adds(network):
    """Multiply-adds of one sample's forward pass (relative cost, for ordering the runs)."""
    if not is_conv(network):
        sizes = [network["input_size"], *network["hidden_size_list"], network["output_size"]]
        return sum(a * b for a, b in zip(sizes, sizes[1:]))
    return sum(math.prod(s["shape"][1:]) * math.prod(s["out"]) if s["kind"] == "conv" else math.prod(s["shape"])
               for s in layers(network) if "W" in s)


def input_of(names):
    """{layer name: the name of the layer whose output it takes} (the first takes "x")."""
    return {name: (names[i - 1][0] if i else "x") for i, (name, _) in enumerate(names)}
