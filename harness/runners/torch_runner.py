"""The PyTorch run: the same net, weights, batches and update rule, eager, deterministic.

``run_torch(plan, progress=None, device="cpu") -> result dict`` (see ``harness.runners.record``).

Net: ``nn.Sequential`` of ``Linear`` (weight = W.T), [``BookBatchNorm``], activation, ...,
``Linear``. One step, mirroring ``reference.trainer.train``:

    scores = net(x_batch)                               # train mode (batch statistics)
    F.cross_entropy(scores, t_batch).backward()         # gradient (y - t) / N, as SoftmaxWithLoss
    optimizer.step()                                    # the book's rule (parity optimizers)
    loss = -sum(log(softmax(net(x_batch))[t] + 1e-7)) / N   # eval mode, after the update

NOTE: the gradient comes from F.cross_entropy, not from the recorded loss: the book's backward,
(y - t) / N, is the exact gradient of the loss WITHOUT the 1e-7, and autograd of the loss with
the 1e-7 would differ from it by about 1e-7 / y_t.
"""


import numpy as np

from harness.runners.plan import check_initial_weights
from harness.runners.record import RunRecorder, drive

COST = 1.1  # ms/iteration relative to numpy on the report's runs (eager, one autograd pass per step); for scheduling

ACTIVATIONS = {"relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def _torch():
    import torch

    from parity import numerics

    numerics.configure()  # deterministic algorithms on, TF32 off
    return torch


def build_network(plan, device="cpu"):
    """(nn.Sequential, {book key: (tensor, to_book)}) holding the plan's initial weights."""
    torch = _torch()
    from parity.backends.torch.layers import BookBatchNorm

    net, dtype = plan.experiment.network, getattr(torch, plan.dtype)
    sizes = [net["input_size"], *net["hidden_size_list"], net["output_size"]]
    modules, params = [], {}
    batchnorms = {}
    for idx in range(1, len(sizes)):
        linear = torch.nn.Linear(sizes[idx - 1], sizes[idx], dtype=dtype, device=device)
        with torch.no_grad():
            linear.weight.copy_(torch.as_tensor(plan.init_params[f"W{idx}"].T, device=device))
            linear.bias.copy_(torch.as_tensor(plan.init_params[f"b{idx}"], device=device))
        params[f"W{idx}"] = (linear.weight, np.transpose)
        params[f"b{idx}"] = (linear.bias, None)
        modules.append(linear)
        if idx < len(sizes) - 1:
            if net["use_batchnorm"]:
                bn = BookBatchNorm(sizes[idx], momentum=0.9, eps=1e-6, dtype=dtype, device=device)
                with torch.no_grad():
                    bn.weight.copy_(torch.as_tensor(plan.init_params[f"gamma{idx}"], device=device))
                    bn.bias.copy_(torch.as_tensor(plan.init_params[f"beta{idx}"], device=device))
                batchnorms[idx] = bn
                modules.append(bn)
            modules.append(getattr(torch.nn, ACTIVATIONS[net["activation"]])())
    for idx, bn in batchnorms.items():  # the book's key order: all W, b first, then gamma, beta
        params[f"gamma{idx}"] = (bn.weight, None)
        params[f"beta{idx}"] = (bn.bias, None)
    return torch.nn.Sequential(*modules), params


def read_back(params):
    """The framework's parameters as NumPy arrays in the book's layout."""
    out = {}
    for key, (tensor, to_book) in params.items():
        a = tensor.detach().cpu().numpy()
        out[key] = np.ascontiguousarray(to_book(a) if to_book else a)
    return out


def make_optimizer(spec, parameters):
    """(optimizer, description): parity's book-configured optimizer when available; plain
    torch.optim.SGD (W -= lr * g, the book's SGD) otherwise."""
    hyper = {k: v for k, v in spec.items() if k != "name"}
    try:
        from parity.backends.torch.optimizers import make_optimizer as parity_optimizer
    except ImportError:
        parity_optimizer = None
    if parity_optimizer is not None:
        return parity_optimizer(spec["name"], parameters, **hyper), f"parity.backends.torch.optimizers {spec['name']}"
    if spec["name"] == "SGD":
        import torch
        return torch.optim.SGD(parameters, lr=hyper["lr"]), "torch.optim.SGD"
    raise RuntimeError(f"torch: {spec['name']} with the book's semantics needs parity.backends.torch.optimizers, "
                       "which is not available")


class Trainer:
    """One torch training run, a step at a time (the runner and the divergence forensics share it)."""

    framework = "torch"

    def __init__(self, plan, device="cpu"):
        torch = _torch()
        self.torch, self.plan, self.device = torch, plan, device
        self.backend = f"torch {torch.__version__} ({device}, eager)"
        self.model, self.param_map = build_network(plan, device)
        self.init_sha256 = check_initial_weights("torch", plan.init_params, read_back(self.param_map))
        self.optimizer, self.optimizer_impl = make_optimizer(plan.optimizer, [p for p, _ in self.param_map.values()])
        as_tensor = lambda a: torch.as_tensor(a, device=device)  # noqa: E731
        self.x_train, self.t_train = as_tensor(plan.x_train), as_tensor(plan.t_train)
        self.x_test, self.t_test = as_tensor(plan.x_test), as_tensor(plan.t_test)
        self.model.train()

    def step(self, batch_mask):
        import torch.nn.functional as F

        torch, model = self.torch, self.model
        idx = torch.as_tensor(batch_mask, device=self.device)
        x, t = self.x_train.index_select(0, idx), self.t_train.index_select(0, idx)
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), t).backward()
        self.optimizer.step()
        with torch.no_grad():
            model.eval()
            y = torch.softmax(model(x), dim=1)
            model.train()
            return (-torch.log(y.gather(1, t.reshape(-1, 1)).squeeze(1) + 1e-7).sum() / t.shape[0]).item()

    def accuracy(self, which):
        x, t = (self.x_train, self.t_train) if which == "train" else (self.x_test, self.t_test)
        with self.torch.no_grad():
            self.model.eval()
            hits = int((self.model(x).argmax(dim=1) == t).sum())
            self.model.train()
        return hits / float(t.shape[0])

    def params(self):
        return {k: np.array(v, copy=True) for k, v in read_back(self.param_map).items()}  # not views of the tensors

    def load_params(self, params):
        with self.torch.no_grad():
            for key, (tensor, to_book) in self.param_map.items():
                value = params[key].T if to_book is not None else params[key]
                tensor.copy_(self.torch.as_tensor(np.ascontiguousarray(value), device=self.device))

    def trace(self, x, t):
        """One forward and backward pass at the current weights, module by module, on a copy of the
        model (batch-norm running statistics untouched); names from ``harness.runners.architecture``."""
        import copy

        import torch.nn.functional as F

        from harness.runners.architecture import layer_names

        torch = self.torch
        model = copy.deepcopy(self.model)
        names_of = {id(p): n for n, p in self.model.named_parameters()}
        copied = dict(model.named_parameters())
        h = torch.as_tensor(x, device=self.device)
        out, kept = {}, []
        for (name, kind), module in zip(layer_names(self.plan.experiment.network), model):
            if kind == "batchnorm":
                flat = h.detach().reshape(h.shape[0], -1)
                out[f"{name}.mean"], out[f"{name}.var"] = flat.mean(dim=0), flat.var(dim=0, correction=0)
            h = module(h)
            h.retain_grad()
            kept.append((name, h))
            out[name] = h
        out["softmax"] = torch.softmax(h, dim=1)
        F.cross_entropy(h, torch.as_tensor(t, device=self.device)).backward()
        for name, tensor in reversed(kept):
            out[f"d{name}"] = tensor.grad
        for key, (param, to_book) in self.param_map.items():
            grad = copied[names_of[id(param)]].grad.detach().cpu().numpy()
            out[f"grad {key}"] = to_book(grad) if to_book is not None else grad
        return {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else v) for k, v in out.items()}


def run_torch(plan, progress=None, device="cpu"):
    trainer = Trainer(plan, device)
    recorder = RunRecorder("torch", trainer.backend, plan, progress)
    recorder.init_sha256, recorder.optimizer_impl = trainer.init_sha256, trainer.optimizer_impl
    return drive(plan, recorder, trainer.step, trainer.accuracy)


run = run_torch
