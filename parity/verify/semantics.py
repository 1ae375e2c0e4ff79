"""Semantics diagnosis: when a user's component fails, does it compute what a framework computes by
default instead of what the book computes? ("matches torch default, not the book").

Each ``Variant`` is the reference with one framework default written in (inverted dropout,
batch-norm epsilon 1e-5, torch's momentum convention, unbiased running variance, Adam's epsilon on
the bias-corrected sqrt(v_hat), cross-entropy without the 1e-7, ...), built as an edited copy of
the reference (``parity.verify.patch``); the difference it stands for is the catalogue entry
``parity.differences`` ``(id, framework)``, whose text the diagnosis quotes.

``diagnose(impl, row)`` drives the user's component and each variant that applies to the row on
the row's own cases (float64) and compares every quantity the book protocol yields (forward, dx,
parameter gradients, running statistics, parameters after each optimizer step) with the row's
float64 tolerance. A variant that agrees everywhere is the diagnosis.

    >>> diagnose("path/to/common", get("Dropout-train"))
    'matches torch and keras default, not the book: dropout-scaling (train x*mask/(1-p); eval x)'
"""
from dataclasses import dataclass, replace
import atexit
import os
import shutil
import tempfile

import numpy as np

from parity import cases as case_table
from parity.verify.patch import Edit, reference_copy
from parity.compare import compare
from parity.impl import load_implementation
from parity.tolerances import tolerance

_BN = ("BatchNormalization-train", "BatchNormalization-eval")
_RMS_LINE = "            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)"


def _bn_eps(eps):
    return (Edit("layers.py", "np.sqrt(var + 10e-7)", f"np.sqrt(var + {eps})"),
            Edit("layers.py", "np.sqrt(self.running_var + 10e-7)", f"np.sqrt(self.running_var + {eps})"))


_ADAM_LINE = "            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)"


@dataclass(frozen=True)
class Variant:
    """The reference with one framework default: ``edits`` applied to a copy.

    id, frameworks: the catalogue entry (``parity.differences``) for each framework named.
    components: the registry rows it can explain. what: one line on what the variant computes."""
    key: str
    id: str
    frameworks: tuple
    components: tuple
    what: str
    edits: tuple


VARIANTS = (
    Variant("dropout-inverted", "dropout-scaling", ("torch", "keras"), ("Dropout-train", "Dropout-test"),
            "inverted dropout: train x*mask/(1-p), test x", (
                Edit("layers.py", "            return x * self.mask\n",
                     "            return x * self.mask / (1.0 - self.dropout_ratio)\n"),
                Edit("layers.py", "        return x * (1.0 - self.dropout_ratio)\n", "        return x\n"),
                Edit("layers.py", "        return dout * self.mask\n",
                     "        return dout * self.mask / (1.0 - self.dropout_ratio)\n"))),
    Variant("bn-eps-1e-5", "bn-epsilon", ("torch",), _BN, "batch-norm eps 1e-5",
            _bn_eps("1e-5")),
    Variant("bn-eps-1e-3", "bn-epsilon", ("keras",), _BN, "batch-norm eps 1e-3",
            _bn_eps("1e-3")),
    Variant("bn-momentum-swapped", "bn-momentum", ("torch",), _BN,
            "momentum as the weight of the new batch: running = (1-m)*running + m*batch", (
                Edit("layers.py", "self.momentum * self.running_mean + (1 - self.momentum) * mu",
                     "(1 - self.momentum) * self.running_mean + self.momentum * mu"),
                Edit("layers.py", "self.momentum * self.running_var + (1 - self.momentum) * var",
                     "(1 - self.momentum) * self.running_var + self.momentum * var"))),
    Variant("bn-unbiased-var", "bn-running-var", ("torch",), _BN,
            "running variance updated with the unbiased (N-1) batch variance",
            (Edit("layers.py", "(1 - self.momentum) * var\n",
                  "(1 - self.momentum) * var * x.shape[0] / (x.shape[0] - 1)\n"),)),
    Variant("bn-running-var-ones", "bn-running-var", ("torch",), _BN,
            "running variance starting at 1 and updated with the unbiased batch variance", (
                Edit("layers.py", "self.running_var = np.zeros(D, dtype=x.dtype)",
                     "self.running_var = np.ones(D, dtype=x.dtype)"),
                Edit("layers.py", "(1 - self.momentum) * var\n",
                     "(1 - self.momentum) * var * x.shape[0] / (x.shape[0] - 1)\n"))),
    Variant("bn-running-var-ones-biased", "bn-running-var", ("keras",), _BN,
            "moving variance starting at 1 (biased batch variance)",
            (Edit("layers.py", "self.running_var = np.zeros(D, dtype=x.dtype)",
                  "self.running_var = np.ones(D, dtype=x.dtype)"),)),
    Variant("ce-no-delta", "cross-entropy-delta", ("torch",), ("cross_entropy_error", "SoftmaxWithLoss"),
            "cross-entropy without the 1e-7 inside the log",
            (Edit("functions.py", "delta = np.asarray(1e-7, dtype=y.dtype)", "delta = np.asarray(0.0, dtype=y.dtype)"),)),
    Variant("ce-clip", "cross-entropy-delta", ("keras",), ("cross_entropy_error", "SoftmaxWithLoss"),
            "cross-entropy of y clipped to [1e-7, 1-1e-7] instead of y + 1e-7",
            (Edit("functions.py", "np.log(y[np.arange(batch_size), t] + delta)",
                  "np.log(np.clip(y[np.arange(batch_size), t], 1e-7, 1 - 1e-7))"),)),
    Variant("adam-eps-torch", "adam-epsilon", ("torch",), ("Adam", "Adam-weight-decay"),
            "Adam with eps 1e-8 added to the bias-corrected sqrt(v_hat)",
            (Edit("optimizer.py", _ADAM_LINE,
                  "            params[key] -= self.lr / (1.0 - self.beta1 ** self.iter) * self.m[key] / "
                  "(np.sqrt(self.v[key]) / math.sqrt(1.0 - self.beta2 ** self.iter) + 1e-8)"),)),
    Variant("rmsprop-eps-1e-8", "rmsprop-epsilon", ("torch",), ("RMSprop",), "RMSprop eps 1e-8",
            (Edit("optimizer.py", "(1 - self.decay_rate) * grads[key] * grads[key]\n" + _RMS_LINE,
                  "(1 - self.decay_rate) * grads[key] * grads[key]\n" + _RMS_LINE.replace("1e-7", "1e-8")),)),
    Variant("rmsprop-eps-inside", "rmsprop-defaults", ("keras",), ("RMSprop",),
            "RMSprop epsilon inside the sqrt: g / sqrt(h + 1e-7)",
            (Edit("optimizer.py", "(1 - self.decay_rate) * grads[key] * grads[key]\n" + _RMS_LINE,
                  "(1 - self.decay_rate) * grads[key] * grads[key]\n" + _RMS_LINE.replace(
                      "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key] + 1e-7)")),)),
    Variant("adagrad-eps-1e-10", "adagrad-epsilon", ("torch",), ("AdaGrad",), "AdaGrad eps 1e-10",
            (Edit("optimizer.py", "self.h[key] += grads[key] * grads[key]\n" + _RMS_LINE,
                  "self.h[key] += grads[key] * grads[key]\n" + _RMS_LINE.replace("1e-7", "1e-10")),)),
    Variant("adagrad-eps-inside", "adagrad-defaults", ("keras",), ("AdaGrad",),
            "AdaGrad epsilon inside the sqrt: g / sqrt(h + 1e-7)",
            (Edit("optimizer.py", "self.h[key] += grads[key] * grads[key]\n" + _RMS_LINE,
                  "self.h[key] += grads[key] * grads[key]\n" + _RMS_LINE.replace(
                      "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key] + 1e-7)")),)),
)

