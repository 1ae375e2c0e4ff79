"""The book's numerical gradient of a layered net, computed for many parameter elements at once.

``numerical_gradient_vectorized(net, x, t)`` returns the numbers that ``net.numerical_gradient(x, t)``
returns (central difference, h = 1e-4, one parameter element perturbed at a time, the full loss
including weight decay evaluated for each perturbation), to rounding, but evaluates the
perturbations in batches instead of calling ``net.loss`` twice per element.

The idea. A net here is a chain of blocks, block k = Affine_k followed by column-wise ops
(BatchNormalization in training mode, then an elementwise activation); the last block is a bare
Affine feeding SoftmaxWithLoss::

    a_k = z_{k-1} @ W_k + b_k          (N, M_k)      z_0 = x flattened to (N, D)
    z_k = act(bn(a_k))                 (N, M_k)      column j of z_k depends on column j of a_k only

Perturbing W_k[i, j] by d changes only column j of a_k, by d * z_{k-1}[:, i]; perturbing b_k[j]
changes it by d; perturbing gamma_k[j] / beta_k[j] changes only column j of bn's output. So one
forward pass is cached, the changed column is pushed through the column-wise ops (a (P, N)
computation for P perturbations), the next Affine turns the column change into a rank-one change
of a_{k+1}, and the remaining blocks and the loss run batched over the P perturbations. The
weight-decay term 0.5*lambda*sum(W^2) changes by 0.5*lambda*(w'^2 - w^2) when W_k[i, j] = w
becomes w'.

Only the samples a perturbation actually changes are evaluated: where the changed column of z_k
is unchanged for sample n (an inactive ReLU, a zero input pixel), sample n's scores are the
cached ones and so is its term of the loss. Batch norm after block k couples the samples; then
every sample of the batch is evaluated.

Layout: activations are kept feature-major, (M, K) for K (perturbation, sample) pairs, so each
Affine is one 2-D matmul ``W.T @ z`` and softmax's max and sum over the C classes run across C
contiguous rows (reductions over a short last axis are slow in NumPy). The cached forward pass is
stored transposed the same way, (M, N).

As in the loop, the perturbed value is ``w + h`` rounded to the parameter's dtype (so the applied
step is that value minus w), and the gradient is (f(w + h) - f(w - h)) / (2h); the loss follows the
book's formula step by step (shift by the max, exp, normalize, -sum(log(y_t + 1e-7)) / N), so
the two differ only by the order of rounding. Unlike the loop, the net is not touched: no
parameter is written, and batch norm's running statistics do not move (the loop moves them with
every loss evaluation; they do not enter the training-mode loss).

Supported: MultiLayerNet, TwoLayerNet, ThreeLayerNet, and MultiLayerNetExtend without dropout
(with or without batch norm, whose loss the book differentiates in training mode), i.e. layers
Affine, Relu, Sigmoid, Tanh, BatchNormalization and a SoftmaxWithLoss last layer. Anything else
raises ValueError naming the layer.

Example::

    net = TwoLayerNet(784, 50, 10, rng=np.random.default_rng(0))
    grads = numerical_gradient_vectorized(net, x_batch, t_batch)   # {"W1": (784, 50), "b1": ...}
"""
from dataclasses import dataclass, field

import numpy as np

from reference._checks import check_finite, check_labels
from reference.functions import sigmoid
from reference.layers import Affine, BatchNormalization, Relu, Sigmoid, SoftmaxWithLoss, Tanh

# Bytes one batched (M, 2*chunk*N) activation may take when ``chunk`` is chosen automatically; a
# batch keeps a few such arrays alive. Small enough to stay mostly in cache.
CHUNK_BYTES = 8 * 2**20


def _relu(u):
    """The Relu layer's forward: 0 where u <= 0, else u."""
    return np.where(u <= 0, 0, u).astype(u.dtype, copy=False)


ELEMENTWISE = {Relu: _relu, Sigmoid: sigmoid, Tanh: np.tanh}


# --- the net as a chain of blocks -------------------------------------------------------------

