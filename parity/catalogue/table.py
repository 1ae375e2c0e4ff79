"""The table of known differences: one ``Row`` per fact, as data (nothing here imports a framework).

A row says which framework plug-ins (and, for Keras, which backends) it concerns, which registry
component shows it (``component``, measured on its ``checks`` and ``cases``), what the framework
does as it comes and what the book does, why, and where the fact is documented (``source``). The
two configurations are builder keyword arguments of the framework's plug-in (``parity.backends.
<name>``): ``as_is[fw]`` is the framework's default (a value None in a nested ``*_kwargs`` dict:
the framework's own default), ``fix[fw]`` the book-matching one (absent: the builder's defaults,
which are the book's). ``residual[label]`` is the band ``(lo, hi)`` the book configuration still
leaves on that framework label ("keras[torch]"), like an xfail with its reason
(``residual_reason``, default ``reason``); ``known_dtypes``
where that residual is a known difference of the registry (``derive.known_for``).

trigger: "default" (the framework's defaults), "literal" (the book's number copied into a framework
that reads it in another convention), "implementation" (the book's own code in another form: the
as-is side is the reference with ``variants``' edits, checked against the framework configured to
the book).

variants: the reference with the framework's default written in (edits ``(file, old, new)``, made
``parity.verify.patch.Edit`` by ``derive.variant_edits``; plain tuples keep this module free of imports):
the ``check`` tool's diagnosis ("matches torch default, not the book") and the planted faults.

How to add a row: pick the registry component and check that show the difference; give the
framework's default as builder arguments in ``as_is`` (add the keyword to the builder if it has
none, defaulting to the book's value); run ``parity.catalogue.measure.evaluate`` on it; where the
book configuration cannot remove it, declare the measured band (one decade around) in
``residual``; ``tests/parity/test_differences.py`` then measures it in every framework env.
"""
from dataclasses import dataclass, field
from typing import Optional

KERAS_LABELS = ("keras[tensorflow]", "keras[torch]", "keras[jax]")


def Edit(file, old, new):  # noqa: N802 -- reads as the patch module's Edit it becomes
    """One text edit of a reference file: (file, old, new)."""
    return (file, old, new)


@dataclass(frozen=True)
class Variant:
    """The reference with one framework default written in (``edits`` on a copy).

    key: its name (faults and diagnoses refer to it); frameworks: whose default it is;
    what: one line on what it computes."""
    key: str
    frameworks: tuple
    what: str
    edits: tuple


@dataclass(frozen=True)
class Row:
    id: str
    component: str
    frameworks: tuple
    default: str
    book: str
    reason: str
    source: str
    how: str
    as_is: dict = field(default_factory=dict)
    fix: dict = field(default_factory=dict)
    fix_kind: str = "option"
    checks: tuple = ("forward",)
    cases: Optional[tuple] = None
    residual: dict = field(default_factory=dict)
    residual_reason: str = ""
    known_dtypes: tuple = ("float64",)
    backends: Optional[tuple] = None
    trigger: str = "default"
    depends: str = ""
    explains: tuple = ()
    variants: tuple = ()
    refuses: dict = field(default_factory=dict)
    row_changes: dict = field(default_factory=dict)
    dtype: str = "float64"

    def config(self, framework, which):
        """The builder keyword arguments of ``framework`` for ``which`` ("as_is" or "book")."""
        if which not in ("as_is", "book"):
            raise ValueError(f"catalogue: configuration must be 'as_is' or 'book', got {which!r}")
        return dict((self.as_is if which == "as_is" else self.fix).get(framework, {}))

    def band(self, label):
        """The residual band the book configuration leaves on ``label`` (None: it must be removed)."""
        return self.residual.get(label)

    def key(self, framework):
        return f"{self.id}-{framework}"


def _keras_all(band):
    return {label: band for label in KERAS_LABELS}


_BN = ("BatchNormalization-train", "BatchNormalization-eval")
_RMS_LINE = "            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)"
_ADAM_LINE = "            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)"
_NESTEROV = '''            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
'''
_NESTEROV_V_FIRST = '''            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
'''


def _bn_eps(eps):
    return (Edit("layers.py", "np.sqrt(var + 10e-7)", f"np.sqrt(var + {eps})"),
            Edit("layers.py", "np.sqrt(self.running_var + 10e-7)", f"np.sqrt(self.running_var + {eps})"))


def _eps_inside(first_line):
    return (Edit("optimizer.py", first_line + _RMS_LINE, first_line + _RMS_LINE.replace(
        "(np.sqrt(self.h[key]) + 1e-7)", "np.sqrt(self.h[key] + 1e-7)")),)


def _eps_value(first_line, value):
    return (Edit("optimizer.py", first_line + _RMS_LINE, first_line + _RMS_LINE.replace("1e-7", value)),)


# measured 7.74e-2 (RMSprop) and 5.48e-3 (AdaGrad) on every Keras backend, 5.48e-3 optax AdaGrad
_EPS_INSIDE = ("divides by sqrt(h + eps), the book by sqrt(h) + 1e-7; eps=1e-14 agrees at h=0 only "
               "(no configuration removes it)")
