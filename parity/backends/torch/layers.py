"""PyTorch counterparts of the book's layers and functions, configured to the book's semantics.

Each builder is ``builder(arrays, hyper, dtype, device, **config) -> Counterpart`` (see
``parity.backends.counterpart``); the registry names them. ``config`` defaults to the book-matching
configuration; the catalogue of known differences (``parity.catalogue``) passes torch's own
defaults (``eps=1e-5``, ``running_var="unbiased"``, ``inverted=True``, ...) to measure them. Weights are copied from the book's
arrays: ``Linear.weight = W.T``, ``Conv2d.weight = W`` (both OIHW). Where torch's default differs
from the book, the builder says how it is matched:

- batch norm (``BookBatchNorm``): torch's own kernel ``F.batch_norm`` computes the output and its
  autograd the gradients, but its running-statistics update is replaced: torch keeps the
  UNBIASED batch variance and writes momentum the other way round (``0.1`` = weight of the new
  batch) with eps 1e-5; the book keeps the biased variance, ``0.9 * old + 0.1 * batch`` from zeros,
  eps 1e-6, and normalizes 4-D input per activation (flattened to (N, C*H*W)).
- max pooling: torch pads with -inf, the book (im2col) with zeros: the input is zero-padded with
  ``F.pad`` and pooled without padding.
- cross-entropy: the book's ``-sum(log(y + 1e-7)) / N`` written in torch ops; ``SoftmaxWithLoss``'s
  gradient is autograd of ``F.cross_entropy`` (the book's backward, (y - t) / N, is the exact
  gradient of the loss WITHOUT the 1e-7).
- dropout: the book's mask is injected; train ``x * mask``, test ``x * (1 - ratio)`` (torch's
  ``F.dropout`` is inverted: ``x * mask / (1 - ratio)`` in train, identity in test).
"""
import numpy as np
import torch
import torch.nn.functional as F

from parity.backends.counterpart import Counterpart

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _dtype(dtype):
    return DTYPES[str(dtype)]


def tensor(a, device="cpu", requires_grad=False):
    """A torch tensor holding NumPy ``a`` (its dtype kept; integer labels become int64)."""
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.int64)
    t = torch.as_tensor(np.array(a, order="C", copy=True), device=device)
    return t.requires_grad_(True) if requires_grad else t


def to_numpy(t):
    """A NumPy copy (never a view: buffers updated in place later must not change it)."""
    return np.array(t.detach().cpu().numpy(), copy=True)


def grad(fn, inputs, params, dout, constants=None, device="cpu"):
    """Forward ``fn`` and its gradients by torch autograd.

    inputs: {name: NumPy} differentiated, constants: {name: NumPy} not, passed to ``fn`` positionally
    in that order (labels); params:
    {name: torch Parameter}; dout: the upstream gradient (NumPy, shaped like the output).
    Returns (output, {input name: d input}, {param name: d param, framework layout}) as NumPy.
    """
    xs = {k: tensor(v, device, requires_grad=True) for k, v in inputs.items()}
    cs = {k: tensor(v, device) for k, v in (constants or {}).items()}
    for p in params.values():
        p.grad = None
    out = fn(*xs.values(), *cs.values())
    sources = [*xs.values(), *params.values()]
    grads = torch.autograd.grad(out, sources, grad_outputs=tensor(dout, device).to(out.dtype),
                                allow_unused=True)
    as_np = [np.zeros(s.shape, dtype=to_numpy(s).dtype) if g is None else to_numpy(g)
             for s, g in zip(sources, grads)]
    n = len(xs)
    return to_numpy(out), dict(zip(xs, as_np[:n])), dict(zip(params, as_np[n:]))


def evaluate(fn, inputs, constants=None, device="cpu"):
    """``fn`` on NumPy inputs, no gradients, as NumPy."""
    with torch.no_grad():
        args = [tensor(v, device) for v in (*inputs.values(), *(constants or {}).values())]
        return to_numpy(fn(*args))


def _stored(**objs):
    return lambda: {k: str(v.dtype).replace("torch.", "") for k, v in objs.items()}


# --- layers ------------------------------------------------------------------------------------

def affine(arrays, hyper, dtype, device="cpu"):
    """nn.Linear(D, M): weight = W.T (M, D), bias = b; x flattened to (N, D) like the book."""
    W, b = arrays["W"], arrays["b"]
    lin = torch.nn.Linear(W.shape[0], W.shape[1], dtype=_dtype(dtype), device=device)
    with torch.no_grad():
        lin.weight.copy_(tensor(W.T, device))
        lin.bias.copy_(tensor(b, device))
    return Counterpart(fn=lambda x: lin(x.reshape(x.shape[0], -1)),
                       params={"W": lin.weight, "b": lin.bias}, to_book={"W": np.transpose},
                       stored=_stored(W=lin.weight, b=lin.bias), module=lin)


