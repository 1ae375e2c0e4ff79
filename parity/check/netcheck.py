"""Net checks for ``python -m parity check``: every net class the implementation has is built
small, given seeded weights, and checked as Records (kind "net"):

- check = parameter key ("W1", "gamma2", ...), framework "numerical": ``net.gradient`` against the
  numerical gradient of the net's own loss; framework "torch": against torch autograd of the
  book's loss on the same parameters (``parity.check.nets.localize_gradients``). max_rel_err is
  ``reference.gradient.relative_error``; a failure's message names the first divergent parameter
  in backprop order.
- check "forward", framework "reference": layer outputs against the reference net of the same
  class on the same weights; a failure names the layer where the gap first jumps
  (``localize_forward``).
- check "predict", framework "reference": ``net.predict(x)`` as the net is called at test time
  (inference mode) after one ``gradient`` call, against the reference net treated the same way.

The configurations (``NETS``) use the book's constructor signatures; activations are chosen so
that no ReLU kink lies within the difference step of a pre-activation (sigmoid / tanh where the
signature takes one), and weight decay and batch norm are switched on where the class has them,
so that the parts the seeds got wrong are exercised. Weights are N(0, 0.3^2) (gamma 1 + N(0, 0.2^2)):
large enough that every gradient is 1e-2 or more (a bias before batch norm: exactly 0), small enough
that the true class keeps a probability above 0.16, which keeps the book's dropped 1e-7 in the
SoftmaxWithLoss backward below 1e-6 relative (see ``parity.check.nets.NET_GRAD_RTOL``).
"""
from dataclasses import dataclass, field
import inspect

import numpy as np

from parity.check import nets
from parity.compare import compare
from parity.impl import load_implementation
from parity.records import Record
from parity.tolerances import Tol, tolerance

SEED = 1234
N, D, C = 4, 6, 3
ACTIVATION_CLASSES = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh"}


@dataclass(frozen=True)
class NetConfig:
    name: str
    reference: str          # where the implementation holds the class
    args: tuple
    kwargs: dict = field(default_factory=dict)


NETS = (
    NetConfig("TwoLayerNet", "two_layer_net.TwoLayerNet", (D, 5, C)),
    NetConfig("ThreeLayerNet", "three_layer_net.ThreeLayerNet", (D, 5, 4, C), {"activation": "sigmoid"}),
    NetConfig("MultiLayerNet", "multi_layer_net.MultiLayerNet", (D, [5, 4], C),
              {"activation": "sigmoid", "weight_decay_lambda": 0.1}),
    NetConfig("MultiLayerNetExtend", "multi_layer_net_extend.MultiLayerNetExtend", (D, [5, 4, 4], C),
              {"activation": "tanh", "weight_decay_lambda": 0.1, "use_batchnorm": True}),
)


def config(name):
    for c in NETS:
        if c.name == name:
            return c
    raise ValueError(f"no net configuration {name!r}; known: {[c.name for c in NETS]}")


def build(cls, cfg, activation=None):
    """``cls(*args, **kwargs)`` with the keyword arguments its signature takes, seeded weights
    written in place (so layers that share the arrays see them)."""
    try:
        accepted = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        accepted = {}
    kwargs = dict(cfg.kwargs)
    if activation is not None:
        kwargs["activation"] = activation
    has_var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    kwargs = {k: v for k, v in kwargs.items() if k in accepted or has_var_kw}
    np.random.seed(SEED)  # nets that draw from NumPy's global RNG, as the book's do
    net = cls(*cfg.args, **kwargs)
    rng = np.random.default_rng(SEED)
    for key in sorted(net.params):
        p = net.params[key]
        if key.startswith("gamma"):
            p[...] = 1.0 + 0.2 * rng.standard_normal(np.shape(p))
        elif key.startswith("beta"):
            p[...] = 0.2 * rng.standard_normal(np.shape(p))
        else:
            p[...] = 0.3 * rng.standard_normal(np.shape(p))
    return net


def data():
    rng = np.random.default_rng(SEED + 1)
    x = rng.standard_normal((N, D))
    t = np.eye(C)[np.arange(N) % C]
    return x, t


def activation_of(net):
    """The activation the net's ``layers`` use ("relu", "sigmoid", "tanh"), or None."""
    for layer in (getattr(net, "layers", None) or {}).values():
        name = ACTIVATION_CLASSES.get(type(layer).__name__)
        if name:
            return name
    return None