_RMS_H = "(1 - self.decay_rate) * grads[key] * grads[key]\n"
_ADA_H = "self.h[key] += grads[key] * grads[key]\n"
_UNBIASED = Edit("layers.py", "(1 - self.momentum) * var\n",
                 "(1 - self.momentum) * var * x.shape[0] / (x.shape[0] - 1)\n")
_VAR_ONES = Edit("layers.py", "self.running_var = np.zeros(D, dtype=x.dtype)", "self.running_var = np.ones(D, dtype=x.dtype)")

TORCH_DOCS = "https://pytorch.org/docs/stable/generated/"
KERAS_DOCS = "https://keras.io/api/"
OPTAX_DOCS = "https://optax.readthedocs.io/en/latest/api/"
FLAX_DOCS = "https://flax.readthedocs.io/en/latest/api_reference/flax.nnx/"
BOOK = "https://github.com/oreilly-japan/deep-learning-from-scratch/blob/master/common/"

# Keras 3 type promotion on its torch backend maps float64 to float32
# (keras/src/backend/common/dtypes.py BIT64_TO_BIT32_DTYPE, "aligned with JAX's default"), so ops
# that take their compute dtype from result_type (matmul, mean, batch_normalization, categorical
# cross-entropy) run float64 input at float32 precision and cast back. No option changes it.
_F64 = dict(
    frameworks=("keras",),
    default="float64 input computed in float32 (result_type(float64, float32) = float32) and cast back",
    book="float64 throughout",
    reason="keras' torch and jax backends compute float64 matmul (torch) / mean / batch-norm / cross-entropy / "
           "tanh (jax) in float32 (result_type maps float64 to float32); no option changes it (set_floatx does not)",
    source="https://github.com/keras-team/keras/blob/master/keras/src/backend/common/dtypes.py",
    how="none: compute in float64 with the backend's own ops (torch) instead of keras.ops", fix_kind="none",
    depends="the values' size: relative errors of float32 rounding (1e-8 .. 1e-5 measured)")

# What the book configuration leaves on keras[torch] and keras[jax] float64 (rows float64-compute-*:
# those backends compute batch norm and cross-entropy in float32): bands one decade around the
# values measured on keras[torch] (keras[jax] in brackets).
_KERAS_F32 = {
    "bn-epsilon": (6.8e-8, 6.8e-6),       # measured 6.79e-7 [5.35e-7] (forward)
    "bn-momentum": (4.5e-9, 4.5e-7),      # 4.45e-8 [4.45e-8] (running_mean)
    "bn-running-var": (1.5e-8, 1.5e-6),   # 1.48e-7 [2.14e-7] (running_var)
    "bn-per-channel": (6.8e-8, 6.8e-6),   # 6.79e-7 [3.92e-7] (forward, bn-4d)
    "loss": (2.2e-11, 2.2e-9),            # 2.23e-10 [2.23e-10] (SoftmaxWithLoss dx, batch 100 x 10)
}


def _f32(name):
    return {label: _KERAS_F32[name] for label in ("keras[torch]", "keras[jax]")}

