"""The NumPy run: the book's net and optimizer — the shipped reference's, or the user's own.

``run_numpy(plan, progress=None, impl="reference") -> result dict`` (see ``harness.runners.record``).

The net is the implementation's ``MultiLayerNet`` (``MultiLayerNetExtend`` for batch norm,
``SimpleConvNet`` / ``DeepConvNet`` for the convolutional nets), built from its own constructor's
signature with the experiment's architecture (a DeepConvNet's dropout draws from the plan's mask
Generator, ``RunPlan.dropout_masks``, where its constructor takes ``dropout_rng``); the plan's initial
weights are copied into ``net.params`` IN PLACE (the book's layers hold those same arrays) and
checked bit for bit; the optimizer is the implementation's own ``optimizer.<Name>`` with the
book's hyper-parameter names. Each iteration does what ``reference.trainer.train`` does:

    grads = net.gradient(x_batch, t_batch); optimizer.update(net.params, grads)
    loss = net.loss(x_batch, t_batch)            # after the update, on the same batch

A user's implementation that lacks the net or the optimizer, or whose net cannot hold the plan's
weights (other keys or shapes, float64 arrays in a float32 run), is not driven: the run's status
is "missing" (not there) or "failed" (there but unusable) with the reason — the shipped reference
never stands in for it.

Divergence: a non-finite loss, or the reference's own "non-finite value" ValueError (its
SoftmaxWithLoss refuses NaN/inf scores), stops the run with status "diverged".
"""
import copy
import inspect

import numpy as np

from harness.runners.architecture import layer_names, param_layers
from harness.runners.plan import check_initial_weights
from harness.runners.record import Diverged, RunRecorder, drive

NET_CLASS = {"MultiLayerNet": "multi_layer_net.MultiLayerNet",
             "MultiLayerNetExtend": "multi_layer_net_extend.MultiLayerNetExtend",
             "SimpleConvNet": "simple_convnet.SimpleConvNet", "DeepConvNet": "deep_convnet.DeepConvNet"}


def constructor_arguments(plan, masks=None):
    """The book constructor's keyword arguments for the plan's network (those the class takes are
    passed, see ``_accepted``)."""
    net = plan.experiment.network
    common = dict(output_size=net["output_size"], weight_init_std=net["weight_init_std"],
                  rng=np.random.default_rng(0), dtype=plan.dtype)
    if net["kind"] == "SimpleConvNet":
        return dict(input_dim=tuple(net["input_dim"]), conv_param=dict(net["conv_param"]),
                    hidden_size=net["hidden_size"], **common)
    if net["kind"] == "DeepConvNet":
        return dict(input_dim=tuple(net["input_dim"]), hidden_size=net["hidden_size"],
                    dropout_ratio=net["dropout_ratio"], dropout_rng=masks.generator, **common)
    wanted = dict(input_size=net["input_size"], hidden_size_list=net["hidden_size_list"],
                  activation=net["activation"], **common)
    if net["kind"] == "MultiLayerNetExtend":
        wanted["use_batchnorm"] = net["use_batchnorm"]
    return wanted


class NotDriveable(Exception):
    """The implementation's net or optimizer cannot run this experiment; ``status`` says whether
    a piece is "missing" or present but "failed"."""

    def __init__(self, message, status="failed"):
        super().__init__(message)
        self.status = status


def _implementation(impl):
    from parity.impl import load_implementation

    return load_implementation(impl)


def build_network(plan, impl="reference", masks=None):
    """The implementation's net for the plan's experiment, holding the plan's initial weights
    (masks: the run's ``DropoutMasks``, for a net with dropout)."""
    implementation = _implementation(impl)
    net = plan.experiment.network
    dotted = NET_CLASS[net["kind"]]
    cls = _lookup(implementation, dotted, f"needed for {plan.experiment.name}")
    accepted = _accepted(cls, constructor_arguments(plan, masks))
    try:
        network = cls(**accepted)
    except Exception as exc:  # noqa: BLE001 - the user's constructor: its error is the reason
        raise NotDriveable(f"{implementation.name}: {dotted}({', '.join(accepted)}) raised "
                           f"{type(exc).__name__}: {exc}") from exc
    params = getattr(network, "params", None)
    if not isinstance(params, dict):
        raise NotDriveable(f"{implementation.name}: {dotted} has no params dict")
    if list(params) != list(plan.init_params):
        raise NotDriveable(f"{implementation.name}: {dotted} has parameters {list(params)}, the experiment "
                           f"needs {list(plan.init_params)}")
    for key, value in plan.init_params.items():
        held = params[key]
        if not isinstance(held, np.ndarray) or held.shape != value.shape or held.dtype != value.dtype:
            raise NotDriveable(
                f"{implementation.name}: {dotted}.params[{key!r}] is {_describe(held)}, the {plan.dtype} run needs "
                f"{value.dtype} {value.shape}" + ("" if "dtype" in accepted else
                                                  " (its constructor takes no dtype, so it builds float64)"))
        held[...] = value  # in place: the layers hold these arrays
    return network


def _accepted(cls, wanted):
    """The keyword arguments of ``wanted`` that ``cls``'s constructor takes (all of them for **kwargs)."""
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return wanted
    if any(p.kind == p.VAR_KEYWORD for p in parameters.values()):
        return wanted
    return {k: v for k, v in wanted.items() if k in parameters}


def _describe(a):
    return f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__