class _Elementwise:
    """An activation layer: out = fn(u), elementwise, so it maps a column to a column."""

    def __init__(self, layer):
        self.fn = ELEMENTWISE[type(layer)]

    def apply(self, u, gamma=None, beta=None):
        return self.fn(u)


class _BatchNorm:
    """The book's training-mode batch norm, over the LAST axis (the batch axis in feature-major
    layout): xn = (u - mean) / sqrt(biased var + 10e-7); out = gamma * xn + beta.

    gamma, beta: broadcastable against u's leading axes, e.g. (M, 1) for u (M, N), (M, 1, 1) for
    (M, P, N), (P, 1) for one column per perturbation (P, N).
    """

    def __init__(self, layer):
        self.gamma, self.beta = layer.gamma, layer.beta

    def params(self, cols=None, extra_axes=1):
        """gamma, beta for every feature (cols None) or for features cols (P,), shaped to
        broadcast against the feature axis followed by ``extra_axes`` more axes."""
        def shaped(p):
            if not np.ndim(p):
                return p
            p = p if cols is None else p[cols]
            return p.reshape(p.shape + (1,) * extra_axes)
        return shaped(self.gamma), shaped(self.beta)

    def apply(self, u, gamma, beta):
        mu = u.mean(axis=-1, keepdims=True)
        xc = u - mu
        var = np.mean(xc ** 2, axis=-1, keepdims=True)
        std = np.sqrt(var + 10e-7)
        return gamma * (xc / std) + beta


def _run_ops(ops, u, extra_axes):
    """All of a block's ops on every feature of u (feature axis first, then ``extra_axes`` axes)."""
    for op in ops:
        gamma, beta = op.params(extra_axes=extra_axes) if isinstance(op, _BatchNorm) else (None, None)
        u = op.apply(u, gamma, beta)
    return u


@dataclass
class _Block:
    """Affine_k and the column-wise ops after it (empty for the last block)."""
    affine: Affine
    ops: list = field(default_factory=list)


def _blocks(net):
    """Split ``net.layers`` into blocks; raise ValueError for a layer this method cannot batch."""
    last = getattr(net, "last_layer", None)
    if not isinstance(last, SoftmaxWithLoss):
        raise ValueError(f"numerical_gradient_vectorized: last layer of type {type(last).__name__} "
                         "is not supported (only SoftmaxWithLoss)")
    blocks = []
    for name, layer in net.layers.items():
        if isinstance(layer, Affine):
            blocks.append(_Block(layer))
        elif blocks and type(layer) in ELEMENTWISE:
            blocks[-1].ops.append(_Elementwise(layer))
        elif blocks and isinstance(layer, BatchNormalization):
            blocks[-1].ops.append(_BatchNorm(layer))
        else:
            raise ValueError(
                f"numerical_gradient_vectorized: layer {name!r} of type {type(layer).__name__} is not "
                "supported (supported: Affine, Relu, Sigmoid, Tanh, BatchNormalization; for other nets "
                "use net.numerical_gradient)")
    if not blocks or blocks[-1].ops:
        raise ValueError("numerical_gradient_vectorized: the net must end with an Affine before its loss layer")
    return blocks


def _locate(net, blocks):
    """{param key: (block index k, op index q or -1 for the Affine, attribute name)}, found by
    identity of the arrays in ``net.params`` and in the layers."""
    where = {}
    for k, block in enumerate(blocks):
        where[id(block.affine.W)] = (k, -1, "W")
        where[id(block.affine.b)] = (k, -1, "b")
        for q, op in enumerate(block.ops):
            if isinstance(op, _BatchNorm):
                where[id(op.gamma)] = (k, q, "gamma")
                where[id(op.beta)] = (k, q, "beta")
    located = {}
    for key, value in net.params.items():
        if id(value) not in where:
            raise ValueError(f"numerical_gradient_vectorized: parameter {key!r} is used by no supported layer")
        located[key] = where[id(value)]
    return located


# --- the cached forward pass (feature-major) ----------------------------------------------------

@dataclass
class _Cache:
    """Per block k: its input zT[k] (D_k, N); x@W without the bias xwT[k] and with it aT[k]
    (M_k, N); the input of each column-wise op uT[k][q] (M_k, N). Then the scores (C, N)."""
    zT: list
    xwT: list
    aT: list
    uT: list
    scoresT: np.ndarray


