"""The catalogue of known differences: where a framework, as it comes, computes something other
than the book — one data row per (difference, framework), each with a function that measures it.

A row says what the framework does, what the book does, why, and how to remove it; ``measure``
gives the size of the difference as it comes ("as_is": the framework's defaults, or for a
``trigger="literal"`` row the book's number copied into the framework's own convention) and
after the book configuration ("book"). Where no configuration removes a difference, the row
declares the residual it expects (``residual=(lo, hi)``, like an xfail with its reason), and the
measurement must fall inside it.

Status of a measured row:
- "removed": present as it comes (> threshold) and gone with the book configuration (within the
  normal float64 tolerance, or below the KS critical value for initializers);
- "residual": present, and what remains after the best configuration is the declared residual;
- "stale": NOT present as it comes — the framework changed (or the entry was wrong); drop or fix it;
- "fix-failed" / "residual-changed": the configuration no longer removes it / the residual moved;
- "skipped": the framework is not installed;
- "not-applicable" / "present-elsewhere": a Keras-backend-specific row on another backend, where
  it is (correctly) absent / unexpectedly present.

    >>> rows = measure_all(frameworks=("torch",))           # list of dicts for the report
    >>> [r["id"] for r in audit()]                           # stale or broken entries: []
"""
from dataclasses import dataclass, field
import importlib.util
from typing import Callable, Union
import warnings

from parity import differences_measure as m
from parity.tolerances import Tol, tolerance

FRAMEWORKS = ("torch", "keras")


class StaleDifferenceWarning(UserWarning):
    """A catalogue entry no longer matches anything: the framework now agrees with the book."""


@dataclass(frozen=True)
class Difference:
    """One known difference between the book and one framework as it comes.

    measure(framework, config) -> differences_measure.Measurement, config "as_is" or "book".
    threshold: as-is values at or below it mean the difference is gone (stale); None: the
        measurement's own critical value (statistical entries).
    tol: the normal tolerance the book configuration must reach (atol + rtol * measured scale).
    residual: (lo, hi) expected after the book configuration where it cannot remove it; None
        where it must be removed; or {keras backend: (lo, hi)} where only some backends leave one.
    fix_kind: "option" (constructor arguments), "global" (a framework-wide setting), "adapter"
        (code around the framework: nothing in it can be configured), "none".
    trigger: "default" (the framework's defaults) or "literal" (the book's number passed as is
        into a framework that reads it in another convention).
    backends: for Keras, the backends where it occurs; elsewhere it is still measured and
        reported "not-applicable" (a difference there would show as default_residual > threshold).
    """

    id: str
    component: str
    framework: str
    default: str
    book: str
    reason: str
    fix: str
    fix_kind: str
    measure: Callable
    threshold: Union[float, None]
    tol: Tol = field(default_factory=lambda: tolerance("float64", "forward"))
    residual: Union[tuple, dict, None] = None
    trigger: str = "default"
    backends: Union[tuple, None] = None  # keras only: the backends it applies to (None: all)

    def expected_residual(self, backend=""):
        """The declared residual band on ``backend`` (None: must be removed)."""
        if isinstance(self.residual, dict):
            return self.residual.get(backend)
        return self.residual

    @property
    def key(self):
        return f"{self.id}-{self.framework}"


def _tol(check, reduction, reason):
    t = tolerance("float64", check, reduction=reduction)
    return Tol(t.rtol, t.atol, reason)


_BN_TOL = _tol("forward", 8, "float64 values, sums over the batch of 8")
# Keras BatchNormalization on the torch backend computes in float32 (entry bn-compute-float32), so
# there the book configuration leaves that entry's residual; bands one decade around the measured value.
_KERAS_TORCH_BN = {
    "bn-epsilon": {"torch": (4e-4, 4e-2)},       # measured 3.96e-3 (output, feature std 1e-3)
    "bn-momentum": {"torch": (3e-9, 3e-7)},      # measured 3.07e-8 (running_mean ~0.2)
    "bn-running-var": {"torch": (8e-4, 8e-2)},   # measured 8.41e-3 (relative)
    "bn-per-channel": {"torch": (2.5e-6, 2.5e-4)},  # measured 2.47e-5
}
_OPT_TOL = _tol("step", m.OPT_STEPS, f"float64 parameters after {m.OPT_STEPS} steps")
_REL_TOL = Tol(1e-12, 0.0, "relative difference, float64")
_CE_TOL = _tol("forward", 3, "float64 loss over 3 classes")


