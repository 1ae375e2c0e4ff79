"""Localization for nets: not only "the net's gradient is wrong" but which parameter, and for a
forward pass which layer.

Gradients (``localize_gradients(net, x, t)``): the net's backprop ``net.gradient(x, t)`` is compared
parameter by parameter with
- the numerical gradient of the net's OWN loss (``reference.gradient.numerical_gradient``, central
  difference, h = 1e-4, each element of ``net.params[key]`` perturbed in place), and
- torch autograd of the book's loss on the same parameters, the layer stack rebuilt in torch from
  ``net.layers`` (Affine, Relu, Sigmoid, Tanh, BatchNormalization in training mode, Dropout with the
  mask the net's forward drew, SoftmaxWithLoss, weight decay 0.5*lambda*sum(W^2)).
Errors are ``reference.gradient.relative_error`` (max |a - b| over the gradient's own scale, as in
``gradient_check``, with the scale at least ``GRAD_FLOOR``). The first divergent parameter is named in backprop order: the layer nearest
the loss first.

NOTE: the vectorized numerical gradient (``reference.gradient_vectorized``) does not fit here: it
re-derives the loss from the reference's layer classes and the weight-decay formula instead of
calling the net's own ``loss``, so a fault in a user's loss would be invisible to it.

Forward (``localize_forward(net, reference_net, x)``): the reference net gets the user's weights,
both run layer by layer (inference mode), and for each layer k the relative gap
g_k = mean|u_k - r_k| / mean|r_k| is measured. A fault shows as a jump of g from one layer to the
next; the first layer whose rate of change g_k - g_(k-1) exceeds ``JUMP`` is named, so a gap made
at layer 2 and carried to the output is blamed on layer 2, not on the output. Both run in training
mode (batch statistics; dropout masks from the same seed per layer).

Example::

    loc = localize_gradients(net, x, t)
    loc.first_divergent        # ("W1", "Affine1") or None
    localize_forward(net, MultiLayerNet(...), x).first_jump   # "BatchNorm2" or None
"""
from dataclasses import dataclass, field
import re

import numpy as np

from parity.verify.netbuild import _accepts, layer_items, train_loss
from reference.gradient import numerical_gradient, relative_error

# Gradient agreement (relative to the gradient's scale, float64): central differences with
# h = 1e-4 are good to ~1e-9 on these smooth small nets, and the book's SoftmaxWithLoss backward
# drops the 1e-7 its forward adds inside the log, a relative gap of about 1e-7 / y_t (measured
# 7.1e-7 at most on the shipped cases of ``parity.verify.netcheck``, where y_t > 0.16). 1e-5 leaves a
# factor of 14 over that and is 3 orders of magnitude below any wrong factor, missing term or
# transposition (the planted ones: >= 1e-2).
NET_GRAD_RTOL = 1e-5
# Forward gap jump (relative, float64): the same formula in another summation order differs by
# ~1e-16 per layer; a semantic fault changes outputs by >= 1e-8.
JUMP = 1e-9
# Gradients that are 0 in theory (a bias right before batch norm) come out of central differences
# as rounding noise ~eps*|L|/h (2.2e-12 measured): errors are taken relative to at least this
# scale, far below the gradients of the shipped cases (1e-3 to 1).
GRAD_FLOOR = 1e-6

PARAM_ATTRS = ("W", "b", "gamma", "beta")


@dataclass
class ParamError:
    param: str
    layer: str
    numerical: float = float("nan")   # relative error of backprop vs numerical
    torch: float = float("nan")       # relative error of backprop vs torch autograd
    max_abs_numerical: float = float("nan")
    max_abs_torch: float = float("nan")
    problem: str = ""                 # a structural problem (missing key, wrong shape)
    sampled: int = 0                  # the numerical gradient was taken on this many elements (0: all)

    @property
    def diverges(self):
        if self.problem:
            return True
        return any(v > NET_GRAD_RTOL for v in (self.numerical, self.torch) if not np.isnan(v))