def relu(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.nn.ReLU())


def sigmoid(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.nn.Sigmoid())


def tanh(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.nn.Tanh())


def _book_cross_entropy(y, t):
    """-sum(log(y_t + 1e-7)) / N over rows; t labels (N,) or one-hot (N, C); 1-D y is one row."""
    if y.dim() == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.numel() == y.numel() else t.reshape(1)
    if t.shape == y.shape:  # one-hot: the book takes argmax(t)
        t = t.argmax(dim=1)
    picked = y.gather(1, t.reshape(-1, 1).long()).squeeze(1)
    return -torch.log(picked + 1e-7).sum() / y.shape[0]


def _cross_entropy(x, t):
    return F.cross_entropy(x, t if t.shape == x.shape else t.long(), reduction="mean")


def softmax_with_loss(arrays, hyper, dtype, device="cpu", forward_loss="book"):
    """forward: the book's loss in torch ops (``forward_loss="cross_entropy"``: ``F.cross_entropy``,
    torch's loss, which has no 1e-7); gradient: autograd of F.cross_entropy (mean)."""
    if forward_loss not in ("book", "cross_entropy"):
        raise ValueError(f"softmax_with_loss: forward_loss must be 'book' or 'cross_entropy', got {forward_loss!r}")

    def forward(x, t):
        if forward_loss == "cross_entropy":
            return _cross_entropy(x, t)
        return _book_cross_entropy(torch.softmax(x, dim=-1), t)

    return Counterpart(fn=forward, grad_fn=_cross_entropy)


class BookBatchNorm(torch.nn.Module):
    """The book's batch normalization on torch's kernel (the one place torch batch norm is built:
    the parity builder, the training runner and the catalogue all use it).

    Training: out = F.batch_norm(x, training=True) with biased batch statistics and ``eps``;
    running_mean = momentum * running_mean + (1 - momentum) * mean (same for running_var with the
    BIASED variance), from zeros. Eval: the running statistics. x: (N, D) or (N, C, H, W), the
    latter flattened to (N, C*H*W) (per-activation statistics, as the book).
    ``weight`` = gamma, ``bias`` = beta.

    Torch's own ``BatchNorm1d`` as options (measured by the catalogue): ``running_var_init="ones"``
    (torch starts at 1), ``unbiased=True`` (torch tracks the N-1 variance), ``per_channel=True``
    (``BatchNorm2d``: statistics over (N, H, W) of each channel; gamma / beta stay per activation,
    so only the statistics differ).

        >>> bn = BookBatchNorm(3); y = bn(torch.randn(4, 3, dtype=torch.float64))
    """

    def __init__(self, num_features, momentum=0.9, eps=1e-6, dtype=torch.float64, device="cpu",
                 running_var_init="zeros", unbiased=False, per_channel=False):
        super().__init__()
        dtype = _dtype(dtype) if isinstance(dtype, str) else dtype
        if running_var_init not in ("zeros", "ones"):
            raise ValueError(f"BookBatchNorm: running_var_init must be 'zeros' or 'ones', got {running_var_init!r}")
        self.momentum = momentum
        self.eps = eps
        self.unbiased = bool(unbiased)
        self.per_channel = bool(per_channel)
        self.weight = torch.nn.Parameter(torch.ones(num_features, dtype=dtype, device=device))
        self.bias = torch.nn.Parameter(torch.zeros(num_features, dtype=dtype, device=device))
        self.register_buffer("running_mean", torch.zeros(num_features, dtype=dtype, device=device))
        init = torch.zeros if running_var_init == "zeros" else torch.ones
        self.register_buffer("running_var", init(num_features, dtype=dtype, device=device))

    def _per_channel(self, x):
        """BatchNorm2d's statistics (per channel over N, H, W), the book's per-activation affine."""
        if self.training:
            mean = x.mean(dim=(0, 2, 3))
            var = x.var(dim=(0, 2, 3), correction=0)
            count = x.numel() // x.shape[1]
            with torch.no_grad():
                tracked = var * count / (count - 1) if self.unbiased else var
                rm = self.running_mean.reshape(x.shape[1:]).mean(dim=(1, 2))
                rv = self.running_var.reshape(x.shape[1:]).mean(dim=(1, 2))
                rm = self.momentum * rm + (1 - self.momentum) * mean
                rv = self.momentum * rv + (1 - self.momentum) * tracked
                shape = (x.shape[1], 1, 1)
                self.running_mean.copy_((rm.reshape(shape) * torch.ones_like(x[0])).reshape(-1))
                self.running_var.copy_((rv.reshape(shape) * torch.ones_like(x[0])).reshape(-1))
        else:
            mean = self.running_mean.reshape(x.shape[1:]).mean(dim=(1, 2))
            var = self.running_var.reshape(x.shape[1:]).mean(dim=(1, 2))
        xn = (x - mean.reshape(1, -1, 1, 1)) / torch.sqrt(var.reshape(1, -1, 1, 1) + self.eps)
        return xn * self.weight.reshape(x.shape[1:]) + self.bias.reshape(x.shape[1:])

    def forward(self, x):
        shape = x.shape
        flat = x.reshape(shape[0], -1)
        if flat.shape[1] != self.weight.shape[0]:
            raise ValueError(f"BookBatchNorm: input {tuple(shape)} flattens to {flat.shape[1]} features, "
                             f"layer has {self.weight.shape[0]}")
        if self.per_channel:
            if x.dim() != 4:
                raise ValueError(f"BookBatchNorm(per_channel=True) needs (N, C, H, W) input, got {tuple(shape)}")
            return self._per_channel(x)
        if self.training:
            # NOTE: no running stats passed to torch: its update would use the unbiased variance.
            out = F.batch_norm(flat, None, None, self.weight, self.bias, training=True, eps=self.eps)
            with torch.no_grad():
                mean = flat.mean(dim=0)
                var = flat.var(dim=0, correction=1 if self.unbiased else 0)
                self.running_mean.copy_(self.momentum * self.running_mean + (1 - self.momentum) * mean)
                self.running_var.copy_(self.momentum * self.running_var + (1 - self.momentum) * var)
        else:
            out = F.batch_norm(flat, self.running_mean, self.running_var, self.weight, self.bias,
                               training=False, eps=self.eps)
        return out.reshape(shape)