def _both(id, component, reason, rows, **common):
    """One Difference per framework from a {framework: fields} dict sharing id and reason."""
    return tuple(Difference(id=id, component=component, framework=fw, reason=reason, **common, **fields)
                 for fw, fields in rows.items())


CATALOGUE = (
    # --- batch normalization -------------------------------------------------------------------
    *_both("bn-epsilon", "BatchNormalization",
           "epsilon inside sqrt(var + eps) is the book's 10e-7 = 1e-6; frameworks chose larger ones",
           {"torch": dict(default="eps=1e-5", fix="BatchNorm1d(eps=1e-6)"),
            "keras": dict(default="epsilon=1e-3", fix="BatchNormalization(epsilon=1e-6)",
                          residual=_KERAS_TORCH_BN["bn-epsilon"])},
           book="eps=1e-6 (written 10e-7)", fix_kind="option", measure=m.measure_bn_epsilon,
           threshold=1e-6, tol=_BN_TOL),
    Difference("bn-momentum", "BatchNormalization", "keras", default="momentum=0.99 (book convention)",
               book="momentum=0.9: running = 0.9*running + 0.1*batch",
               reason="same convention as the book, larger default", fix="BatchNormalization(momentum=0.9)",
               fix_kind="option", measure=m.measure_bn_momentum, threshold=1e-3, tol=_BN_TOL,
               residual=_KERAS_TORCH_BN["bn-momentum"]),
    Difference("bn-momentum", "BatchNormalization", "torch",
               default="momentum=0.9 passed literally means running = 0.1*running + 0.9*batch",
               book="momentum=0.9: running = 0.9*running + 0.1*batch",
               reason="torch's momentum is the weight of the NEW batch (opposite convention); its "
                      "default 0.1 already equals the book's 0.9",
               fix="BatchNorm1d(momentum=1 - 0.9) (= torch's default 0.1)", fix_kind="option",
               measure=m.measure_bn_momentum, threshold=1e-3, tol=_BN_TOL, trigger="literal"),
    Difference("bn-running-var", "BatchNormalization", "torch",
               default="running_var starts at 1; updated with the unbiased (N-1) batch variance",
               book="running_var starts at 0; biased (N) batch variance",
               reason="torch initialises running_var to ones and tracks the unbiased estimate; no "
                      "option switches to the biased one",
               fix="running_var.zero_() before training; the N/(N-1) factor cannot be configured",
               fix_kind="option", measure=m.measure_bn_running_var, threshold=1e-3, tol=_REL_TOL,
               residual=(1 / 7 - 1e-9, 1 / 7 + 1e-9)),  # exactly 1/(N-1) for the batch of N = 8
    Difference("bn-running-var", "BatchNormalization", "keras",
               default="moving_variance starts at 1 (moving_variance_initializer='ones'); biased variance",
               book="running_var starts at 0; biased (N) batch variance",
               reason="Keras initialises the moving variance to ones",
               fix="BatchNormalization(moving_variance_initializer='zeros')", fix_kind="option",
               measure=m.measure_bn_running_var, threshold=1e-3, tol=_REL_TOL,
               residual=_KERAS_TORCH_BN["bn-running-var"]),
    Difference("bn-compute-float32", "BatchNormalization", "keras",
               default="computes in result_type(input, 'float32') = float32 on the torch backend, even "
                       "for float64 input; variance as E[x^2] - E[x]^2",
               book="float64 throughout; variance as mean((x - mu)^2)",
               reason="Keras upcasts BN to at least float32 with its own promotion rules, which on the "
                      "torch backend return float32 for (float64, float32)",
               fix="none (no option; compute BN with keras.ops in float64 instead of the layer)",
               fix_kind="none", measure=m.measure_keras_bn_compute_dtype, threshold=1e-9, tol=_BN_TOL,
               residual={"torch": (8e-4, 8e-2)}, backends=("torch",)),  # measured 8.41e-3
    *_both("bn-per-channel", "BatchNormalization",
           "the book flattens (N, C, H, W) to (N, C*H*W): statistics per activation, not per channel",
           {"torch": dict(default="BatchNorm2d: statistics per channel over (N, H, W)",
                          fix="reshape to (N, -1), BatchNorm1d(C*H*W), reshape back"),
            "keras": dict(default="BatchNormalization(axis=1) on NCHW: statistics per channel",
                          fix="reshape to (N, -1), BatchNormalization(), reshape back",
                          residual=_KERAS_TORCH_BN["bn-per-channel"])},
           book="per activation (C*H*W statistics)", fix_kind="adapter", measure=m.measure_bn_per_channel,
           threshold=1e-3, tol=_BN_TOL),
    # --- dropout ---------------------------------------------------------------------------------
    *_both("dropout-scaling", "Dropout",
           "frameworks use inverted dropout (scale at training so that test is the identity); the "
           "book scales at test time; no option turns inversion off",
           {"torch": dict(default="train x*mask/(1-p); eval x"),
            "keras": dict(default="train x*mask/(1-p); test x")},
           book="train x*mask; test x*(1-p)", fix="multiply the framework's output by (1-p) in both modes",
           fix_kind="adapter", measure=m.measure_dropout_scaling, threshold=1e-3, tol=_BN_TOL),
    # --- optimizers ------------------------------------------------------------------------------
    Difference("sgd-lr", "SGD", "torch", default="lr=1e-3", book="lr=0.01",
               reason="torch.optim.SGD's lr defaults to 1e-3 (Keras SGD: 0.01 = book)",
               fix="SGD(lr=0.01)", fix_kind="option", measure=m.measure_sgd_lr, threshold=1e-6, tol=_OPT_TOL),
    Difference("lr-float32", "optimizers", "keras",
               default="learning rate kept in a float32 variable (floatx) even for float64 weights",
               book="lr a Python float, applied in the parameters' dtype",
               reason="Keras optimizers build their learning-rate variable with floatx()",
               fix="keras.config.set_floatx('float64') before building the optimizer",
               fix_kind="global", measure=m.measure_keras_lr_float32, threshold=1e-11, tol=_OPT_TOL),
    Difference("hyperparams-float32", "optimizers", "keras",
               default="Python-float beta_1, beta_2, momentum become float32 constants (0.999 -> 0.99900001)",
               book="hyper-parameters exact in the parameters' dtype",
               reason="on TensorFlow, ops.cast of a Python float makes a float32 tensor first",
               fix="pass them as np.float64 (Adam(beta_1=np.float64(0.9), ...), SGD(momentum=np.float64(0.9)))",
               fix_kind="option", measure=m.measure_keras_hyperparams_float32, threshold=1e-11, tol=_OPT_TOL,
               backends=("tensorflow",)),
    Difference("rmsprop-epsilon", "RMSprop", "torch", default="eps=1e-8 (outside the sqrt)",
               book="1e-7 outside the sqrt; lr 0.01, decay 0.99 (= torch's lr, alpha)",
               reason="smaller default epsilon", fix="RMSprop(eps=1e-7)", fix_kind="option",
               measure=m.measure_rmsprop_epsilon_torch, threshold=1e-6, tol=_OPT_TOL),
    Difference("rmsprop-defaults", "RMSprop", "keras",
               default="learning_rate=0.001, rho=0.9, epsilon=1e-7 INSIDE the sqrt: g/sqrt(h+eps)",
               book="lr=0.01, decay 0.99, g/(sqrt(h)+1e-7)",
               reason="other defaults; epsilon inside the sqrt cannot equal one outside for every h",
               fix="RMSprop(learning_rate=0.01, rho=0.99, epsilon=1e-14) (1e-14 = (1e-7)^2 agrees at h=0); "
                   "epsilon placement remains",
               fix_kind="option", measure=m.measure_rmsprop_keras, threshold=1e-3, tol=_OPT_TOL,
               residual=(5e-3, 0.5)),  # measured 5.3e-2: where sqrt(h) ~ 1e-7 the two denominators differ by ~10%
    Difference("adagrad-epsilon", "AdaGrad", "torch", default="eps=1e-10 (outside the sqrt)",
               book="1e-7 outside the sqrt; lr 0.01, h from 0 (= torch's lr, initial_accumulator_value)",
               reason="smaller default epsilon", fix="Adagrad(eps=1e-7)", fix_kind="option",
               measure=m.measure_adagrad_epsilon_torch, threshold=1e-6, tol=_OPT_TOL),
    Difference("adagrad-defaults", "AdaGrad", "keras",
               default="learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7 INSIDE the sqrt",
               book="lr=0.01, h from 0, g/(sqrt(h)+1e-7)",
               reason="other defaults; the 0.1 start damps early steps; epsilon inside the sqrt",
               fix="Adagrad(learning_rate=0.01, initial_accumulator_value=0, epsilon=1e-14); epsilon placement remains",
               fix_kind="option", measure=m.measure_adagrad_keras, threshold=1e-3, tol=_OPT_TOL,
               residual=(5e-4, 5e-2)),  # measured 4.6e-3, same cause
    Difference("weight-decay-decoupled", "Adam", "keras",
               default="optimizer weight_decay=lambda is decoupled: W -= lr*lambda*W beside the Adam step (AdamW)",
               book="0.5*lambda*sum(W**2) in the loss: g + lambda*W goes through Adam's scaling",
               reason="Keras 3 implements weight_decay as decoupled decay in every optimizer",
               fix="no optimizer weight_decay; keras.regularizers.L2(lambda/2) as the Dense kernel_regularizer "
                   "(its gradient lambda*W joins g through the loss); on TensorFlow L2 casts lambda/2 "
                   "through float32 (entry hyperparams-float32: validate_float_arg makes it a Python float)",
               fix_kind="option", measure=m.measure_keras_weight_decay, threshold=1e-6, tol=_OPT_TOL,
               residual={"tensorflow": (8e-12, 8e-10)}),  # measured 7.97e-11 after 10 steps (lambda/2 = 0.05)
    Difference("adam-epsilon", "Adam", "torch",
               default="p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + 1e-8): eps on the bias-corrected sqrt(v_hat)",
               book="lr_t = lr*sqrt(1-b2^t)/(1-b1^t); p -= lr_t * m / (sqrt(v) + 1e-7) (Keras Adam: the same)",
               reason="bias correction applied to m and v instead of the step size moves epsilon; "
                      "value 1e-8 vs 1e-7",
               fix="set param_groups eps = 1e-7/sqrt(1-beta2^t) before step t (no constant eps matches)",
               fix_kind="adapter", measure=m.measure_adam_epsilon_torch, threshold=1e-6, tol=_OPT_TOL),
    # --- losses and activations ------------------------------------------------------------------
    Difference("cross-entropy-delta", "cross_entropy_error", "torch",
               default="CrossEntropyLoss: -log_softmax(x)[t], exact (no delta)",
               book="-log(softmax(x)[t] + 1e-7)", reason="the book guards log(0) with 1e-7; torch "
               "never forms the probability", fix="-log(softmax(x) + 1e-7) with torch ops (nll_loss)",
               fix_kind="adapter", measure=m.measure_cross_entropy, threshold=1e-3, tol=_CE_TOL),
    Difference("cross-entropy-delta", "cross_entropy_error", "keras",
               default="categorical_crossentropy(from_logits=False): -log(clip(y, 1e-7, 1-1e-7))",
               book="-log(y + 1e-7)", reason="clipping and adding differ except at y = 0; "
               "keras.config.set_epsilon moves the clip bound, nothing adds a delta",
               fix="-sum(t * log(y + 1e-7)) with keras.ops", fix_kind="adapter",
               measure=m.measure_cross_entropy, threshold=1e-3, tol=_CE_TOL),
    *_both("relu-grad-at-zero", "relu_grad",
           "the book disagrees with itself: relu_grad uses x >= 0, the Relu layer x > 0; frameworks "
           "follow the layer; no option changes a framework's subgradient",
           {"torch": dict(default="d relu/dx at 0 = 0"), "keras": dict(default="d relu/dx at 0 = 0")},
           book="relu_grad(0) = 1 (the Relu layer: 0)", fix="none (compare against the Relu layer, which agrees)",
           fix_kind="none", measure=m.measure_relu_grad_at_zero, threshold=0.5, tol=_CE_TOL,
           residual=(1.0, 1.0)),
    # --- initializers (two-sample KS distance against the book's law; threshold = KS critical value) --
    *_both("init-xavier-name", "init",
           "'Xavier' in the frameworks is Glorot's fan-average (2/(fan_in+fan_out)); the book's 'xavier' is fan-in only",
           {"torch": dict(default="xavier_normal_: N(0, 2/(fan_in+fan_out))",
                          fix="normal_(std=1/sqrt(n_in))"),
            "keras": dict(default="GlorotNormal: truncated normal, variance 2/(fan_in+fan_out)",
                          fix="VarianceScaling(1, 'fan_in', 'untruncated_normal')")},
           book="xavier = randn/sqrt(n_in)", fix_kind="option", measure=None, threshold=None),
    Difference("init-he-truncated", "init", "keras",
               default="HeNormal: normal truncated at 2 std (std / 0.8796 first), variance 2/fan_in",
               book="he = randn*sqrt(2/n_in), untruncated",
               reason="Keras' named normals are truncated: same variance, excess kurtosis -0.63, |x| <= 2.27 std",
               fix="VarianceScaling(2, 'fan_in', 'untruncated_normal')", fix_kind="option",
               measure=None, threshold=None),
    Difference("init-kaiming-layout", "init", "torch",
               default="kaiming_normal_(fan_in, relu) on a tensor in the book's layout (in, out) uses fan_in = n_out",
               book="he = randn*sqrt(2/n_in)",
               reason="torch reads fan_in from dim 1 (Linear.weight is (out, in) = W.T)",
               fix="kaiming_normal_ on the (out, in) weight, then transpose", fix_kind="option",
               measure=None, threshold=None, trigger="literal"),
    *_both("init-layer-default", "init",
           "a layer built without an initializer draws the framework's default, not the book's std 0.01 normal",
           {"torch": dict(default="Linear: kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(n_in))"),
            "keras": dict(default="Dense: GlorotUniform = U(+-sqrt(6/(n_in+n_out)))")},
           book="weight_init_std=0.01: 0.01*randn (TwoLayerNet)", fix="copy the book's weights in, or draw N(0, 0.01^2)",
           fix_kind="option", measure=None, threshold=None),
)

