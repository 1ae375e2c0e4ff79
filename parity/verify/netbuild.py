"""Building a user's net for the net checks: from its constructor's signature, with the options
its code supports, seeded weights, and its randomness under control.

- ``build(cls, config)``: the constructor is read with ``inspect.signature`` and called with the
  book's argument names only (``input_size``, ``hidden_size``, ``hidden_size1..N``,
  ``hidden_size_list``, ``output_size``, ``weight_init_std``, ``activation``,
  ``weight_decay_lambda``, ``use_batchnorm``, ``use_dropout``, ``dropout_ration``), small sizes.
  An argument without a default that is none of these is a ``NetBuildError`` naming it and how
  to give a factory instead. ``activation`` is tried in the configuration's order of preference
  (tanh and sigmoid first: no ReLU kink near a pre-activation for the numerical gradient) until the
  class accepts one: the book's ``MultiLayerNetExtend`` knows 'relu' and 'sigmoid' only. The
  parameters are then overwritten in place with seeded values (so layers sharing the arrays see
  them): W, b ~ N(0, s^2) with s = min(0.3, 1/sqrt(fan-in)), gamma 1 + N(0, 0.2^2), beta N(0, 0.2^2);
  where a ReLU input or a max-pool tie lies within ``KINK_MARGIN`` of the data, the next seed.
- ``Randomness``: a net whose training loss differs between two calls on the same batch (dropout
  active in ``loss``) is checked with NumPy's global RNG reseeded before every call, so every call
  draws the same mask; a net whose loss stays random after that cannot be gradient-checked.
- ``reference_twin(net)``: the shipped ``MultiLayerNetExtend`` with the same architecture as the
  user's ``layers`` (Affine [BatchNormalization] activation [Dropout] ... Affine) and the user's
  weights copied in by layer position; None, and why, where the user's layers are another
  architecture (the forward and predict comparisons then do not run).
"""
from dataclasses import dataclass, field
import inspect

import numpy as np