def _forward(blocks, x):
    zT, xwT, aT, uT = [], [], [], []
    out = x.T
    for block in blocks:
        zT.append(out)
        xwT.append(block.affine.W.T @ out)
        aT.append(xwT[-1] + block.affine.b[:, None])
        out = aT[-1]
        uT.append([])
        for op in block.ops:
            uT[-1].append(out)
            gamma, beta = op.params(extra_axes=1) if isinstance(op, _BatchNorm) else (None, None)
            out = op.apply(out, gamma, beta)
    return _Cache(zT, xwT, aT, uT, out)


def _labels(t, n, c):
    """Labels (N,) the way cross_entropy_error reads t: one-hot (N, C) by argmax, else as labels."""
    t = np.asarray(t)
    if t.size == n * c:
        if t.shape != (n, c):
            raise ValueError(f"numerical_gradient_vectorized: one-hot t has shape {t.shape}, scores have {(n, c)}")
        t = t.argmax(axis=1)
    check_labels("numerical_gradient_vectorized", t, (n, c))
    return t.astype(np.intp)


# --- one batch of P perturbations ---------------------------------------------------------------

def _perturbed_column(block, cache, k, q, attr, rows, cols, value, delta):
    """Row cols[p] of block k's output zT_k when parameter element p takes ``value`` (P,): (P, N).

    rows/cols: each element's (i, j) (rows unused for b, gamma, beta); delta = value - original.
    """
    if attr == "W":
        col = cache.aT[k][cols] + delta[:, None] * cache.zT[k][rows]
    elif attr == "b":
        col = cache.xwT[k][cols] + value[:, None]
    else:  # gamma/beta of op q: start from that op's input
        col = cache.uT[k][q][cols]
    for p in range(max(q, 0), len(block.ops)):
        op = block.ops[p]
        gamma, beta = op.params(cols, extra_axes=1) if isinstance(op, _BatchNorm) else (None, None)
        if p == q:
            gamma, beta = (value[:, None], beta) if attr == "gamma" else (gamma, value[:, None])
        col = op.apply(col, gamma, beta)
    return col


def _log_y_t(scores, labels):
    """log(softmax(scores)[t] + 1e-7) per sample, the book's way: scores (C, K), labels (K,) -> (K,).

    y = exp(s - max) / sum(exp(s - max)) over the classes (axis 0), then the 1e-7 guard.
    ``scores`` is overwritten.
    """
    e = np.subtract(scores, np.max(scores, axis=0), out=scores)
    np.exp(e, out=e)
    y_t = e[labels, np.arange(scores.shape[1])] / np.sum(e, axis=0)
    return np.log(y_t + np.asarray(1e-7, dtype=scores.dtype))


def _couples_samples(blocks):
    """True if batch norm in these blocks mixes the samples of a batch."""
    return any(isinstance(op, _BatchNorm) for block in blocks for op in block.ops)


def _changed_scores(blocks, cache, k, cols, col):
    """Scores of the samples that a perturbation changes.

    col (P, N): row cols[p] of zT_k under perturbation p. Returns (pp, nn, scores): the pairs
    (perturbation pp[i], sample nn[i]) whose scores can differ from the cached ones, and those
    scores (C, K). A sample whose input to the next Affine did not change keeps its cached scores
    (its change is exactly 0), unless batch norm further on couples it to the others.
    """
    P, N = col.shape
    if k == len(blocks) - 1:  # the element was in the last Affine: score row cols[p] is col[p]
        pp, nn = np.nonzero(col != cache.scoresT[cols])
        scores = np.take(cache.scoresT, nn, axis=1)
        scores[cols[pp], np.arange(nn.size)] = col[pp, nn]
        return pp, nn, scores
    change = col - cache.zT[k + 1][cols]                                        # (P, N)
    coupled = _couples_samples(blocks[k + 1:])
    pp, nn = np.nonzero(np.ones_like(change, dtype=bool) if coupled else change != 0)
    # a_{k+1} + W_{k+1}[j] * change, for the changed pairs only: (M, K)
    out = np.take(blocks[k + 1].affine.W.T, cols[pp], axis=1)
    out *= change[pp, nn]
    out += np.take(cache.aT[k + 1], nn, axis=1)
    for block in blocks[k + 1:]:
        if block is not blocks[k + 1]:
            out = block.affine.W.T @ out + block.affine.b[:, None]
        if coupled:  # batch norm needs the (M, P, N) batch structure
            out = _run_ops(block.ops, out.reshape(-1, P, N), extra_axes=2).reshape(-1, P * N)
        else:
            out = _run_ops(block.ops, out, extra_axes=1)
    return pp, nn, out