ROWS = (
    # --- batch normalization -------------------------------------------------------------------------
    Row("bn-epsilon", "BatchNormalization-train", ("torch", "keras", "jax"),
        default="eps 1e-5 (torch BatchNorm1d, flax nnx.BatchNorm), epsilon 1e-3 (keras BatchNormalization)",
        book="eps = 10e-7 = 1e-6 inside sqrt(var + eps)",
        reason="epsilon inside sqrt(var + eps) is the book's 10e-7 = 1e-6; the frameworks chose larger ones",
        source=f"{TORCH_DOCS}torch.nn.BatchNorm1d.html; {KERAS_DOCS}layers/normalization_layers/batch_normalization/; "
               f"{FLAX_DOCS}nn/normalization.html",
        how="BatchNorm1d(eps=1e-6); BatchNormalization(epsilon=1e-6); nnx.BatchNorm(epsilon=1e-6)",
        as_is={"torch": {"eps": 1e-5}, "keras": {"epsilon": 1e-3}, "jax": {"epsilon": 1e-5}},
        checks=("forward",), explains=_BN, residual=_f32("bn-epsilon"),
        depends="the batch variance: eps / var relative, large for features whose std is near sqrt(eps)",
        variants=(Variant("bn-eps-1e-5", ("torch", "jax"), "batch-norm eps 1e-5", _bn_eps("1e-5")),
                  Variant("bn-eps-1e-3", ("keras",), "batch-norm eps 1e-3", _bn_eps("1e-3")))),
    Row("bn-momentum", "BatchNormalization-train", ("keras", "jax"),
        default="momentum=0.99 (the book's convention: weight of the old value)",
        book="momentum=0.9: running = 0.9*running + 0.1*batch",
        reason="same convention as the book, larger default",
        source=f"{KERAS_DOCS}layers/normalization_layers/batch_normalization/; {FLAX_DOCS}nn/normalization.html",
        how="BatchNormalization(momentum=0.9); nnx.BatchNorm(momentum=0.9)",
        as_is={"keras": {"momentum": 0.99}, "jax": {"momentum": 0.99}}, checks=("running_mean",), explains=_BN,
        residual=_f32("bn-momentum"),
        depends="the batch means and the number of steps (the running mean lags by momentum^t)"),
    Row("bn-momentum-convention", "BatchNormalization-train", ("torch",),
        default="momentum=0.9 passed literally means running = 0.1*running + 0.9*batch",
        book="momentum=0.9: running = 0.9*running + 0.1*batch",
        reason="torch's momentum is the weight of the NEW batch (the opposite convention); its default 0.1 "
               "already equals the book's 0.9",
        source=f"{TORCH_DOCS}torch.nn.BatchNorm1d.html",
        how="BatchNorm1d(momentum=1 - 0.9) (= torch's default 0.1)", trigger="literal",
        as_is={"torch": {"momentum": 0.9}}, checks=("running_mean",), explains=_BN,
        depends="the batch means and the number of steps",
        variants=(Variant("bn-momentum-swapped", ("torch",),
                          "momentum as the weight of the new batch: running = (1-m)*running + m*batch", (
                              Edit("layers.py", "self.momentum * self.running_mean + (1 - self.momentum) * mu",
                                   "(1 - self.momentum) * self.running_mean + self.momentum * mu"),
                              Edit("layers.py", "self.momentum * self.running_var + (1 - self.momentum) * var",
                                   "(1 - self.momentum) * self.running_var + self.momentum * var"))),)),
    Row("bn-running-var", "BatchNormalization-train", ("torch", "keras", "jax"),
        default="running variance starts at 1 (all three); torch tracks the unbiased (N-1) batch variance",
        book="running_var starts at 0; biased (N) batch variance",
        reason="the frameworks initialise the running variance to ones; torch's running update uses the "
               "unbiased estimate and no option switches it to the biased one",
        source=f"{TORCH_DOCS}torch.nn.BatchNorm1d.html; {KERAS_DOCS}layers/normalization_layers/batch_normalization/; "
               f"{FLAX_DOCS}nn/normalization.html",
        how="torch: update the running statistics yourself (parity's BookBatchNorm, an adapter); keras "
            "BatchNormalization(moving_variance_initializer='zeros'); flax: replace bn.var by zeros",
        as_is={"torch": {"running_var_init": "ones", "running_var": "unbiased"},
               "keras": {"moving_variance_initializer": "ones"}, "jax": {"running_var_init": "ones"}},
        checks=("running_var",), explains=_BN, fix_kind="adapter",
        residual=_f32("bn-running-var"),
        depends="the batch size N (torch's N/(N-1) factor) and the number of steps (the start's weight momentum^t)",
        variants=(Variant("bn-unbiased-var", ("torch",), "running variance updated with the unbiased (N-1) batch "
                          "variance", (_UNBIASED,)),
                  Variant("bn-running-var-ones", ("torch",), "running variance starting at 1 and updated with the "
                          "unbiased batch variance", (_VAR_ONES, _UNBIASED)),
                  Variant("bn-running-var-ones-biased", ("keras", "jax"), "moving variance starting at 1 (biased "
                          "batch variance)", (_VAR_ONES,)))),
    Row("bn-stats-float32", "BatchNormalization-train", ("jax",),
        default="nnx.BatchNorm(param_dtype=float64) still creates its running mean / var float32",
        book="float64 running statistics for float64 input",
        reason="flax creates the batch statistics in float32 whatever param_dtype says",
        source=f"{FLAX_DOCS}nn/normalization.html",
        how="replace bn.mean / bn.var by nnx.BatchStat arrays of the dtype under test",
        as_is={"jax": {"stats_dtype": "float32"}}, checks=("running_var",), explains=_BN,
        depends="the statistics' size (float32 rounding of the running mean and variance)"),
    Row("bn-per-channel", "BatchNormalization-train", ("torch", "keras"),
        default="BatchNorm2d / BatchNormalization(axis=1) on NCHW: statistics per channel over (N, H, W)",
        book="(N, C, H, W) flattened to (N, C*H*W): statistics per activation",
        reason="the book flattens 4-D input, so it normalizes per activation, not per channel",
        source=f"{BOOK}layers.py (BatchNormalization.forward reshapes to (N, -1))",
        how="reshape to (N, -1), BatchNorm1d(C*H*W) / BatchNormalization(), reshape back (an adapter)",
        as_is={"torch": {"per_channel": True}, "keras": {"per_channel": 2}}, fix_kind="adapter",
        checks=("forward",), cases=("bn-4d",), explains=_BN, residual=_f32("bn-per-channel"),
        depends="how much the statistics differ between the positions of a channel"),
    # bands one decade around the values measured on keras[torch] / keras[jax]
    *(Row(f"float64-compute-{name}", name, checks=checks, backends=backends,
          residual={f"keras[{b}]": band for b in backends}, **_F64)
      for name, checks, backends, band in (
          ("Affine", ("forward", "dx", "dW"), ("torch",), (4e-8, 4e-6)),              # measured 4.15e-7
          ("SoftmaxWithLoss", ("dx",), ("torch", "jax"), (3e-10, 3e-8)),              # 2.97e-9 [2.97e-9]
          ("BatchNormalization-train", ("forward", "dx", "dgamma", "dbeta", "running_mean", "running_var"),
           ("torch", "jax"), (1.3e-7, 1.3e-5)),                                       # 1.32e-6 [7.88e-7]
          ("BatchNormalization-eval", ("eval_forward",), ("torch", "jax"), (9e-8, 9e-6)),  # 9.05e-7 [1.02e-6]
          ("Tanh", ("forward", "dx"), ("jax",), (1.1e-8, 1.1e-6)),                     # [1.1e-7]
          ("tanh", ("forward",), ("jax",), (1.7e-8, 1.7e-6)))),                        # [1.69e-7] (the report's fn-random)
    # --- dropout ---------------------------------------------------------------------------------------
    Row("dropout-scaling", "Dropout-train", ("torch", "keras", "jax"),
        default="inverted dropout: train x*mask/(1-p), test x",
        book="train x*mask; test x*(1-p)",
        reason="frameworks scale at training time so that test is the identity; the book scales at test "
               "time; no option turns inversion off",
        source=f"{TORCH_DOCS}torch.nn.Dropout.html; {KERAS_DOCS}layers/regularization_layers/dropout/; "
               f"{FLAX_DOCS}nn/stochastic.html",
        how="multiply the framework's output by (1-p) in both modes (an adapter)", fix_kind="adapter",
        as_is={fw: {"inverted": True} for fw in ("torch", "keras", "jax")}, checks=("forward", "dx"),
        explains=("Dropout-train", "Dropout-test"), depends="the ratio p: kept values off by x*p/(1-p)",
        variants=(Variant("dropout-inverted", ("torch", "keras", "jax"), "inverted dropout: train x*mask/(1-p), test x", (
            Edit("layers.py", "            return x * self.mask\n",
                 "            return x * self.mask / (1.0 - self.dropout_ratio)\n"),
            Edit("layers.py", "        return x * (1.0 - self.dropout_ratio)\n", "        return x\n"),
            Edit("layers.py", "        return dout * self.mask\n",
                 "        return dout * self.mask / (1.0 - self.dropout_ratio)\n"))),)),
    # --- optimizers ------------------------------------------------------------------------------------
    Row("sgd-lr", "SGD", ("torch",), default="lr=1e-3", book="lr=0.01",
        reason="torch.optim.SGD's lr defaults to 1e-3 (Keras SGD: 0.01 = the book's)",
        source=f"{TORCH_DOCS}torch.optim.SGD.html", how="SGD(params, lr=0.01)",
        as_is={"torch": {"torch_kwargs": {"lr": None}}}, checks=("params",),
        depends="the gradients' size (the step is 10 times too small)"),
    Row("lr-float32", "SGD", ("keras",),
        default="learning rate kept in a float32 variable (floatx) even for float64 weights",
        book="lr a Python float, applied in the parameters' dtype",
        reason="Keras optimizers build their learning-rate variable with floatx()",
        source=f"{KERAS_DOCS}optimizers/", how="keras.config.set_floatx('float64') before building the optimizer",
        fix_kind="global", as_is={"keras": {"floatx_dtype": "float32"}}, checks=("params",),
        depends="the gradients' size: float32(0.01) - 0.01 = -2.2e-10 per unit gradient and step"),
    Row("hyperparams-float32", "Adam", ("keras",), backends=("tensorflow",),
        default="Python-float beta_1, beta_2 become float32 constants (0.999 -> 0.99900001)",
        book="hyper-parameters exact in the parameters' dtype",
        reason="on TensorFlow, ops.cast of a Python float makes a float32 tensor first",
        source="https://www.tensorflow.org/api_docs/python/tf/convert_to_tensor",
        how="pass them as np.float64 (Adam(beta_1=np.float64(0.9), ...))",
        as_is={"keras": {"hyper_scalars": "python"}}, checks=("params",),
        depends="the number of steps (the betas' float32 error compounds through m and v)"),
    Row("rmsprop-epsilon", "RMSprop", ("torch",), default="eps=1e-8 (outside the sqrt)",
        book="1e-7 outside the sqrt; lr 0.01, decay 0.99 (= torch's lr, alpha)",
        reason="smaller default epsilon", source=f"{TORCH_DOCS}torch.optim.RMSprop.html", how="RMSprop(eps=1e-7)",
        as_is={"torch": {"torch_kwargs": {"eps": None}}}, checks=("params",),
        depends="gradient elements near 1e-7 (where sqrt(h) meets epsilon)",
        variants=(Variant("rmsprop-eps-1e-8", ("torch",), "RMSprop eps 1e-8", _eps_value(_RMS_H, "1e-8")),)),
    Row("rmsprop-defaults", "RMSprop", ("keras", "jax"),
        default="keras: learning_rate=0.001, rho=0.9, epsilon=1e-7 INSIDE the sqrt; optax rmsprop: eps=1e-8 inside the sqrt",
        book="lr=0.01, decay 0.99, g/(sqrt(h)+1e-7)",
        reason="other defaults; epsilon inside the sqrt cannot equal one outside for every h (keras has no "
               "option; optax's eps_in_sqrt=False puts it outside)",
        source=f"{KERAS_DOCS}optimizers/rmsprop/; {OPTAX_DOCS}optimizers.html#optax.rmsprop",
        how="keras RMSprop(learning_rate=0.01, rho=0.99, epsilon=1e-14) (1e-14 = (1e-7)^2 agrees at h=0; "
            "the placement remains); optax.rmsprop(lr, decay=0.99, eps=1e-7, eps_in_sqrt=False)",
        as_is={"keras": {"keras_kwargs": {"learning_rate": None, "rho": None, "epsilon": None}},
               "jax": {"optax_kwargs": {"eps": None, "eps_in_sqrt": None}}},
        checks=("params",), residual=_keras_all((7e-3, 0.7)), known_dtypes=("float64", "float32"),
        residual_reason=_EPS_INSIDE,
        depends="gradient elements near 1e-7: where sqrt(h) ~ 1e-7 the two denominators differ by up to ~30%",
        variants=(Variant("rmsprop-eps-inside", ("keras", "jax"), "RMSprop epsilon inside the sqrt: g / sqrt(h + 1e-7)",
                          _eps_inside(_RMS_H)),)),
    Row("adagrad-epsilon", "AdaGrad", ("torch",), default="eps=1e-10 (outside the sqrt)",
        book="1e-7 outside the sqrt; lr 0.01, h from 0 (= torch's lr, initial_accumulator_value)",
        reason="smaller default epsilon", source=f"{TORCH_DOCS}torch.optim.Adagrad.html", how="Adagrad(eps=1e-7)",
        as_is={"torch": {"torch_kwargs": {"eps": None}}}, checks=("params",),
        depends="gradient elements near 1e-7",
        variants=(Variant("adagrad-eps-1e-10", ("torch",), "AdaGrad eps 1e-10", _eps_value(_ADA_H, "1e-10")),)),
    Row("adagrad-defaults", "AdaGrad", ("keras", "jax"),
        default="learning_rate=0.001 (keras), initial_accumulator_value=0.1, epsilon=1e-7 INSIDE the sqrt",
        book="lr=0.01, h from 0, g/(sqrt(h)+1e-7)",
        reason="other defaults; the 0.1 start damps early steps; epsilon inside the sqrt (no keras option, no "
               "optax primitive puts it outside the root)",
        source=f"{KERAS_DOCS}optimizers/adagrad/; {OPTAX_DOCS}optimizers.html#optax.adagrad",
        how="Adagrad(learning_rate=0.01, initial_accumulator_value=0, epsilon=1e-14); "
            "optax.adagrad(lr, initial_accumulator_value=0, eps=1e-14); the placement remains",
        as_is={"keras": {"keras_kwargs": {"learning_rate": None, "initial_accumulator_value": None, "epsilon": None}},
               "jax": {"optax_kwargs": {"initial_accumulator_value": None, "eps": None}}},
        checks=("params",), residual={**_keras_all((5e-4, 5e-2)), "jax": (5e-4, 5e-2)}, residual_reason=_EPS_INSIDE,
        known_dtypes=("float64", "float32"), depends="gradient elements near 1e-7",
        variants=(Variant("adagrad-eps-inside", ("keras", "jax"), "AdaGrad epsilon inside the sqrt: g / sqrt(h + 1e-7)",
                          _eps_inside(_ADA_H)),)),
    Row("adam-epsilon", "Adam", ("torch", "jax"),
        default="p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + 1e-8): eps on the bias-corrected sqrt(v_hat)",
        book="lr_t = lr*sqrt(1-b2^t)/(1-b1^t); p -= lr_t * m / (sqrt(v) + 1e-7) (Keras Adam: the same)",
        reason="bias correction applied to m and v instead of the step size moves epsilon; value 1e-8 vs 1e-7",
        source=f"{TORCH_DOCS}torch.optim.Adam.html; {OPTAX_DOCS}optimizers.html#optax.adam",
        how="eps = 1e-7/sqrt(1-beta2^t) before step t (torch: param_groups; optax: inject_hyperparams "
            "schedule); no constant eps matches", fix_kind="adapter",
        as_is={"torch": {"adam_eps": "constant"}, "jax": {"adam_eps": "constant"}}, checks=("params",),
        depends="gradient elements near 1e-7 and the first steps (1/sqrt(1-b2^t) up to 32)",
        variants=(Variant("adam-eps-torch", ("torch", "jax"), "Adam with eps 1e-8 added to the bias-corrected sqrt(v_hat)",
                          (Edit("optimizer.py", _ADAM_LINE,
                                "            params[key] -= self.lr / (1.0 - self.beta1 ** self.iter) * self.m[key] / "
                                "(np.sqrt(self.v[key]) / math.sqrt(1.0 - self.beta2 ** self.iter) + 1e-8)"),)),)),
    Row("adamw-decoupled", "Adam-weight-decay", ("torch", "keras", "jax"),
        default="torch AdamW, keras Adam/AdamW(weight_decay), optax.adamw: W -= lr*lambda*W beside the Adam step "
                "(decoupled; default lambda 0.01 / 0.004 / 1e-4)",
        book="0.5*lambda*sum(W**2) in the loss: g + lambda*W goes through Adam's scaling",
        reason="decoupled weight decay (Loshchilov & Hutter) is not the book's L2 in the loss",
        source=f"{TORCH_DOCS}torch.optim.AdamW.html; {KERAS_DOCS}optimizers/adamw/; "
               f"{OPTAX_DOCS}optimizers.html#optax.adamw",
        how="torch Adam(weight_decay=lambda) (coupled); keras: no weight_decay, L2(lambda/2) kernel_regularizer "
            "(or lambda*W added to the gradient); optax.chain(add_decayed_weights(lambda), adam)",
        as_is={fw: {"weight_decay": "decoupled"} for fw in ("torch", "keras", "jax")}, checks=("params",),
        depends="lambda, lr and |W|: Adam divides the coupled lambda*W by sqrt(v), the decoupled one is not"),
    Row("keras-l2-factor", "SGD-weight-decay", ("keras",),
        default="keras.regularizers.L2(l) adds l*sum(W**2) to the loss: gradient 2*l*W",
        book="weight decay 0.5*lambda*sum(W**2): gradient lambda*W",
        reason="Keras' L2 has no 1/2; L2(lambda) decays twice as hard as the book's lambda",
        source=f"{KERAS_DOCS}layers/regularizers/", how="L2(lambda / 2)",
        as_is={"keras": {"weight_decay": "l2", "l2_factor": 1.0}}, fix={"keras": {"weight_decay": "l2", "l2_factor": 0.5}},
        checks=("params",), residual={"keras[tensorflow]": (8e-11, 8e-9)},  # measured 7.91e-10 (24 steps)
        depends="lambda, lr and |W| (the extra decay is lr*lambda*W per step); on TensorFlow L2 keeps "
                "lambda/2 as a Python float that becomes float32 (the residual)"),
    Row("nesterov-first-printing", "Nesterov", ("torch", "keras", "jax"),
        default="the earlier printings' order: v = m*v - lr*g first, then W += m*m*v - (1+m)*lr*g",
        book="the corrected order (common/optimizer.py today): W += m*m*v - (1+m)*lr*g, then v = m*v - lr*g "
             "(= torch SGD(nesterov=True), keras SGD(nesterov=True), optax.sgd(nesterov=True))",
        reason="updating v before the step applies the momentum twice; the book's repository corrected the order",
        source=f"{BOOK}optimizer.py (class Nesterov)", how="step W before updating v (the book's current code)",
        trigger="implementation", checks=("params",), fix_kind="option",
        depends="the momentum and the gradients' size (the extra term m*m*(m*v - lr*g) every step)",
        variants=(Variant("nesterov-v-first", ("book",), "Nesterov with v updated before the parameter step",
                          (Edit("optimizer.py", _NESTEROV, _NESTEROV_V_FIRST),)),)),
    # --- losses and activations ------------------------------------------------------------------------
    Row("cross-entropy-delta", "SoftmaxWithLoss", ("torch", "jax"),
        default="F.cross_entropy / optax.softmax_cross_entropy: -log_softmax(x)[t], exact (no delta)",
        book="-log(softmax(x)[t] + 1e-7)",
        reason="the book guards log(0) with 1e-7; torch and optax never form the probability",
        source=f"{TORCH_DOCS}torch.nn.CrossEntropyLoss.html; {OPTAX_DOCS}losses.html",
        how="-log(softmax(x) + 1e-7) written in the framework's ops (an adapter)", fix_kind="adapter",
        as_is={"torch": {"forward_loss": "cross_entropy"}, "jax": {"forward_loss": "optax"}},
        cases=("loss-book-labels", "loss-book-saturated-labels"), checks=("forward",),
        explains=("cross_entropy_error", "SoftmaxWithLoss"),
        depends="the true class' probability y_t: 1e-7/y_t per row; where y_t = 0 the book caps the row at "
                "16.1 and the framework grows with the logit gap",
        variants=(Variant("ce-no-delta", ("torch", "jax"), "cross-entropy without the 1e-7 inside the log",
                          (Edit("functions.py", "delta = np.asarray(1e-7, dtype=y.dtype)",
                                "delta = np.asarray(0.0, dtype=y.dtype)"),)),)),
    Row("keras-ce-clip-dense", "cross_entropy_error", ("keras",),
        default="categorical_crossentropy(from_logits=False): -log(clip(y, 1e-7, 1-1e-7)) on one-hot t",
        book="-log(y_t + 1e-7)",
        reason="clipping and adding differ except at y = 0; keras.config.set_epsilon moves the clip bound, "
               "nothing adds a delta",
        source=f"{KERAS_DOCS}losses/probabilistic_losses/", how="-sum(t * log(y + 1e-7)) / N with keras.ops (an adapter)",
        fix_kind="adapter", as_is={"keras": {"form": "function"}}, cases=("ce-book-saturated-onehot",),
        explains=("cross_entropy_error", "SoftmaxWithLoss"),
        depends="y_t: at y_t = 1e-7 off by log 2, at y_t = 1 by 2e-7, elsewhere by 1e-7/y_t",
        variants=(Variant("ce-clip", ("keras",), "cross-entropy of y clipped to [1e-7, 1-1e-7] instead of y + 1e-7",
                          (Edit("functions.py", "np.log(y[np.arange(batch_size), t] + delta)",
                                "np.log(np.clip(y[np.arange(batch_size), t], 1e-7, 1 - 1e-7))"),)),)),
    Row("keras-ce-clip-sparse", "cross_entropy_error", ("keras",),
        default="sparse_categorical_crossentropy(from_logits=False) on labels: the same clip as the dense form",
        book="-log(y_t + 1e-7)",
        reason="the sparse form clips the probabilities to [1e-7, 1-1e-7] as the dense one does",
        source=f"{KERAS_DOCS}losses/probabilistic_losses/", how="-sum(log(y_t + 1e-7)) / N with keras.ops",
        fix_kind="adapter", as_is={"keras": {"form": "function"}}, cases=("ce-book-saturated-labels",),
        depends="y_t, as the dense form"),
    Row("keras-loss-class-dtype", "SoftmaxWithLoss", ("keras",),
        default="CategoricalCrossentropy() (the loss CLASS) casts its inputs to its dtype, floatx = float32",
        book="the loss in the inputs' dtype (float64)",
        reason="keras.losses.Loss.__init__(dtype=None) takes floatx(); the loss FUNCTIONS keep the input dtype",
        source=f"{KERAS_DOCS}losses/", how="CategoricalCrossentropy(dtype='float64'), or the function",
        as_is={"keras": {"gradient_loss": "class"}}, fix={"keras": {"gradient_loss": "class", "loss_dtype": "float64"}},
        cases=("loss-book-labels",), checks=("dx",), residual={"keras[torch]": _KERAS_F32["loss"]},
        depends="float32 rounding of the logits and of y - t (relative 6e-8)"),
    Row("keras-from-logits-false", "SoftmaxWithLoss", ("keras",),
        default="sparse_categorical_crossentropy(t, scores) with from_logits=False (its default) given logits",
        book="the loss of softmax(scores)",
        reason="from_logits=False reads the scores as probabilities (normalized and clipped), not logits",
        source=f"{KERAS_DOCS}losses/probabilistic_losses/", how="from_logits=True on scores",
        as_is={"keras": {"from_logits": False}}, cases=("loss-book-labels",), checks=("dx",),
        residual=_f32("loss"),
        depends="the scores: any logits not already a distribution"),
    Row("keras-from-logits-false-softmax", "SoftmaxWithLoss", ("keras",),
        default="the loss given softmax(scores) with from_logits=False: clip(y, 1e-7, 1-1e-7) in the graph",
        book="gradient (y - t) / N",
        reason="the clip has zero gradient where y_t < 1e-7 or > 1-1e-7; elsewhere the same as from logits",
        source=f"{KERAS_DOCS}losses/probabilistic_losses/", how="pass the logits with from_logits=True",
        as_is={"keras": {"gradient_input": "softmax", "from_logits": False}}, cases=("loss-book-saturated-labels",),
        checks=("dx",), residual=_f32("loss"), backends=("torch", "jax"),
        depends="saturation: only rows whose y_t is clipped (absent on unsaturated scores); on TensorFlow Keras "
                "sees that the probabilities come from a softmax op and uses its logits, so it is absent there"),
    Row("relu-grad-at-zero", "relu", ("torch", "keras", "jax"),
        default="d relu/dx at 0 = 0", book="relu_grad(0) = 1 (the Relu layer: 0)",
        reason="the book disagrees with itself: relu_grad uses x >= 0, the Relu layer x > 0; frameworks follow "
               "the layer; no option changes a framework's subgradient",
        source=f"{BOOK}functions.py (relu_grad); {BOOK}layers.py (Relu)",
        how="none (compare against the Relu layer, which agrees)", fix_kind="none",
        checks=("dx",), cases=("fn-zeros",),
        row_changes={"checks": ("forward", "dx"),
                     "config": {"protocol": "function", "inputs": ("x",), "grad": "functions.relu_grad"}},
        residual={"torch": (1.0, 1.0), "jax": (1.0, 1.0), **_keras_all((1.0, 1.0))},
        depends="only x exactly 0"),
    Row("book-backward-drops-delta", "SoftmaxWithLoss", ("numerical",),
        default="the numerical gradient of the book's forward, -log(y_t + 1e-7)",
        book="the book's backward (y - t) / N, the exact gradient of the loss without the 1e-7",
        reason="the book's backward drops the 1e-7 its forward adds inside the log: relative gap 1e-7 / y_t",
        source=f"{BOOK}layers.py (SoftmaxWithLoss)", how="none: the book's two halves disagree", fix_kind="none",
        checks=("dx",), residual={"numerical": (6.8e-7, 6.8e-5)}, depends="y_t: 1e-7/y_t relative"),
    # --- initializers (KS distance; the runner's statistical tests decide) ----------------------------
    Row("init-xavier-name", "init-xavier", ("torch", "keras", "jax"),
        default="xavier_normal_ / GlorotNormal / glorot_normal: variance 2/(fan_in+fan_out) (keras, jax: truncated)",
        book="xavier = randn/sqrt(n_in)",
        reason="'Xavier' in the frameworks is Glorot's fan-average; the book's 'xavier' is fan-in only",
        source=f"{TORCH_DOCS}../nn.init.html; {KERAS_DOCS}layers/initializers/",
        how="normal_(std=1/sqrt(n_in)); VarianceScaling(1, 'fan_in', 'untruncated_normal'); "
            "nnx.initializers.variance_scaling(1, 'fan_in', 'normal')",
        as_is={"torch": {"builder": "xavier_normal"}, "keras": {"builder": "glorot_normal"},
               "jax": {"builder": "glorot_normal"}}, checks=("ks",),
        depends="fan_out / fan_in (equal fans agree in variance)"),
    Row("init-he-truncated", "init-he", ("keras", "jax"),
        default="HeNormal / he_normal: normal truncated at 2 std (std / 0.8796 first), variance 2/fan_in",
        book="he = randn*sqrt(2/n_in), untruncated",
        reason="the named normals are truncated: same variance, excess kurtosis -0.63, |x| <= 2.27 std",
        source=f"{KERAS_DOCS}layers/initializers/", how="VarianceScaling(2, 'fan_in', 'untruncated_normal')",
        as_is={"keras": {"builder": "he_normal"}, "jax": {"builder": "he_normal"}}, checks=("ks",),
        depends="the sample size (KS sees it from ~10^4 weights)"),
    Row("init-kaiming-layout", "init-he", ("torch",),
        default="kaiming_normal_(fan_in, relu) on a tensor in the book's layout (in, out) uses fan_in = n_out",
        book="he = randn*sqrt(2/n_in)", reason="torch reads fan_in from dim 1 (Linear.weight is (out, in) = W.T)",
        source=f"{TORCH_DOCS}../nn.init.html", how="kaiming_normal_ on the (out, in) weight, then transpose",
        trigger="literal", as_is={"torch": {"builder": "kaiming_normal_book_layout"}}, checks=("ks",),
        depends="n_out / n_in"),
    Row("init-layer-default", "init-std", ("torch", "keras", "jax"),
        default="Linear: kaiming_uniform_(a=sqrt(5)) = U(+-1/sqrt(n_in)); Dense: GlorotUniform; nnx.Linear: lecun_normal",
        book="weight_init_std=0.01: 0.01*randn (TwoLayerNet)",
        reason="a layer built without an initializer draws the framework's default, not the book's std 0.01 normal",
        source=f"{TORCH_DOCS}torch.nn.Linear.html; {KERAS_DOCS}layers/core_layers/dense/; {FLAX_DOCS}nn/linear.html",
        how="copy the book's weights in, or draw N(0, 0.01^2)",
        as_is={"torch": {"builder": "linear_default"}, "keras": {"builder": "glorot_uniform"},
               "jax": {"builder": "lecun_normal"}}, checks=("ks",),
        row_changes={"config": {"weight_init_std": 0.01}}, depends="n_in (the defaults scale with it, 0.01 does not)"),
    # --- convolution and pooling padding -----------------------------------------------------------------
    Row("padding-same-stride2", "Convolution", ("torch", "keras", "jax"),
        default="padding='same' (keras Conv2D) / 'SAME' (flax nnx.Conv's default) at stride 2: total pad "
                "(out-1)*s + k - in, split (0, 1) on an even side; torch refuses padding='same' at stride > 1",
        book="Convolution(W, b, stride=2, pad=1): (1, 1) zeros on every side",
        reason="'same' pads for ceil(in/stride) outputs, the extra zero at the end; the book pads symmetrically",
        source=f"{KERAS_DOCS}layers/convolution_layers/convolution2d/; {TORCH_DOCS}torch.nn.Conv2d.html; "
               f"{FLAX_DOCS}nn/linear.html#flax.nnx.Conv",
        how="explicit zero padding (ops.pad / jnp.pad / padding=((1, 1), (1, 1))), then 'valid'",
        as_is={"torch": {"padding": "same"}, "keras": {"padding": "same"}, "jax": {"padding": "SAME"}},
        cases=("conv-mnist-s2p1",), checks=("forward",),
        refuses={"torch": "padding='same' is not supported for strided convolutions"},
        depends="the input side's parity: even 28 pads (0, 1) (differs), odd 27 pads (1, 1) = the book's (agrees)"),
    Row("pooling-pad-value", "Pooling", ("jax",),
        default="nnx.max_pool's own padding is -inf (the reduce_window init value)",
        book="the book's im2col pads with zeros",
        reason="max pooling padded with -inf never picks the border; with zeros a window of negatives gives 0",
        source=f"{FLAX_DOCS}nn/pooling.html", how="jnp.pad with zeros, then max_pool 'VALID'",
        as_is={"jax": {"pad_value": None}}, cases=("pool-3x3-s2p1",), checks=("forward",),
        depends="border windows whose values are all negative"),
)