SEED = 1234
N, D, C = 4, 6, 3
ACTIVATION_CLASSES = {"Relu": "relu", "ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}
LAYER_KINDS = {"Affine": "Affine", "BatchNormalization": "BatchNormalization", "BatchNorm": "BatchNormalization",
               "Dropout": "Dropout", **{k: "activation" for k in ACTIVATION_CLASSES}}
FACTORY_HINT = ("give a factory that returns the net built small (input_size 6, output_size 3): "
                "--net-factory module:function, or net_factories={name: fn} in Python")


def layer_items(net):
    """[(name, layer)] of the net's ``layers``: an OrderedDict's items (the book's MLPs and
    SimpleConvNet), or a list's, named by class and position (the book's DeepConvNet: "Convolution0",
    "Relu1", ...); [] where it has none."""
    layers = getattr(net, "layers", None)
    if isinstance(layers, dict):
        return list(layers.items())
    if isinstance(layers, (list, tuple)):
        return [(f"{type(layer).__name__}{i}", layer) for i, layer in enumerate(layers)]
    return []


class NetBuildError(ValueError):
    """The net cannot be built from its constructor's signature (the message says which argument)."""


@dataclass(frozen=True)
class NetConfig:
    """How to build one of the book's nets small. hidden: the hidden sizes; options: the keyword
    arguments that exercise what the seeds got wrong (weight decay, batch norm); activations:
    the order in which activations are tried."""
    name: str
    reference: str          # where the implementation holds the class
    hidden: tuple
    options: dict = field(default_factory=dict)
    activations: tuple = ("tanh", "sigmoid", "relu")
    input_size: int = D
    output_size: int = C
    input_dim: tuple = None      # conv nets: (C, H, W) of one sample; None: x is (N, input_size)
    fallback: object = None      # the configuration tried where this one does not run the class (its sizes)


# Small convolutions for the book's conv nets: 3 filters of 3x3 on 1x8x8 (SimpleConvNet: conv 6x6,
# pool 2x2 -> 3x3x3 into affine 5; the book's SimpleConvNet sizes its affine as filter_num *
# (conv_out / 2)^2, right only for an even conv output, as its 28x28 / 5x5 gives); DeepConvNet: six 2-filter 3x3 convolutions with pad 1 on 1x8x8,
# three poolings 8 -> 4 -> 2 -> 1.
_SMALL_CONV = {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1}
_DEEP_CONV = {"filter_num": 2, "filter_size": 3, "pad": 1, "stride": 1}

NETS = (
    NetConfig("TwoLayerNet", "two_layer_net.TwoLayerNet", (5,)),
    NetConfig("ThreeLayerNet", "three_layer_net.ThreeLayerNet", (5, 4), activations=("sigmoid", "tanh", "relu")),
    NetConfig("MultiLayerNet", "multi_layer_net.MultiLayerNet", (5, 4), {"weight_decay_lambda": 0.1},
              activations=("sigmoid", "tanh", "relu")),
    NetConfig("MultiLayerNetExtend", "multi_layer_net_extend.MultiLayerNetExtend", (5, 4, 4),
              {"weight_decay_lambda": 0.1, "use_batchnorm": True}),
    NetConfig("SimpleConvNet", "simple_convnet.SimpleConvNet", (5,), {"conv_param": _SMALL_CONV},
              activations=("relu",), input_dim=(1, 8, 8)),
    NetConfig("DeepConvNet", "deep_convnet.DeepConvNet", (5,),
              {f"conv_param_{i}": _DEEP_CONV for i in range(1, 7)}, activations=("relu",), input_dim=(1, 8, 8),
              # the book's DeepConvNet sizes its first affine as 64*4*4, whatever input_dim and filters say:
              # then it is checked at the book's own sizes (numerical gradient on sampled elements)
              fallback=NetConfig("DeepConvNet", "deep_convnet.DeepConvNet", (50,), activations=("relu",),
                                 input_dim=(1, 28, 28), output_size=10)),
)


def config(name):
    for c in NETS:
        if c.name == name:
            return c
    raise ValueError(f"no net configuration {name!r}; known: {[c.name for c in NETS]}")


def config_for(name):
    """The book's configuration for a book net's name; for any other net (``MyNet``,
    ``TwoLayerNet_Sigmoid``) two hidden layers, and weight decay and batch norm where its
    constructor takes them."""
    for c in NETS:
        if c.name == name:
            return c
    return NetConfig(name, "", (5, 4), {"weight_decay_lambda": 0.1, "use_batchnorm": True})


def load_factory(spec):
    """The callable named by "module:function" or "path/to/file.py:function" (or ``spec`` itself
    where it is callable)."""
    import importlib
    import importlib.util
    import os

    if callable(spec):
        return spec
    module_name, sep, function = str(spec).rpartition(":")
    if not sep or not module_name or not function:
        raise NetBuildError(f"net factory {spec!r}: give module:function or path/to/file.py:function")
    if module_name.endswith(".py") or os.sep in module_name:
        path = os.path.abspath(module_name)
        if not os.path.isfile(path):
            raise NetBuildError(f"net factory {spec!r}: no such file {path}")
        loader_spec = importlib.util.spec_from_file_location(f"_parity_factory_{abs(hash(path))}", path)
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    fn = getattr(module, function, None)
    if not callable(fn):
        raise NetBuildError(f"net factory {spec!r}: {module_name} has no function {function!r}")
    return fn


@dataclass
class Built:
    """A net ready to check, and how it was made (``notes``: one line each, for the report).
    kwargs: the constructor's keyword arguments (a reference net of the same configuration is
    built with them)."""
    net: object
    call: str
    activation: str = None
    notes: list = field(default_factory=list)
    kwargs: dict = field(default_factory=dict)
    kink: float = None    # where no seed kept the kinks away: the smallest distance found (else None)


def book_values(cfg):
    """The value of every book argument name for ``cfg``."""
    hidden = list(cfg.hidden)
    values = {"input_size": cfg.input_size, "output_size": cfg.output_size, "hidden_size": hidden[0],
              "hidden_size_list": hidden, **({"input_dim": cfg.input_dim} if cfg.input_dim else {}),
              "weight_init_std": 0.01, "dropout_ration": 0.5, "dropout_ratio": 0.5}
    for i in range(1, 10):
        values[f"hidden_size{i}"] = hidden[min(i, len(hidden)) - 1]
    return values


def _signature(cls):
    try:
        return inspect.signature(cls)
    except (TypeError, ValueError):
        return None


# The sizes that make the net small: passed wherever the signature has them, defaults or not.
SIZE_ARGUMENTS = ("input_size", "input_dim", "output_size", "hidden_size", "hidden_size_list",
                  *(f"hidden_size{i}" for i in range(1, 10)))


def arguments(cls, cfg):
    """The keyword arguments for ``cls`` (without the activation), or NetBuildError naming the
    argument that cannot be filled."""
    sig = _signature(cls)
    if sig is None:
        return dict(cfg.options)
    values = book_values(cfg)
    params = sig.parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {}
    for name, p in params.items():
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if name in cfg.options:
            kwargs[name] = cfg.options[name]
        elif name in SIZE_ARGUMENTS and name in values and p.kind is not inspect.Parameter.POSITIONAL_ONLY:
            kwargs[name] = values[name]
        elif p.default is inspect.Parameter.empty:
            if name not in values:
                raise NetBuildError(
                    f"{cls.__name__}{sig}: cannot fill the argument {name!r} (no default, and not one of the "
                    f"book's argument names {sorted(set(values) - {'dropout_ratio'})}); {FACTORY_HINT}")
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise NetBuildError(f"{cls.__name__}{sig}: {name!r} is positional-only; {FACTORY_HINT}")
            kwargs[name] = values[name]
    if takes_any:
        kwargs.update({k: v for k, v in cfg.options.items() if k not in kwargs})
    return kwargs


def _call_text(cls, kwargs):
    return f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"


def activation_of(net):
    """The activation the net's ``layers`` use ("relu", "sigmoid", "tanh"), or None."""
    for _, layer in layer_items(net):
        name = ACTIVATION_CLASSES.get(type(layer).__name__)
        if name:
            return name
    return None


def seed_weights(net, seed=SEED):
    """Overwrite ``net.params`` in place with seeded values (see the module docstring)."""
    params = getattr(net, "params", None)
    if not isinstance(params, dict) or not params:
        raise NetBuildError(f"{type(net).__name__}: `params` is not a non-empty dict of arrays "
                            f"(got {type(params).__name__})")
    rng = np.random.default_rng(seed)
    for key in sorted(params):
        p = params[key]
        if not isinstance(p, np.ndarray):
            raise NetBuildError(f"{type(net).__name__}.params[{key!r}] is a {type(p).__name__}, not a NumPy array")
        if key.startswith("gamma"):
            p[...] = 1.0 + 0.2 * rng.standard_normal(p.shape)
        elif key.startswith("beta"):
            p[...] = 0.2 * rng.standard_normal(p.shape)
        else:  # 0.3, or less where the fan-in is large (deep conv nets keep moderate logits)
            fan_in = int(np.prod(p.shape[1:])) if p.ndim == 4 else (p.shape[0] if p.ndim == 2 else 1)
            p[...] = min(0.3, 1.0 / np.sqrt(max(fan_in, 1))) * rng.standard_normal(p.shape)
    return net


def build(cls, cfg, activation=None, seeded=True, extra=None):
    """A ``Built`` net of class ``cls`` for configuration ``cfg`` (see the module docstring).
    activation: ask for this one only (the reference twin of a user's net). seeded: overwrite the
    weights with the seeded values (False: keep what the constructor drew). extra: keyword
    arguments passed where the signature takes them (``rng``, ``dtype``)."""
    kwargs = arguments(cls, cfg)
    sig = _signature(cls)
    if sig is not None:
        kwargs.update({k: v for k, v in (extra or {}).items() if k in sig.parameters})
    takes_activation = sig is None or "activation" in sig.parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values())
    if not takes_activation:
        tries = [None]
    else:
        tries = [activation] if activation else list(cfg.activations)
    rejected = []
    for act in tries:
        call = dict(kwargs, **({"activation": act} if act else {}))
        np.random.seed(SEED)  # nets that draw from NumPy's global RNG, as the book's do
        try:
            net = cls(**call)
        except Exception as e:  # noqa: BLE001 -- an activation the class does not know: try the next
            rejected.append(f"{act!r} rejected ({type(e).__name__}: {e})" if act else f"{type(e).__name__}: {e}")
            continue
        notes, kink = [], None
        if seeded:
            notes, kink = seed_away_from_kinks(net, cfg)
        built = Built(net, _call_text(cls, call), activation_of(net) or act, kwargs=call, kink=kink)
        if rejected:
            built.notes.append(f"built with activation={act!r}: " + "; ".join(rejected))
        built.notes += notes
        return built
    if len({r.partition(" rejected ")[2] or r for r in rejected}) == 1 and takes_activation and len(tries) > 1:
        # the same error whatever the activation: the constructor itself fails (NameError, ...)
        raise NetBuildError(f"{cls.__name__}(...) raised {rejected[0].partition('rejected (')[2].rstrip(')')}")
    if not takes_activation:
        raise NetBuildError(f"{_call_text(cls, kwargs)} raised {rejected[0]}")
    raise NetBuildError(f"{cls.__name__} could not be built: " + "; ".join(rejected) + f"; {FACTORY_HINT}")