def batch_normalization(arrays, hyper, dtype, device="cpu", eps=1e-6, momentum=None, running_var_init="zeros",
                        running_var="biased", per_channel=False):
    """``BookBatchNorm`` with the book's configuration; the keyword arguments in TORCH's terms:
    eps (torch default 1e-5); momentum: the weight of the NEW batch (torch's convention; None:
    1 - the book's momentum, i.e. torch's default 0.1 for the book's 0.9; the book's 0.9 passed
    literally is the catalogue's bn-momentum); running_var_init "ones" and running_var
    "unbiased" (torch's own running statistics); per_channel (``BatchNorm2d`` on 4-D input)."""
    if running_var not in ("biased", "unbiased"):
        raise ValueError(f"batch_normalization: running_var must be 'biased' or 'unbiased', got {running_var!r}")
    gamma, beta = arrays["gamma"], arrays["beta"]
    book_momentum = hyper.get("momentum", 0.9) if momentum is None else 1.0 - momentum
    bn = BookBatchNorm(gamma.size, momentum=book_momentum, eps=eps, dtype=dtype, device=device,
                       running_var_init=running_var_init, unbiased=(running_var == "unbiased"),
                       per_channel=per_channel)
    with torch.no_grad():
        bn.weight.copy_(tensor(gamma, device))
        bn.bias.copy_(tensor(beta, device))

    def eval_fn(x):
        bn.eval()
        try:
            return bn(x)
        finally:
            bn.train()

    return Counterpart(
        fn=bn, params={"gamma": bn.weight, "beta": bn.bias}, eval_fn=eval_fn,
        state=lambda: {"running_mean": to_numpy(bn.running_mean), "running_var": to_numpy(bn.running_var)},
        stored=_stored(gamma=bn.weight, beta=bn.bias, running_mean=bn.running_mean,
                       running_var=bn.running_var),
        module=bn)


def dropout(arrays, hyper, dtype, device="cpu", inverted=False):
    """The book's dropout with its mask injected: train x * mask, test x * (1 - ratio).
    inverted: torch's ``F.dropout`` with that mask, train x * mask / (1 - ratio), eval x."""
    mask = tensor(arrays["mask"], device).to(_dtype(dtype))
    keep = 1.0 - hyper["dropout_ratio"]
    if inverted:
        return Counterpart(fn=lambda x: torch.mul(x, mask) / keep, eval_fn=lambda x: x, stored=_stored(mask=mask))
    return Counterpart(fn=lambda x: torch.mul(x, mask), eval_fn=lambda x: torch.mul(x, keep),
                       stored=_stored(mask=mask))