def rows(frameworks=None, ids=None, table=ROWS):
    """The rows concerning any of ``frameworks`` with any of ``ids`` (None: all)."""
    return [r for r in table if (frameworks is None or set(r.frameworks) & set(frameworks))
            and (ids is None or r.id in ids)]


def check_table(table=ROWS):
    """Raise ValueError naming the first malformed row (duplicate id, unknown field values)."""
    seen = set()
    for r in table:
        if r.id in seen:
            raise ValueError(f"catalogue: row id {r.id!r} appears twice")
        seen.add(r.id)
        if r.trigger not in ("default", "literal", "implementation"):
            raise ValueError(f"catalogue row {r.id}: trigger {r.trigger!r} (default, literal, implementation)")
        if r.fix_kind not in ("option", "global", "adapter", "none"):
            raise ValueError(f"catalogue row {r.id}: fix_kind {r.fix_kind!r} (option, global, adapter, none)")
        stray = (set(r.as_is) | set(r.fix) | set(r.refuses)) - set(r.frameworks)
        if stray:
            raise ValueError(f"catalogue row {r.id}: configurations for {sorted(stray)}, not among {r.frameworks}")
        if r.trigger != "implementation" and not r.as_is and r.fix_kind != "none" and not r.backends:
            raise ValueError(f"catalogue row {r.id}: no as-is configuration (the framework's default) given")
        if not (r.default and r.book and r.reason and r.source and r.how):
            raise ValueError(f"catalogue row {r.id}: default, book, reason, source and how are all required")
    return True