# Initializer rows get their measuring function from the id (one table in differences_measure).
CATALOGUE = tuple(
    d if d.measure is not None else Difference(**{**d.__dict__, "measure": m.measure_init(d.id)})
    for d in CATALOGUE
)


def available(framework):
    """Whether ``framework`` can be measured here (the package is importable)."""
    mods = {"torch": ("torch",), "keras": ("keras",)}[framework]
    return all(importlib.util.find_spec(name) is not None for name in mods)


def _backend(framework):
    if framework != "keras":
        return ""
    import keras

    return keras.backend.backend()


def evaluate(entry: Difference) -> dict:
    """Measure one entry as it comes and with the book configuration; return its report row."""
    row = dict(id=entry.id, component=entry.component, framework=entry.framework, backend="",
               default=entry.default, book=entry.book, reason=entry.reason, fix=entry.fix,
               fix_kind=entry.fix_kind, trigger=entry.trigger, default_residual=float("nan"),
               configured_residual=float("nan"), unit="", threshold=entry.threshold,
               bound=float("nan"), expected_residual=entry.expected_residual(), status="", detail="")
    if not available(entry.framework):
        row.update(status="skipped", detail=f"{entry.framework} is not installed")
        return row
    row["backend"] = backend = _backend(entry.framework)
    row["expected_residual"] = residual = entry.expected_residual(backend)
    as_is = entry.measure(entry.framework, "as_is")
    book = entry.measure(entry.framework, "book")
    threshold = entry.threshold
    if threshold is None:  # statistical: the critical value of the test
        threshold, bound = as_is.critical, book.critical
    else:
        bound = entry.tol.atol + entry.tol.rtol * book.scale
    row.update(default_residual=as_is.value, configured_residual=book.value, unit=as_is.unit,
               threshold=threshold, bound=bound,
               detail=f"as is: {as_is.detail} | book config: {book.detail}".strip())
    if entry.backends is not None and backend not in entry.backends:
        row["status"] = "not-applicable" if not as_is.value > threshold else "present-elsewhere"
    elif not as_is.value > threshold:
        row["status"] = "stale"
    elif residual is None:
        row["status"] = "removed" if book.value <= bound else "fix-failed"
    else:
        lo, hi = residual
        row["status"] = "residual" if lo <= book.value <= hi else "residual-changed"
    return row