def _lookup(implementation, dotted, why):
    """The implementation's own ``dotted`` (``parity.impl.Implementation.lookup``): "missing" where
    it has none, "failed" where its file did not import or the code is not the user's."""
    found = implementation.lookup(dotted)
    if found.status == "found":
        return found.obj
    if found.status == "missing":
        raise NotDriveable(f"{implementation.name}: no {dotted} ({why})", status="missing")
    raise NotDriveable(f"{implementation.name}: {found.message}")


def make_optimizer(spec, impl="reference"):
    """The implementation's optimizer from {"name": ..., "lr": ..., hyper...} (the book's names)."""
    implementation = _implementation(impl)
    cls = _lookup(implementation, f"optimizer.{spec['name']}", "the experiment trains with it")
    hyper = {k: v for k, v in spec.items() if k != "name"}
    try:
        return cls(**hyper)
    except Exception as exc:  # noqa: BLE001 - the user's constructor
        raise NotDriveable(f"{implementation.name}: optimizer.{spec['name']}({', '.join(hyper)}) raised "
                           f"{type(exc).__name__}: {exc}") from exc


class Trainer:
    """One NumPy training run, a step at a time (the runner and the divergence forensics share it)."""

    framework = "numpy"

    def __init__(self, plan, impl="reference"):
        self.plan = plan
        self.impl = _implementation(impl)
        self.net = build_network(plan, self.impl, plan.dropout_masks())
        self.optimizer = make_optimizer(plan.optimizer, self.impl)
        self.init_sha256 = check_initial_weights("numpy", plan.init_params, dict(self.net.params))
        self.optimizer_impl = f"{self.impl.name}.optimizer.{plan.optimizer['name']}"
        self.backend = f"numpy {np.__version__}" + ("" if self.impl.name == "reference" else f" ({self.impl.name})")

    def step(self, batch_mask):
        x, t = self.plan.x_train[batch_mask], self.plan.t_train[batch_mask]
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                grads = self.net.gradient(x, t)
                self.optimizer.update(self.net.params, grads)
                return float(self.net.loss(x, t))
        except ValueError as exc:
            if "non-finite" not in str(exc):
                raise
            raise Diverged(f"numpy: the reference refused non-finite values (lr {self.plan.lr:g}): {exc}") from None

    def accuracy(self, which):
        x, t = (self.plan.x_train, self.plan.t_train) if which == "train" else (self.plan.x_test, self.plan.t_test)
        keep = self.plan.eval_slice(which)
        return float(self.net.accuracy(x[keep], t[keep]))

    def params(self):
        return {k: np.array(v, copy=True) for k, v in self.net.params.items()}

    def load_params(self, params):
        for key, value in params.items():
            self.net.params[key][...] = value

    def trace(self, x, t):
        """One forward and backward pass at the current weights (see ``harness.runners.architecture``),
        on a copy of the net so no state (batch-norm running statistics) changes. None where the
        net is not the book's layered kind (no ``layers`` dict or list of layer objects to step
        through), or has dropout (a trace would draw masks the other frameworks do not see)."""
        if any(kind == "dropout" for _, kind in layer_names(self.plan.experiment.network)):
            return None
        try:
            return self._trace(copy.deepcopy(self.net), x, t)
        except (KeyError, AttributeError, TypeError):  # not the book's layer names or attributes
            return None

    def _trace(self, net, x, t):
        layers = getattr(net, "layers", None)
        last = getattr(net, "last_layer", None) or getattr(net, "lastLayer", None)
        names = layer_names(self.plan.experiment.network)
        layer_list = list(layers.values()) if hasattr(layers, "values") else layers
        if not isinstance(layer_list, list) or last is None or len(layer_list) != len(names):
            return None
        out, h = {}, x
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for (name, kind), layer in zip(names, layer_list):
                if kind == "batchnorm":
                    h_in = h.reshape(h.shape[0], -1)
                    h = layer.forward(h, True)
                    out[f"{name}.mean"], out[f"{name}.var"] = h_in.mean(axis=0), np.mean((h_in - h_in.mean(axis=0)) ** 2, axis=0)
                else:
                    h = layer.forward(h)
                out[name] = np.array(h, copy=True)
            last.forward(h, t)
            out["softmax"] = np.array(last.y, copy=True)
            dout = last.backward(1)
            for (name, _), layer in zip(reversed(names), reversed(layer_list)):
                out[f"d{name}"] = np.array(dout, copy=True)
                dout = layer.backward(dout)
        by_name = dict(zip((n for n, _ in names), layer_list))
        for key, (layer_name, attr) in param_layers(self.plan.experiment.network).items():
            out[f"grad {key}"] = np.array(getattr(by_name[layer_name], attr), copy=True)
        return out


def run_numpy(plan, progress=None, impl="reference"):
    try:
        trainer = Trainer(plan, impl)
    except NotDriveable as exc:
        return not_driven(plan, str(exc), exc.status, impl)
    recorder = RunRecorder("numpy", trainer.backend, plan, progress)
    recorder.init_sha256, recorder.optimizer_impl = trainer.init_sha256, trainer.optimizer_impl
    result = drive(plan, recorder, trainer.step, trainer.accuracy)
    result["impl"] = trainer.impl.name
    return result


def not_driven(plan, message, status, impl):
    """The result of a run that could not start: the reason, no curves."""
    name = getattr(impl, "name", impl)
    return {"framework": "numpy", "backend": f"numpy {np.__version__} ({name})", "dtype": plan.dtype,
            "seed": plan.seed, "status": status, "message": message, "impl": str(name), "iters_planned": plan.iters,
            "iters_done": 0, "train_loss": [], "eval_iters": [], "train_acc": [], "test_acc": [],
            "final_train_acc": None, "final_test_acc": None}


run = run_numpy