@dataclass
class GradientLocalization:
    params: list = field(default_factory=list)   # ParamError in backprop order
    torch_note: str = ""                         # why torch was not compared, if it was not

    @property
    def first_divergent(self):
        for p in self.params:
            if p.diverges:
                return p.param, p.layer
        return None

    def describe(self):
        first = self.first_divergent
        if first is None:
            return "all parameter gradients agree"
        p = next(q for q in self.params if q.param == first[0])
        detail = p.problem or f"rel err {p.numerical:.2e} vs numerical" + (
            "" if np.isnan(p.torch) else f", {p.torch:.2e} vs torch")
        return f"first divergent in backprop order: {first[0]} ({first[1]}): {detail}"


@dataclass
class LayerGap:
    layer: str
    reference_layer: str
    gap: float
    rate: float


@dataclass
class ForwardLocalization:
    layers: list = field(default_factory=list)   # LayerGap in forward order
    note: str = ""

    @property
    def first_jump(self):
        for g in self.layers:
            if not g.rate <= JUMP:  # NaN (shape mismatch) counts as a jump
                return g.layer
        return None

    def describe(self):
        if self.note:
            return self.note
        name = self.first_jump
        if name is None:
            return "every layer output matches the reference net"
        g = next(g for g in self.layers if g.layer == name)
        return (f"forward gap first jumps at layer {name} (relative gap {g.gap:.2e}, up {g.rate:.2e} from the "
                f"layer before; output gap {self.layers[-1].gap:.2e})")


# --- helpers ------------------------------------------------------------------------------------

def param_layers(net):
    """{param key: (layer name, layer position)}: the layer holding the very array ``params[key]``;
    without ``layers`` (or a copy), the position from the key's digits (W3 -> layer 3)."""
    owners = {}
    for pos, (name, layer) in enumerate(layer_items(net)):
        for attr in PARAM_ATTRS:
            value = getattr(layer, attr, None)
            for key, p in net.params.items():
                if value is p and key not in owners:
                    owners[key] = (name, pos)
    for key in net.params:
        if key not in owners:
            digits = re.findall(r"\d+", key)
            n = int(digits[-1]) if digits else 0
            owners[key] = (f"layer {n}", 1000 * n)
    return owners


def backprop_order(net):
    """Parameter keys in the order backprop reaches them: the layer nearest the loss first."""
    owners = param_layers(net)
    keys = list(net.params)
    return sorted(keys, key=lambda k: (-owners[k][1], keys.index(k)))


# --- torch autograd of the book's loss on the net's own parameters -------------------------------