def convolution(arrays, hyper, dtype, device="cpu", padding=None):
    """nn.Conv2d: weight = W (OIHW, as the book's (FN, C, FH, FW)), NCHW like the book; padding the
    book's ``pad`` (``padding="same"``: torch's own, which torch refuses at stride > 1)."""
    W, b = arrays["W"], arrays["b"]
    FN, C, FH, FW = W.shape
    conv = torch.nn.Conv2d(C, FN, (FH, FW), stride=hyper.get("stride", 1),
                           padding=hyper.get("pad", 0) if padding is None else padding,
                           dtype=_dtype(dtype), device=device)
    with torch.no_grad():
        conv.weight.copy_(tensor(W, device))
        conv.bias.copy_(tensor(b, device))
    return Counterpart(fn=conv, params={"W": conv.weight, "b": conv.bias},
                       stored=_stored(W=conv.weight, b=conv.bias), module=conv)


def pooling(arrays, hyper, dtype, device="cpu"):
    """F.max_pool2d after zero padding (the book pads with zeros; torch's own padding is -inf)."""
    pad = hyper.get("pad", 0)
    kernel = (hyper["pool_h"], hyper["pool_w"])
    stride = hyper.get("stride", 2)

    def fn(x):
        if pad:
            x = F.pad(x, (pad, pad, pad, pad), value=0.0)
        return F.max_pool2d(x, kernel, stride=stride)

    return Counterpart(fn=fn)


def mul(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.mul)


def add(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.add)


# --- functions ---------------------------------------------------------------------------------

def softmax(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=lambda x: torch.softmax(x, dim=-1))


def _nll_of_log(y, t):
    """F.nll_loss(log(y), t): cross-entropy of probabilities the way torch users write it (no 1e-7)."""
    if y.dim() == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1) if t.numel() == y.numel() else t.reshape(1)
    if t.shape == y.shape:
        t = t.argmax(dim=1)
    return F.nll_loss(torch.log(y), t.long(), reduction="mean")


def cross_entropy_error(arrays, hyper, dtype, device="cpu", form="book"):
    """The book's -sum(log(y_t + 1e-7)) / N (``form="nll_of_log"``: F.nll_loss(log(y)), no 1e-7)."""
    forms = {"book": _book_cross_entropy, "nll_of_log": _nll_of_log}
    if form not in forms:
        raise ValueError(f"cross_entropy_error: form must be one of {sorted(forms)}, got {form!r}")
    return Counterpart(fn=forms[form])


def sum_squared_error(arrays, hyper, dtype, device="cpu"):
    """0.5 * F.mse_loss(reduction="sum")."""
    return Counterpart(fn=lambda y, t: 0.5 * F.mse_loss(y, t, reduction="sum"))


def identity_function(arrays, hyper, dtype, device="cpu"):
    return Counterpart(fn=torch.nn.Identity())


# --- the layout matrix (parity.registry.layouts): torch's own padding arguments, NCHW only ------

def convolution_channels_first(arrays, hyper, dtype, device="cpu", padding="valid", use_bias=True):
    """nn.Conv2d(padding=padding, bias=use_bias) as a user writes it: "same" / "valid" / an int
    (zeros on each side); NCHW / OIHW like the book, so nothing is transposed."""
    W = arrays["W"]
    FN, C, FH, FW = W.shape
    conv = torch.nn.Conv2d(C, FN, (FH, FW), stride=hyper.get("stride", 1), padding=padding, bias=use_bias,
                           dtype=_dtype(dtype), device=device)
    params = {"W": conv.weight}
    with torch.no_grad():
        conv.weight.copy_(tensor(W, device))
        if use_bias:
            conv.bias.copy_(tensor(arrays["b"], device))
            params["b"] = conv.bias
    return Counterpart(fn=conv, params=params, stored=_stored(**params), module=conv)


def pooling_channels_first(arrays, hyper, dtype, device="cpu", padding="valid"):
    """F.max_pool2d with torch's own padding argument ("valid" is padding 0; torch has no "same")."""
    kernel = (hyper["pool_h"], hyper["pool_w"])
    stride = hyper.get("stride", 2)
    torch_padding = {"valid": 0}.get(padding, padding)
    return Counterpart(fn=lambda x: F.max_pool2d(x, kernel, stride=stride, padding=torch_padding))
