"""PyTorch optimizers configured to the book's ``common/optimizer.py`` semantics, and their state
read back in the book's terms.

    opt = make_optimizer("Adam", [w, b], lr=0.001)      # book hyper-parameter names
    w.grad = ...; opt.step()                            # = the book's Adam().update(params, grads)
    book_state("Adam", opt, w)                          # {"m": ..., "v": ...} as the book keeps them

Book name -> torch (hyper-parameters in the book's names: lr, momentum, decay_rate, beta1, beta2,
and weight_decay_lambda for the MultiLayerNet's "lambda * W added to the gradient"):

| book | torch | why this configuration |
|---|---|---|
| SGD(lr=0.01) | SGD(lr) | torch's default lr is 1e-3 |
| Momentum(lr, momentum=0.9) | SGD(lr, momentum, dampening=0) | book v = -lr * momentum_buffer |
| Nesterov(lr, momentum=0.9) | SGD(lr, momentum, nesterov=True) | torch's form is the book's corrected order |
| AdaGrad(lr=0.01) | Adagrad(lr, eps=1e-7, initial_accumulator_value=0) | eps 1e-10 by default (outside the sqrt, as in the book) |
| RMSprop(lr=0.01, decay_rate=0.99) | RMSprop(lr, alpha=decay_rate, eps=1e-7) | eps 1e-8 by default |
| Adam(lr=0.001, beta1, beta2) | BookAdam (below) | torch adds eps to the bias-corrected sqrt(v_hat) |

Weight decay: torch's ``weight_decay=`` adds ``weight_decay * p`` to the gradient before the
update rule (coupled L2), which is exactly the book's MultiLayerNet ``grad = dW + lambda * W``;
the book decays the weights only, so ``no_decay`` names the tensors (biases) left out.

State, book <- torch (``book_state``): Momentum / Nesterov ``v = -lr * momentum_buffer`` (torch
keeps b = m*b + g and steps p -= lr*b; the book keeps v = m*v - lr*g and steps W += v, so
v = -lr*b for a constant lr); AdaGrad ``h = sum``; RMSprop ``h = square_avg``; Adam
``m = exp_avg``, ``v = exp_avg_sq`` (both uncorrected, as the book's).
"""
import math

import torch

from parity import book

BOOK_EPS = book.EPS
BOOK_OPTIMIZERS = book.OPTIMIZERS


class _BookEpsilonPerStep:
    """Mixin for torch's Adam family: before each step, count it and set each group's eps to
    1e-7 / sqrt(1 - beta2^t) (see BookAdam), ``book_iter`` counting the steps."""

    @torch.no_grad()
    def step(self, closure=None):
        self.book_iter += 1
        for group in self.param_groups:
            group["eps"] = BOOK_EPS / math.sqrt(1.0 - group["betas"][1] ** self.book_iter)
        return super().step(closure)


class BookAdam(_BookEpsilonPerStep, torch.optim.Adam):
    """torch.optim.Adam stepping exactly as the book's Adam.

    torch:  p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
    book:   p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + 1e-7)
    Multiplying torch's numerator and denominator by sqrt(1-b2^t) shows they agree when
    eps = 1e-7 / sqrt(1-b2^t), so ``step`` sets each group's eps to that before torch's update.
    No constant eps does it: eps_t changes with t (with eps = 1e-7 constant, steps on gradient
    elements of ~1e-9 come out up to 28 times the book's at step 1).
    t counts this optimizer's ``step`` calls, like the book's ``self.iter`` (one counter for all
    parameters).
    """

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), weight_decay=0.0):
        super().__init__(params, lr=lr, betas=betas, eps=BOOK_EPS, weight_decay=weight_decay)
        self.book_iter = 0


def _groups(parameters, weight_decay_lambda, no_decay):
    """torch param groups: decayed tensors with weight_decay=lambda, ``no_decay`` ones with 0."""
    params = list(parameters)
    if not weight_decay_lambda:
        return params
    skip = {id(p) for p in no_decay}
    decayed = [p for p in params if id(p) not in skip]
    kept = [p for p in params if id(p) in skip]
    groups = [{"params": decayed, "weight_decay": float(weight_decay_lambda)}]
    if kept:
        groups.append({"params": kept, "weight_decay": 0.0})
    return groups


class BookAdamW(_BookEpsilonPerStep, torch.optim.AdamW):
    """torch.optim.AdamW with BookAdam's per-step epsilon (so that a comparison with the book shows
    the decoupled decay alone)."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=BOOK_EPS, weight_decay=weight_decay)
        self.book_iter = 0


def _book_config(name, h):
    """(torch class, its keyword arguments) giving the book's ``name`` with hyper-parameters ``h``."""
    if name == "SGD":
        return torch.optim.SGD, {"lr": h["lr"]}
    if name in ("Momentum", "Nesterov"):
        return torch.optim.SGD, {"lr": h["lr"], "momentum": h["momentum"], "dampening": 0.0,
                                 "nesterov": name == "Nesterov"}
    if name == "AdaGrad":
        return torch.optim.Adagrad, {"lr": h["lr"], "lr_decay": 0.0, "eps": BOOK_EPS, "initial_accumulator_value": 0.0}
    if name == "RMSprop":
        return torch.optim.RMSprop, {"lr": h["lr"], "alpha": h["decay_rate"], "eps": BOOK_EPS, "momentum": 0.0,
                                     "centered": False}
    return BookAdam, {"lr": h["lr"], "betas": (h["beta1"], h["beta2"])}