def torch_gradients(net, x, t):
    """{param key: gradient} by torch autograd of the book's loss, the stack rebuilt from ``net.layers``.

    Raises ValueError naming the layer when a layer has no torch equivalent here."""
    import torch

    layers = layer_items(net)
    if not layers:
        raise ValueError("the net has no `layers` OrderedDict to rebuild in torch")
    leaves = {key: torch.tensor(np.array(p, dtype=np.float64), requires_grad=True)
              for key, p in net.params.items()}

    def tensor(value):
        for key, p in net.params.items():
            if value is p:
                return leaves[key]
        return torch.as_tensor(np.asarray(value, dtype=np.float64))

    h = torch.as_tensor(np.asarray(x, dtype=np.float64))
    for name, layer in layers:
        kind = type(layer).__name__
        if kind == "Convolution":
            h = torch.nn.functional.conv2d(h, tensor(layer.W), tensor(layer.b), stride=layer.stride, padding=layer.pad)
        elif kind == "Pooling":
            pad = getattr(layer, "pad", 0)
            if pad:  # the book pads with zeros
                h = torch.nn.functional.pad(h, (pad, pad, pad, pad))
            h = torch.nn.functional.max_pool2d(h, (layer.pool_h, layer.pool_w), stride=layer.stride)
        elif kind == "Affine":
            h = h.reshape(h.shape[0], -1) @ tensor(layer.W) + tensor(layer.b)
        elif kind == "Relu":
            h = torch.relu(h)
        elif kind == "Sigmoid":
            h = torch.sigmoid(h)
        elif kind == "Tanh":
            h = torch.tanh(h)
        elif kind == "BatchNormalization":
            shape = h.shape
            hm = h.reshape(shape[0], -1)
            mu = hm.mean(0)
            var = ((hm - mu) ** 2).mean(0)   # biased, eps 1e-6: the book's
            h = (tensor(layer.gamma) * (hm - mu) / torch.sqrt(var + 1e-6) + tensor(layer.beta)).reshape(shape)
        elif kind == "Dropout":
            mask = getattr(layer, "mask", None)
            if mask is None:
                raise ValueError(f"layer {name} (Dropout) keeps no .mask to replay in torch")
            h = h * torch.as_tensor(np.asarray(mask, dtype=np.float64))
        else:
            raise ValueError(f"layer {name} ({kind}) has no torch equivalent in parity.verify.nets")
    labels = np.asarray(t)
    labels = labels.argmax(axis=1) if labels.ndim == 2 else labels
    y = torch.softmax(h, dim=1)
    n = y.shape[0]
    loss = -torch.log(y[torch.arange(n), torch.as_tensor(labels.astype(np.int64))] + 1e-7).sum() / n
    lam = float(getattr(net, "weight_decay_lambda", 0) or 0)
    if lam:
        loss = loss + sum(0.5 * lam * (leaves[k] ** 2).sum() for k in net.params if k.startswith("W"))
    loss.backward()
    return {k: (v.grad.numpy() if v.grad is not None else np.zeros(v.shape)) for k, v in leaves.items()}


# --- localization ---------------------------------------------------------------------------------

# Above this many parameter elements the numerical gradient is taken on a seeded sample of
# SAMPLED_ELEMENTS elements per parameter (torch autograd still compares every element): the book's
# DeepConvNet at its own sizes has ~200,000, two loss evaluations each.
MAX_FULL_ELEMENTS = 5000
SAMPLED_ELEMENTS = 24


def sampled_numerical_gradient(f, x, indices, h=1e-4):
    """Central differences at the given flat ``indices`` of x only (NaN elsewhere); x restored."""
    grad = np.full(x.shape, np.nan)
    flat = x.reshape(-1)
    for i in indices:
        old = flat[i]
        flat[i] = old + h
        up = f(x)
        flat[i] = old - h
        down = f(x)
        flat[i] = old
        grad.reshape(-1)[i] = (up - down) / (2 * h)
    return grad


