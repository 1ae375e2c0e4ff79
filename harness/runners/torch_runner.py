"""The PyTorch run: the same net, weights, batches and update rule, eager, deterministic.

``run_torch(plan, progress=None, device="cpu") -> result dict`` (see ``harness.runners.record``).

Net: ``nn.Sequential`` of ``Linear`` (weight = W.T), [``BookBatchNorm``], activation, ...,
``Linear``. One step, mirroring ``reference.trainer.train``:

    scores = net(x_batch)                               # train mode (batch statistics)
    F.cross_entropy(scores, t_batch).backward()         # gradient (y - t) / N, as SoftmaxWithLoss
    optimizer.step()                                    # the book's rule (parity optimizers)
    loss = -sum(log(softmax(net(x_batch))[t] + 1e-7)) / N   # eval mode, after the update

The convolutional nets (``harness.runners.architecture.layers``): ``Conv2d`` (weight = W, OIHW as
the book's), ``ReLU``, ``MaxPool2d(2, 2)``, ``BookAffine`` (flatten + ``Linear``), and for
DeepConvNet ``InjectedDropout`` holding the plan's masks (``RunPlan.dropout_masks``); their loss
after the update runs in training mode (dropout on, fresh masks), as the book's ``loss``.

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


def _conv_modules(torch):
    class BookAffine(torch.nn.Linear):
        """Linear on the input flattened to (N, -1), as the book's Affine."""

        def forward(self, x):
            return super().forward(x.reshape(x.shape[0], -1))

    class InjectedDropout(torch.nn.Module):
        """The book's dropout with a given mask: train x * mask, eval x * (1 - ratio)."""

        def __init__(self, ratio):
            super().__init__()
            self.ratio, self.mask = ratio, None

        def forward(self, x):
            return x * self.mask if self.training else x * (1.0 - self.ratio)

    return BookAffine, InjectedDropout


def build_conv_network(plan, device="cpu"):
    """(nn.Sequential, {book key: (tensor, to_book)}, [InjectedDropout]) for a convolutional net,
    one module per layer of ``harness.runners.architecture.layers``, with the plan's weights."""
    from harness.runners.architecture import layers

    torch = _torch()
    BookAffine, InjectedDropout = _conv_modules(torch)
    dtype = getattr(torch, plan.dtype)
    modules, params, dropouts = [], {}, []
    for spec in layers(plan.experiment.network):
        kind = spec["kind"]
        if kind == "conv":
            fn, c, fh, fw = spec["shape"]
            module = torch.nn.Conv2d(c, fn, (fh, fw), stride=spec["stride"], padding=spec["pad"], dtype=dtype,
                                     device=device)
            weight, to_book = plan.init_params[spec["W"]], None
        elif kind == "affine":
            module = BookAffine(*spec["shape"], dtype=dtype, device=device)
            weight, to_book = plan.init_params[spec["W"]].T, np.transpose
        elif kind == "relu":
            module = torch.nn.ReLU()
        elif kind == "pool":
            module = torch.nn.MaxPool2d(2, stride=2)
        else:
            module = InjectedDropout(spec["ratio"])
            dropouts.append(module)
        if "W" in spec:
            with torch.no_grad():
                module.weight.copy_(torch.as_tensor(np.ascontiguousarray(weight), device=device))
                module.bias.copy_(torch.as_tensor(plan.init_params[spec["b"]], device=device))
            params[spec["W"]], params[spec["b"]] = (module.weight, to_book), (module.bias, None)
        modules.append(module)
    return torch.nn.Sequential(*modules), params, dropouts


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
        from harness.runners.architecture import is_conv

        self.conv = is_conv(plan.experiment.network)
        self.dropouts, self.masks = [], plan.dropout_masks()
        if self.conv:
            self.model, self.param_map, self.dropouts = build_conv_network(plan, device)
        else:
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
        gradient_masks, loss_masks = self._draw_masks()
        self._set_masks(gradient_masks)
        self.optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), t).backward()
        self.optimizer.step()
        with torch.no_grad():
            self._set_masks(loss_masks)
            if not self.conv:  # the MLPs' loss in eval mode (batch norm); the conv nets' in training mode
                model.eval()
            y = torch.softmax(model(x), dim=1)
            model.train()
            return (-torch.log(y.gather(1, t.reshape(-1, 1)).squeeze(1) + 1e-7).sum() / t.shape[0]).item()

    def _draw_masks(self):
        """(the gradient pass's dropout masks, the loss pass's) as tensors, ([], []) without dropout."""
        if self.masks is None:
            return [], []
        drawn = [self.torch.as_tensor(m, device=self.device).to(getattr(self.torch, self.plan.dtype))
                 for m in self.masks.step()]
        return drawn[:len(self.dropouts)], drawn[len(self.dropouts):]

    def _set_masks(self, masks):
        for module, mask in zip(self.dropouts, masks):
            module.mask = mask

    def accuracy(self, which):
        x, t = (self.x_train, self.t_train) if which == "train" else (self.x_test, self.t_test)
        keep = self.plan.eval_slice(which)
        x, t = x[keep], t[keep]
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

        if self.dropouts:  # masks the other frameworks' traces would not draw
            return None
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
