"""The inputs every framework's run shares: data, initial weights, minibatch indices, optimizer.

A RunPlan is made once per (experiment, data set, dtype, seed) and handed to each runner, so the
three frameworks start from the same weights (drawn once by ``reference.init`` from a seeded
Generator), see the same minibatch index sequence, and evaluate on the same schedule
(``i % iter_per_epoch == 0``, ``iter_per_epoch = max(train_size / batch_size, 1)``, as
``reference.trainer.train``). Two Generators are spawned from one SeedSequence(seed): one draws
the weights, one the batches, so a shorter run (``iters``) keeps the same weights and the same
first batches.

    >>> plan = make_plan(load_experiment("two_layer_relu"), data, "float64", seed=0, iters=100)
    >>> plan.batch_indices.shape, plan.init_params["W1"].shape
    ((100, 100), (784, 50))
"""
import hashlib
from dataclasses import dataclass, field, replace

import math

import numpy as np

from harness.runners.architecture import dropout_shapes, input_shape, param_shapes
from reference.init import init_weight
from reference.trainer import sample_batches

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class RunPlan:
    """Everything a runner needs. Arrays are in ``dtype`` (labels int64, shapes (N,))."""

    experiment: object
    dtype: str
    seed: int
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    init_params: dict
    batch_indices: np.ndarray
    optimizer: dict
    perturbation: object = None
    notes: list = field(default_factory=list)
    cut: bool = False  # the schedule was cut short (iters): the last iteration evaluates too

    @property
    def iters(self):
        return self.batch_indices.shape[0]

    @property
    def batch_size(self):
        return self.batch_indices.shape[1]

    @property
    def iter_per_epoch(self):
        return max(self.x_train.shape[0] / self.batch_size, 1)

    @property
    def lr(self):
        return self.optimizer["lr"]

    def evaluates_at(self, i):
        """True where the reference trainer records accuracies (i % iter_per_epoch == 0, or every
        ``schedule.eval_every`` iterations where the experiment says so), and, for a cut schedule, at
        its last iteration: a cut run's final accuracy is measured where it ends, not at iteration 0
        of a run shorter than an epoch."""
        every = self.experiment.schedule.get("eval_every", self.iter_per_epoch)
        return i % every == 0 or (self.cut and i == self.iters - 1)

    def eval_slice(self, which):
        """The samples of the "train" or "test" set accuracies are measured on: all, or
        ``schedule.eval_size`` of them evenly spaced through the set (every k-th, from the first;
        the data sets keep their samples in class order, so the first N would be few classes)."""
        total = (self.x_train if which == "train" else self.x_test).shape[0]
        size = self.experiment.schedule.get("eval_size")
        if size is None or size >= total:
            return slice(None)
        step = total // size
        return slice(0, step * size, step)

    def dropout_masks(self):
        """A fresh source of the run's dropout masks (the same sequence in every framework), or
        None for a net without dropout. ``source.generator`` is the Generator the book's
        ``Dropout(rng=...)`` draws from (``rng.random(shape) > ratio``); ``source.step()`` gives,
        in the same order, the masks of one iteration: the gradient pass's, then the post-update
        loss pass's (the book's loss runs in training mode)."""
        shapes = dropout_shapes(self.experiment.network, self.batch_size)
        return DropoutMasks(self.seed, shapes, self.experiment.network.get("dropout_ratio")) if shapes else None


class DropoutMasks:
    """The dropout masks of a run, drawn from the third Generator spawned from SeedSequence(seed)
    (the first two draw the weights and the batches)."""

    def __init__(self, seed, shapes, ratio):
        self.generator = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[2])
        self.shapes, self.ratio = shapes, ratio

    def step(self):
        """[masks of the gradient pass..., masks of the loss pass...] as bool arrays."""
        return [self.generator.random(shape) > self.ratio for _ in range(2) for shape in self.shapes]


def make_plan(experiment, data, dtype="float64", seed=0, iters=None):
    """The shared plan. data: ((x_train, t_train), (x_test, t_test)) as the loaders return them
    (images (N, 784), labels (N,)); a convolutional net gets them as (N, C, H, W) (its
    ``input_dim``); iters: cut the schedule to its first ``iters`` iterations."""
    validate_data(experiment, data, dtype)
    (x_train, t_train), (x_test, t_test) = data
    shape = input_shape(experiment.network)
    init_params, batch_indices, notes = draws(experiment, x_train.shape[0], dtype, seed, iters)
    cut = iters is not None and iters < draws(experiment, x_train.shape[0], dtype, seed)[1].shape[0]
    return RunPlan(experiment=experiment, dtype=dtype, seed=seed, cut=cut,
                   x_train=np.ascontiguousarray(x_train.reshape(-1, *shape), dtype=dtype),
                   t_train=t_train.astype(np.int64),
                   x_test=np.ascontiguousarray(x_test.reshape(-1, *shape), dtype=dtype),
                   t_test=t_test.astype(np.int64),
                   init_params=init_params, batch_indices=batch_indices,
                   optimizer=dict(experiment.optimizer), notes=notes)