def _record(cfg, framework, check, passed, message, impl, **fields):
    return Record(component=cfg.name, kind="net", framework=framework, dtype="float64", check=check,
                  passed=passed, case=cfg.name, message=message, impl=impl.name, seed=SEED, **fields)


def run(impl, name, frameworks=("torch", "numerical")):
    """Records for the net configuration ``name`` (missing where the implementation lacks the class)."""
    impl = load_implementation(impl)
    cfg = config(name)
    cls = impl.get(cfg.reference)
    if cls is None:
        return [_record(cfg, "-", "-", False, f"the implementation {impl.name} has no {cfg.reference}", impl,
                        status="missing")]
    x, t = data()
    net = build(cls, cfg)
    loc = nets.localize_gradients(net, x, t, with_torch="torch" in frameworks)
    where = loc.describe()
    records = []
    tol = Tol(nets.NET_GRAD_RTOL, 0.0, "relative to the gradient's scale (parity.check.nets.NET_GRAD_RTOL)")
    for fw in ("numerical", "torch"):
        if fw not in frameworks:
            continue
        if fw == "torch" and loc.torch_note:
            records.append(_record(cfg, "torch", "gradient", False, f"{cfg.name}: not compared with torch: "
                                   f"{loc.torch_note}", impl, status="skipped"))
            continue
        for p in loc.params:
            rel = p.numerical if fw == "numerical" else p.torch
            absolute = p.max_abs_numerical if fw == "numerical" else p.max_abs_torch
            ok = not p.problem and rel <= tol.rtol
            detail = p.problem or f"backprop vs {fw}: relative error {rel:.3e} (tolerance {tol.rtol:g})"
            msg = f"{cfg.name}-{fw}-{p.param} ({p.layer}): {detail}"
            if not ok:
                msg += f"; {where}"
            records.append(_record(cfg, fw, p.param, ok, msg, impl, max_abs_err=absolute, max_rel_err=rel,
                                   rtol=tol.rtol, n_total=int(np.size(net.params[p.param])),
                                   status="" if p.problem == "" else "fail"))
    records += _reference_records(impl, cfg, cls, x, t)
    return records


def _reference_records(impl, cfg, cls, x, t):
    """The "forward" and "predict" records against the reference net of the same class."""
    ref_cls = load_implementation("reference").get(cfg.reference)
    net = build(cls, cfg)
    if ref_cls is None or not getattr(net, "layers", None):
        note = f"{cfg.name}: no `layers` OrderedDict: forward and predict are not compared layer by layer"
        return [_record(cfg, "reference", c, False, note, impl, status="skipped") for c in ("forward", "predict")]
    ref = build(ref_cls, cfg, activation=activation_of(net))
    fwd = nets.localize_forward(net, ref, x)
    records = []
    if fwd.note:
        records.append(_record(cfg, "reference", "forward", False, f"{cfg.name}: {fwd.note}", impl, status="skipped"))
    else:
        last = fwd.layers[-1]
        ok = fwd.first_jump is None
        records.append(_record(cfg, "reference", "forward", ok, f"{cfg.name}-reference-forward: {fwd.describe()}",
                               impl, max_abs_err=last.gap, max_rel_err=last.gap, rtol=nets.JUMP))
    # predict at test time, after one training step's forward/backward on both nets
    net, ref = build(cls, cfg), build(ref_cls, cfg, activation=activation_of(net))
    for key, p in net.params.items():
        if key in ref.params and np.shape(ref.params[key]) == np.shape(p):
            ref.params[key][...] = p
    net.gradient(x, t)
    ref.gradient(x, t)
    tol = tolerance("float64", "forward", max(D, 5))
    c = compare(f"{cfg.name}-reference-predict", np.asarray(net.predict(x), dtype=np.float64),
                np.asarray(ref.predict(x), dtype=np.float64), tol, check_dtype=False)
    records.append(_record(cfg, "reference", "predict", c.passed, c.message(), impl, max_abs_err=c.max_abs_err,
                           max_rel_err=c.max_rel_err, rtol=c.rtol, atol=c.atol, n_total=c.n_total,
                           n_mismatch=c.n_mismatch))
    return records