def localize_gradients(net, x, t, with_torch=True, seed=None):
    """Per-parameter errors of ``net.gradient(x, t)`` against numerical and torch gradients, in
    backprop order; ``first_divergent`` names the first that disagrees (see the module docstring).
    seed: reseed NumPy's global RNG with it before ``gradient`` and before every loss call (a net
    with dropout active in its loss then draws the same mask each time)."""
    def reseeded(fn):
        def call(*args):
            if seed is not None:
                np.random.seed(seed)
            return fn(*args)
        return call

    grads = reseeded(net.gradient)(x, t)
    if not isinstance(grads, dict):
        raise ValueError(f"{type(net).__name__}.gradient returned a {type(grads).__name__}, not a dict of arrays")
    grads = {k: np.array(v, dtype=np.float64) for k, v in grads.items()}
    loss = reseeded(lambda: train_loss(net, x, t))
    numerical = {}
    sample = sum(np.size(p) for p in net.params.values()) > MAX_FULL_ELEMENTS
    rng = np.random.default_rng(0)
    for key in net.params:
        p = net.params[key]
        if sample and p.size > SAMPLED_ELEMENTS:
            picked = np.sort(rng.choice(p.size, SAMPLED_ELEMENTS, replace=False))
            numerical[key] = sampled_numerical_gradient(lambda _: loss(), p, picked)
        else:
            numerical[key] = numerical_gradient(lambda _: loss(), p)
    torch_grads, note = None, ""
    if with_torch:
        loss()  # the layers keep the masks of a reseeded call (torch replays them)
        try:
            torch_grads = torch_gradients(net, x, t)
        except ImportError:
            note = "torch is not installed"
        except ValueError as e:
            note = str(e)
    owners = param_layers(net)
    out = GradientLocalization(torch_note=note)
    for key in backprop_order(net):
        pe = ParamError(key, owners[key][0])
        if key not in grads:
            pe.problem = f"gradient() returned no {key!r} (it returned {sorted(grads)})"
        elif grads[key].shape != np.shape(net.params[key]):
            pe.problem = f"gradient()[{key!r}] has shape {grads[key].shape}, the parameter {np.shape(net.params[key])}"
        else:
            taken = ~np.isnan(numerical[key])  # every element, or the sampled ones
            if taken.all():
                pe.numerical = relative_error(grads[key], numerical[key], GRAD_FLOOR)
                pe.max_abs_numerical = float(np.max(np.abs(grads[key] - numerical[key]))) if grads[key].size else 0.0
            else:  # as relative_error, over the sampled elements, scaled by the whole gradient's size
                diff = np.abs(grads[key] - numerical[key])[taken]
                scale = max(float(np.max(np.abs(grads[key]))), float(np.max(np.abs(numerical[key][taken]))), GRAD_FLOOR)
                pe.numerical, pe.max_abs_numerical = float(diff.max() / scale), float(diff.max())
            pe.sampled = int(taken.sum()) if not taken.all() else 0
            if torch_grads is not None:
                pe.torch = relative_error(grads[key], torch_grads[key], GRAD_FLOOR)
                pe.max_abs_torch = float(np.max(np.abs(grads[key] - torch_grads[key]))) if grads[key].size else 0.0
        out.params.append(pe)
    return out


def _forward_layer(layer, h, seed):
    """One layer's forward in training mode, NumPy's global RNG seeded first (same dropout masks)."""
    np.random.seed(seed)
    if _accepts(layer.forward, "train_flg"):
        return layer.forward(h, train_flg=True)
    return layer.forward(h)


def localize_forward(net, reference_net, x, copy_weights=True):
    """Layer-by-layer relative gaps between ``net`` and ``reference_net`` given the same weights
    (``copy_weights``: ``net.params`` copied into ``reference_net.params`` by key, in place; off
    where the caller copied them by layer, ``netbuild.reference_twin``); training mode (batch
    statistics, no dependence on running averages), each layer's RNG seeded alike."""
    mine = dict(layer_items(net))
    ref = dict(layer_items(reference_net))
    if not mine or not ref:
        return ForwardLocalization(note="forward localization needs a `layers` OrderedDict in both nets")
    for key, p in (net.params.items() if copy_weights else ()):
        if key in reference_net.params and np.shape(reference_net.params[key]) == np.shape(p):
            reference_net.params[key][...] = p
    if len(mine) != len(ref):
        return ForwardLocalization(note=f"the net has {len(mine)} layers ({list(mine)}), the reference "
                                        f"{len(ref)} ({list(ref)}): cannot compare layer by layer")
    out = ForwardLocalization()
    hu = hr = np.asarray(x, dtype=np.float64)
    previous = 0.0
    saved = np.random.get_state()
    try:
        pairs = [(name, layer, ref_name, ref_layer, k) for k, ((name, layer), (ref_name, ref_layer))
                 in enumerate(zip(mine.items(), ref.items()))]
        for name, layer, ref_name, ref_layer, k in pairs:
            hu = np.asarray(_forward_layer(layer, hu, k))
            hr = np.asarray(_forward_layer(ref_layer, hr, k))
            if hu.shape != hr.shape:
                out.layers.append(LayerGap(name, ref_name, float("nan"), float("nan")))
                break
            scale = float(np.mean(np.abs(hr))) or 1.0
            gap = float(np.mean(np.abs(hu - hr))) / scale
            out.layers.append(LayerGap(name, ref_name, gap, gap - previous))
            previous = gap
    finally:
        np.random.set_state(saved)
    return out