def _losses(blocks, cache, k, cols, col, labels, base_terms):
    """The loss without weight decay, -sum_n log(y[n, t_n] + 1e-7) / N, per perturbation: (P,).

    base_terms (N,): each sample's log term in the unperturbed net, kept for unchanged samples.
    """
    P, N = col.shape
    pp, nn, scores = _changed_scores(blocks, cache, k, cols, col)
    terms = np.repeat(base_terms[None, :], P, axis=0)
    terms[pp, nn] = _log_y_t(scores, labels[nn])
    return -np.sum(terms, axis=1) / N


def _param_gradient(net, blocks, cache, labels, decay, key, where, h, chunk):
    """The numerical gradient of one parameter array, ``chunk`` elements (2*chunk losses) at a time."""
    param = net.params[key]
    k, q, attr = where
    lam = getattr(net, "weight_decay_lambda", 0) if attr == "W" else 0
    base_terms = _log_y_t(cache.scoresT.copy(), labels)
    flat = param.reshape(-1)
    grad = np.zeros_like(flat)
    for start in range(0, flat.size, chunk):
        idx = np.arange(start, min(start + chunk, flat.size))
        w = np.concatenate([flat[idx], flat[idx]])
        value = np.concatenate([flat[idx] + h, flat[idx] - h])  # rounded to the parameter's dtype, as the loop
        rows, cols = np.divmod(np.concatenate([idx, idx]), param.shape[-1])
        col = _perturbed_column(blocks[k], cache, k, q, attr, rows, cols, value, value - w)
        f = _losses(blocks, cache, k, cols, col, labels, base_terms)
        f = f + (decay + 0.5 * lam * (value ** 2 - w ** 2) if lam else decay)
        grad[idx] = (f[:idx.size] - f[idx.size:]) / (2 * h)
    return grad.reshape(param.shape)


def numerical_gradient_vectorized(net, x, t, h=1e-4, chunk=None):
    """Central-difference gradient of ``net.loss(x, t)`` for every parameter, batched.

    Same numbers as ``net.numerical_gradient(x, t)`` to rounding (see the module docstring).
    net: a MultiLayerNet-style net (``params``, ``layers``, ``last_layer``); x (N, ...) is
    flattened to (N, D); t one-hot (N, C) or labels (N,). h: the step. chunk: parameter elements
    evaluated together (each twice, +h and -h); default: as many as keep one (M, 2*chunk, N)
    activation within CHUNK_BYTES. Returns {key: array shaped and typed like net.params[key]}.
    """
    blocks = _blocks(net)
    located = _locate(net, blocks)
    x = np.asarray(x)
    x = x.reshape(x.shape[0], -1)
    check_finite("numerical_gradient_vectorized", x=x)
    cache = _forward(blocks, x)
    labels = _labels(t, x.shape[0], cache.scoresT.shape[0])
    decay = net.weight_decay() if hasattr(net, "weight_decay") else 0
    if chunk is None:
        widest = max(block.affine.W.shape[1] for block in blocks)
        chunk = max(1, CHUNK_BYTES // (2 * x.shape[0] * widest * cache.scoresT.dtype.itemsize))
    if chunk < 1:
        raise ValueError(f"numerical_gradient_vectorized: chunk must be >= 1, got {chunk}")
    return {key: _param_gradient(net, blocks, cache, labels, decay, key, located[key], h, chunk)
            for key in net.params}