def validate_data(experiment, data, dtype):
    """ValueError naming the experiment unless ``data`` fits its network and ``dtype`` is known."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    (x_train, t_train), _ = data
    size = math.prod(input_shape(experiment.network))
    if x_train.ndim != 2 or x_train.shape[1] != size:
        raise ValueError(f"{experiment.name}: training images have shape {x_train.shape}, "
                         f"the network wants (N, {size})")
    if t_train.ndim != 1 or t_train.shape[0] != x_train.shape[0]:
        raise ValueError(f"{experiment.name}: labels must be (N,) ints matching {x_train.shape}, got {t_train.shape}")


def draws(experiment, train_size, dtype, seed, iters=None):
    """(initial parameters, minibatch indices, schedule notes): the plan's random part, which needs
    only the number of training samples (the summary of a run is made from it without the data)."""
    init_rng, batch_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    batch_indices, notes = schedule(experiment.schedule, train_size, batch_rng)
    if iters is not None:
        if iters <= 0:
            raise ValueError(f"iters must be positive, got {iters}")
        if iters > batch_indices.shape[0]:
            raise ValueError(f"{experiment.name}: iters {iters} exceeds the schedule's {batch_indices.shape[0]}")
        batch_indices = batch_indices[:iters]
    return initial_params(experiment.network, init_rng, dtype), batch_indices, notes


def initial_params(net, rng, dtype):
    """The parameters in the book's key order (W1, b1, ..., then gamma{k}, beta{k} with batch
    norm; ``harness.runners.architecture.param_shapes``), each W drawn in that order, as the
    book's nets draw them, by ``reference.init.init_weight`` (float64 draw, cast)."""
    fill = {"zeros": np.zeros, "ones": np.ones}
    return {key: init_weight(net["weight_init_std"], shape, rng, dtype=dtype) if how == "weight"
            else fill[how](shape, dtype=dtype) for key, shape, how in param_shapes(net)}


def schedule_length(sched, train_size):
    """Iterations of the whole schedule on ``train_size`` training samples (``schedule``'s rows)."""
    if sched["kind"] == "sample_batches":
        return int(sched["iters"])
    return int(sched["epochs"]) * (train_size // int(sched["batch_size"]))


def schedule(sched, train_size, rng):
    """(batch index array (iters, batch_size), notes) for a schedule table.

    sample_batches: ``reference.trainer.sample_batches`` (with replacement, the seeds' loop).
    shuffled_epochs: per epoch a permutation of range(train_size) split into consecutive batches
    (Keras ``fit(shuffle=True)``); a remainder smaller than a batch is dropped and noted.
    """
    batch_size = sched["batch_size"]
    if batch_size > train_size:
        raise ValueError(f"batch_size {batch_size} exceeds the {train_size} training samples")
    if sched["kind"] == "sample_batches":
        return sample_batches(train_size, batch_size, sched["iters"], rng), []
    per_epoch = train_size // batch_size
    dropped = train_size - per_epoch * batch_size
    notes = [f"shuffled epochs drop the last {dropped} samples of each permutation"] if dropped else []
    epochs = [rng.permutation(train_size)[: per_epoch * batch_size].reshape(per_epoch, batch_size)
              for _ in range(sched["epochs"])]
    return np.concatenate(epochs), notes


def params_sha256(params):
    """SHA-256 over the parameters in key order: name, dtype, shape and bytes of each (book layout)."""
    digest = hashlib.sha256()
    for key in params:
        a = np.ascontiguousarray(params[key])
        digest.update(f"{key}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def array_sha256(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def check_initial_weights(framework, expected, read_back):
    """Raise AssertionError unless ``read_back`` (book layout, read from the framework) equals
    ``expected`` bit for bit; return the SHA-256 of what the framework holds."""
    if list(read_back) != list(expected):
        raise AssertionError(f"{framework}: parameters {list(read_back)} differ from the plan's {list(expected)}")
    for key, want in expected.items():
        got = read_back[key]
        if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
            raise AssertionError(
                f"{framework}: initial {key} read back from the framework ({got.dtype}, {got.shape}) is not "
                f"bit-identical to the plan's ({want.dtype}, {want.shape}); max |diff| "
                f"{float(np.max(np.abs(got.astype(np.float64) - want))) if got.shape == want.shape else 'n/a'}")
    return params_sha256(read_back)


@dataclass(frozen=True)
class Perturbation:
    """One deliberate change to one framework's inputs, for sensitivity and divergence checks.

    lr: replace the learning rate; batch: (k, j, index) puts training sample ``index`` at
    position j of iteration k's batch; weight: (key, flat_index, delta) adds ``delta`` to one
    initial weight.
    """

    lr: float = None
    batch: tuple = None
    weight: tuple = None

    def apply(self, plan):
        optimizer, batches, params = plan.optimizer, plan.batch_indices, plan.init_params
        if self.lr is not None:
            optimizer = {**optimizer, "lr": float(self.lr)}
        if self.batch is not None:
            k, j, index = self.batch
            batches = batches.copy()
            batches[k, j] = index
        if self.weight is not None:
            key, flat, delta = self.weight
            params = {name: a.copy() for name, a in params.items()}
            params[key].reshape(-1)[flat] += delta
        return replace(plan, optimizer=optimizer, batch_indices=batches, init_params=params, perturbation=self)

    def as_record(self):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in
                {"lr": self.lr, "batch": self.batch, "weight": self.weight}.items() if v is not None}