def entries(frameworks=None, ids=None, catalogue=CATALOGUE):
    """Catalogue rows for the given frameworks and ids (None: all)."""
    return [d for d in catalogue
            if (frameworks is None or d.framework in frameworks) and (ids is None or d.id in ids)]


def measure_all(frameworks=None, ids=None, catalogue=CATALOGUE):
    """Every entry measured: a list of dicts (id, framework, backend, default_residual,
    configured_residual, unit, status, ...) — ``pandas.DataFrame(measure_all())`` for the report."""
    return [evaluate(d) for d in entries(frameworks, ids, catalogue)]


def audit(frameworks=None, catalogue=CATALOGUE):
    """Run every entry; return the rows that do not hold any more — "stale" (the default no longer
    differs), "fix-failed" or "residual-changed" — and warn about each stale one."""
    bad = []
    for row in measure_all(frameworks, catalogue=catalogue):
        if row["status"] in ("removed", "residual", "skipped", "not-applicable"):
            continue
        if row["status"] == "stale":
            warnings.warn(f"catalogue entry {row['id']}-{row['framework']} is STALE: as it comes it differs by "
                          f"{row['default_residual']:.3g} {row['unit']} (threshold {row['threshold']:.3g})",
                          StaleDifferenceWarning, stacklevel=2)
        bad.append(row)
    return bad


__all__ = ["CATALOGUE", "Difference", "StaleDifferenceWarning", "audit", "available", "entries",
           "evaluate", "measure_all"]