_DIR = None


def variant_dir():
    """The temporary folder the variants are written to, made once per process (and removed at its
    exit). ``check`` makes it before forking, so that its child processes share the copies."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="parity-variants-")
        atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
    return _DIR


def variant_impl(variant):
    """The variant as a loaded implementation (written once to ``variant_dir()``)."""
    folder = os.path.join(variant_dir(), variant.key)
    if not os.path.isdir(folder):
        reference_copy(folder, variant.edits)
    return load_implementation(folder)


def catalogue_entry(variant, framework):
    """The ``parity.differences`` entry a variant stands for (None if the catalogue lacks it)."""
    from parity.differences import CATALOGUE

    for d in CATALOGUE:
        if d.id == variant.id and d.framework == framework:
            return d
    return None


# --- the book protocol's numbers for one implementation ---------------------------------------------

def outputs(impl, row, dtype="float64"):
    """{case id: {quantity: array}} of ``impl``'s component on the row's cases (None: missing)."""
    impl = load_implementation(impl)
    component = impl.get(row.reference)
    if component is None:
        return None
    if row.kind == "optimizer":
        from parity.runners import optimizers

        out = {}
        for case_id in row.cases:
            params0, grads = optimizers.problem(case_id)
            steps = optimizers.drive_reference(component, row, optimizers._cast(params0, dtype),
                                               [optimizers._cast(g, dtype) for g in grads])
            out[case_id] = {"params": np.stack([np.concatenate([p[k].ravel() for k in sorted(p)])
                                                for p, _ in steps])}
        return out
    from parity.runners.runner import drive_reference

    if "grad" in row.config:
        grad_fn = impl.get(row.config["grad"])
        if grad_fn is None:
            return None
        row = replace(row, config={**row.config, "_grad_fn": grad_fn})
    out = {}
    for case_id in row.cases:
        case = case_table.get(case_id)
        got = drive_reference(component, row, case.cast(dtype), case.hyper)
        got.pop("mask", None)
        out[case_id] = got
    return out


def agrees(row, mine, theirs, dtype="float64"):
    """True where every quantity of every case agrees within the row's tolerance."""
    if mine is None or theirs is None or set(mine) != set(theirs):
        return False
    for case_id, quantities in mine.items():
        case = case_table.get(case_id) if row.kind != "optimizer" else None
        for check, value in quantities.items():
            if check not in theirs[case_id]:
                return False
            reduction = row.reduction_for(case) if case is not None else row.reduction_for(None)
            tol = tolerance(dtype, check, reduction, row.override(dtype, check))
            if not compare(check, value, theirs[case_id][check], tol, check_dtype=False).passed:
                return False
    return True


def diagnose(impl, row, frameworks=None):
    """"matches <framework> default, not the book: <catalogue id> (<the default>)" or None."""
    from parity.backends import plugin

    frameworks = plugin.names() if frameworks is None else frameworks
    candidates = [v for v in VARIANTS if row.name in v.components and set(v.frameworks) & set(frameworks)]
    if not candidates:
        return None
    try:
        mine = outputs(impl, row)
    except Exception:  # noqa: BLE001 -- a component that raises has no semantics to diagnose
        return None
    for variant in candidates:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # log(0) of a no-delta variant
            theirs = outputs(variant_impl(variant), row)
        if agrees(row, mine, theirs):
            fws = [fw for fw in variant.frameworks if fw in frameworks]
            entry = catalogue_entry(variant, fws[0])
            default = f" ({entry.default})" if entry is not None else ""
            return (f"matches {' and '.join(fws)} default, not the book: {variant.id}{default} -- "
                    f"{variant.what}")
    return None