# --- kinks: ReLU at 0 and max-pool ties -----------------------------------------------------------

KINK_MARGIN = 1e-3   # a central difference with h = 1e-4 moves a pre-activation by ~1e-4 * |input|
KINK_TRIES = 60


def data_for(cfg):
    """(x, t) for a configuration: x (N, input_size), or (N, *input_dim) for a conv net; t one-hot."""
    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((N, *cfg.input_dim) if cfg.input_dim else (N, cfg.input_size))
    t = np.eye(cfg.output_size)[np.arange(N) % cfg.output_size]
    return x, t


def kink_margin(net, x):
    """The smallest distance of a kink from where the net's forward sits on ``x``: min |input| of a
    ReLU, min (largest - second largest) over a max-pooling window (inf where it has none)."""
    from numpy.lib.stride_tricks import sliding_window_view

    margin = np.inf
    h = np.asarray(x, dtype=np.float64)
    np.random.seed(SEED)
    for _, layer in layer_items(net):
        kind = type(layer).__name__
        if kind in ("Relu", "ReLU") and h.size:
            margin = min(margin, float(np.min(np.abs(h))))
        elif kind == "Pooling" and h.ndim == 4:
            ph, pw, stride, pad = layer.pool_h, layer.pool_w, layer.stride, getattr(layer, "pad", 0)
            padded = np.pad(h, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
            windows = sliding_window_view(padded, (ph, pw), axis=(2, 3))[:, :, ::stride, ::stride]
            top = np.sort(windows.reshape(*windows.shape[:4], -1), axis=-1)
            live = top[..., -1] != 0  # a window of ReLU zeros: every derivative there is 0 anyway
            if top.shape[-1] > 1 and live.any():
                margin = min(margin, float(np.min((top[..., -1] - top[..., -2])[live])))
        try:
            h = np.asarray(layer.forward(h, True) if _accepts(layer.forward, "train_flg") else layer.forward(h))
        except Exception:  # noqa: BLE001 -- the check itself will say what raises
            break
    return margin


def seed_away_from_kinks(net, cfg):
    """Seed the weights; where a ReLU input or a max-pool tie lies within KINK_MARGIN of the data,
    try the next seeds (a kink inside the difference step would make a correct gradient look
    wrong). Returns (notes, None), or (notes, the smallest margin) where every seed tried left a
    kink near (a big net: kinks everywhere; then only torch autograd judges the gradient)."""
    x, _ = data_for(cfg)
    margin = np.inf
    tries = KINK_TRIES if sum(np.size(p) for p in net.params.values()) < 20000 else 3
    for attempt in range(tries):
        seed_weights(net, SEED + attempt)
        if not any(type(layer).__name__ in ("Relu", "ReLU", "Pooling") for _, layer in layer_items(net)):
            return [], None
        margin = kink_margin(net, x)
        if margin > KINK_MARGIN:
            return ([] if attempt == 0 else [f"weights seeded {SEED + attempt} (earlier seeds put a ReLU input or a "
                                             f"max-pool tie within {KINK_MARGIN:g} of the data)"]), None
    seed_weights(net, SEED)
    return [f"a ReLU input or a max-pool tie lies within {margin:.1e} of the data with every seed tried: central "
            f"differences cross it, so the gradient is compared with torch autograd only"], margin


# --- randomness ------------------------------------------------------------------------------------

def _accepts(fn, name):
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def train_loss(net, x, t):
    """The net's loss in training mode (``train_flg=True`` where its ``loss`` takes it, as the book's
    ``numerical_gradient`` of MultiLayerNetExtend does)."""
    if _accepts(net.loss, "train_flg"):
        return float(net.loss(x, t, train_flg=True))
    return float(net.loss(x, t))


@dataclass
class Randomness:
    """Whether the net's training loss is random, and the seed that fixes it (None: not needed).
    fixed: False where it stays random even with the seed (it does not draw from NumPy's RNG)."""
    stochastic: bool = False
    seed: int = None
    fixed: bool = True
    note: str = ""

    def reseed(self):
        if self.seed is not None:
            np.random.seed(self.seed)


def randomness(net, x, t):
    """Two training-loss calls on the same batch: equal (deterministic) or not (stochastic: dropout
    active in ``loss``); then, if not, two calls each after ``np.random.seed(SEED)``."""
    first, second = train_loss(net, x, t), train_loss(net, x, t)
    if first == second:
        return Randomness()
    np.random.seed(SEED)
    a = train_loss(net, x, t)
    np.random.seed(SEED)
    b = train_loss(net, x, t)
    if a != b:
        return Randomness(True, None, False,
                          f"the training loss is random (two calls on the same batch: {first:.6g} vs {second:.6g}) and "
                          f"stays random with NumPy's global RNG reseeded ({a:.6g} vs {b:.6g}): it draws from its own "
                          f"generator, so its gradient cannot be checked against differences of its loss")
    return Randomness(True, SEED, True,
                      f"the training loss is random (two calls on the same batch: {first:.6g} vs {second:.6g}, dropout "
                      f"active in loss): checked with NumPy's global RNG reseeded before every call, so each call "
                      f"draws the same mask")


# --- the reference net with the user's architecture ------------------------------------------------

def architecture(net):
    """[(layer name, kind, {attr: shape})] of the net's ``layers``; kind from the class name
    (``LAYER_KINDS``), "?" for a class it does not know."""
    items = layer_items(net)
    if not items:
        return None
    out = []
    for name, layer in items:
        kind = LAYER_KINDS.get(type(layer).__name__, f"?{type(layer).__name__}")
        shapes = {a: np.shape(getattr(layer, a)) for a in ("W", "b", "gamma", "beta") if getattr(layer, a, None) is not None}
        out.append((name, kind, shapes))
    return out


def _describe(arch):
    return "-".join(kind if kind != "activation" else "act" for _, kind, _ in arch)


def _same_configuration_twin(net, cfg, kwargs):
    """The shipped reference's class of the same book name, built with the same arguments, where its
    layers have the user's kinds and parameter shapes position by position; its weights the user's."""
    import importlib

    module_name, _, class_name = (cfg.reference or "").rpartition(".")
    try:
        cls = getattr(importlib.import_module(f"reference.{module_name}"), class_name)
        twin = cls(**{k: v for k, v in kwargs.items() if k in inspect.signature(cls).parameters})
    except Exception:  # noqa: BLE001 -- no such reference class, or it does not take these arguments
        return None
    mine, ref = architecture(net), architecture(twin)
    if mine is None or ref is None or [(k, s) for _, k, s in mine] != [(k, s) for _, k, s in ref]:
        return None
    for (_, layer), (_, ref_layer) in zip(layer_items(net), layer_items(twin)):
        for attr in ("W", "b", "gamma", "beta"):
            if getattr(ref_layer, attr, None) is not None:
                getattr(ref_layer, attr)[...] = np.asarray(getattr(layer, attr), dtype=np.float64)
    return twin


def reference_twin(net, cfg=None, kwargs=None):
    """(a shipped reference net with the user's architecture and weights, "") or (None, why): the
    reference class of the same book name built with the same arguments (SimpleConvNet,
    DeepConvNet, ...) where the layers match; else the reference MultiLayerNetExtend made to mirror
    the user's Affine [BatchNormalization] activation [Dropout] ... Affine layers."""
    from reference.multi_layer_net_extend import MultiLayerNetExtend

    if cfg is not None:
        twin = _same_configuration_twin(net, cfg, kwargs or {})
        if twin is not None:
            return twin, ""
    arch = architecture(net)
    if arch is None:
        return None, "the net has no `layers` OrderedDict: its forward is not compared layer by layer"
    unknown = [f"{name} ({kind[1:]})" for name, kind, _ in arch if kind.startswith("?")]
    if unknown:
        return None, f"layers the book's fully connected nets do not have: {', '.join(unknown)}"
    kinds = [kind for _, kind, _ in arch]
    # Affine [BatchNormalization] activation [Dropout], repeated, then the last Affine
    hidden, i, use_bn, use_dropout = [], 0, set(), set()
    layers = [layer for _, layer in layer_items(net)]
    while i < len(kinds) - 1:
        if kinds[i] != "Affine":
            return None, f"not the book's MultiLayerNet(Extend) architecture: {_describe(arch)}"
        hidden.append(arch[i][2]["W"][1])
        i += 1
        use_bn.add(kinds[i] == "BatchNormalization")
        if kinds[i] == "BatchNormalization":
            i += 1
        if i >= len(kinds) or kinds[i] != "activation":
            return None, f"not the book's MultiLayerNet(Extend) architecture: {_describe(arch)}"
        i += 1
        use_dropout.add(i < len(kinds) and kinds[i] == "Dropout")
        if i < len(kinds) and kinds[i] == "Dropout":
            i += 1
    if i != len(kinds) - 1 or kinds[-1] != "Affine" or len(use_bn) > 1 or len(use_dropout) > 1:
        return None, f"not the book's MultiLayerNet(Extend) architecture: {_describe(arch)}"
    activations = {ACTIVATION_CLASSES[type(layer).__name__] for layer in layers if type(layer).__name__ in ACTIVATION_CLASSES}
    if len(activations) != 1:
        return None, f"mixed activations {sorted(activations)}: not the book's architecture"
    dropouts = [layer for layer in layers if LAYER_KINDS.get(type(layer).__name__) == "Dropout"]
    ratio = 0.5
    if dropouts:
        ratio = getattr(dropouts[0], "dropout_ratio", getattr(dropouts[0], "dropout_ration", None))
        if ratio is None:
            return None, "its Dropout layer keeps no dropout_ratio: the reference cannot drop the same share"
    lam = float(getattr(net, "weight_decay_lambda", 0) or 0)
    W1 = layers[0].W
    twin = MultiLayerNetExtend(int(np.prod(np.shape(W1)[:1])), hidden, int(np.shape(layers[-1].W)[1]),
                               activation=activations.pop(), weight_decay_lambda=lam, use_batchnorm=use_bn.pop(),
                               use_dropout=use_dropout.pop(), dropout_ration=ratio)
    for mine, ref in zip(layers, twin.layers.values()):
        for attr in ("W", "b", "gamma", "beta"):
            if getattr(ref, attr, None) is not None:
                getattr(ref, attr)[...] = np.asarray(getattr(mine, attr), dtype=np.float64)
        if hasattr(ref, "momentum") and hasattr(mine, "momentum"):
            ref.momentum = mine.momentum
    return twin, ""