def make_optimizer(name, parameters, weight_decay_lambda=0.0, no_decay=(), torch_kwargs=None,
                   adam_eps="book_schedule", weight_decay="coupled", **hyper):
    """A torch optimizer whose ``step()`` is the book's ``<name>().update(params, grads)``.

    name: "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop" or "Adam" (the book's classes).
    parameters: iterable of tensors (their ``.grad`` is the book's ``grads``).
    weight_decay_lambda: the book's MultiLayerNet lambda: the gradient becomes g + lambda * W
        (torch's coupled ``weight_decay``); ``no_decay``: tensors it does not apply to (biases).
    hyper: the book's constructor arguments (lr, momentum, decay_rate, beta1, beta2); missing
        ones take the book's defaults.
    The catalogue's configurations (torch's own defaults, measured): ``torch_kwargs`` override
    the constructor's keyword arguments (``{"eps": 1e-8}``; ``{"lr": None}``: torch's default);
    ``adam_eps="constant"``: plain ``torch.optim.Adam`` with a constant eps (torch's default
    1e-8); ``weight_decay="decoupled"``: ``torch.optim.AdamW`` (W -= lr * lambda * W).
    """
    h = book.optimizer_hyper(name, hyper, "torch optimizer")
    cls, kwargs = _book_config(name, h)
    if name == "Adam":
        if adam_eps not in ("book_schedule", "constant"):
            raise ValueError(f"torch Adam: adam_eps must be 'book_schedule' or 'constant', got {adam_eps!r}")
        if weight_decay not in ("coupled", "decoupled"):
            raise ValueError(f"torch Adam: weight_decay must be 'coupled' or 'decoupled', got {weight_decay!r}")
        decoupled = weight_decay == "decoupled"
        if adam_eps == "constant":
            cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        else:
            cls = BookAdamW if decoupled else BookAdam
    elif weight_decay != "coupled":
        raise ValueError(f"torch {name}: weight_decay={weight_decay!r} (decoupled decay is torch's AdamW only)")
    for key, value in (torch_kwargs or {}).items():
        if value is None:
            kwargs.pop(key, None)  # torch's own default
        else:
            kwargs[key] = value
    groups = _groups(parameters, weight_decay_lambda, no_decay)
    return cls(groups, weight_decay=0.0, **kwargs)


# The book's state attribute -> (torch state key, translation from torch's value).
STATE = {
    "SGD": {},
    "Momentum": {"v": "momentum_buffer"},
    "Nesterov": {"v": "momentum_buffer"},
    "AdaGrad": {"h": "sum"},
    "RMSprop": {"h": "square_avg"},
    "Adam": {"m": "exp_avg", "v": "exp_avg_sq"},
}


def book_state(name, optimizer, parameter):
    """{book state name: numpy array} of ``parameter`` after the steps taken so far.

    Momentum / Nesterov: v = -lr * momentum_buffer (see the module docstring); the others as kept.
    """
    state = optimizer.state.get(parameter, {})
    out = {}
    for book_name, key in STATE[name].items():
        if key not in state or state[key] is None:
            raise KeyError(f"torch {type(optimizer).__name__} keeps no {key!r} for this parameter yet")
        value = state[key].detach()
        if key == "momentum_buffer":
            lr = next(g["lr"] for g in optimizer.param_groups if any(p is parameter for p in g["params"]))
            value = -lr * value
        out[book_name] = value.cpu().numpy().copy()
    return out


def drive(row, params0, grads, dtype, device="cpu", **config):
    """The optimizer check's torch side (``parity.runners.optimizers``): [(params, state)] after each
    of the given gradients, and the dtypes the torch optimizer holds. config: ``make_optimizer``'s
    catalogue arguments (torch_kwargs, adam_eps, weight_decay)."""
    name = row.builder
    tensors = {k: torch.tensor(v, device=device, requires_grad=True) for k, v in params0.items()}
    lam = row.config.get("weight_decay_lambda", 0.0)
    opt = make_optimizer(name, list(tensors.values()), weight_decay_lambda=lam,
                         no_decay=[t for k, t in tensors.items() if not book.decayed(k)],
                         **config, **row.config.get("hyper", {}))
    out = []
    for g in grads:
        for k, t in tensors.items():
            t.grad = torch.tensor(g[k], device=device)
        opt.step()
        params = {k: t.detach().cpu().numpy().copy() for k, t in tensors.items()}
        state = {f"{s}/{k}": v for k, t in tensors.items() for s, v in book_state(name, opt, t).items()}
        out.append((params, state))
    stored = {f"param {k}": str(t.dtype).replace("torch.", "") for k, t in tensors.items()}
    for k, t in tensors.items():
        for key, v in opt.state[t].items():
            # NOTE: "step" is torch's step counter (a float32 tensor, exact to 2^24 steps, read with
            # .item() into the bias corrections), not a number of the book's arithmetic.
            if key != "step" and hasattr(v, "dtype") and v.is_floating_point():
                stored[f"{key}[{k}]"] = str(v.dtype).replace("torch.", "")
    return out, stored
