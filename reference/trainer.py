"""The seeds' training loop (``train_neuralnet.py``), returning the curves instead of printing.

Each iteration draws ``batch_size`` indices with replacement, computes ``network.gradient``,
updates with ``optimizer.update(params, grads)``, then records ``network.loss`` on the same batch
(after the update, as the seeds do). Every ``iter_per_epoch = max(train_size / batch_size, 1)``
iterations (i % iter_per_epoch == 0, so also after the first) it records train and test accuracy.
"""
from dataclasses import dataclass, field

import numpy as np

from reference._checks import check_args, check_training
from reference.optimizer import SGD


def sample_batches(train_size, batch_size, iters_num, rng):
    """The minibatch index sequence, (iters_num, batch_size) ints drawn with replacement.

    Drawn once so that every framework can be fed exactly the same batches."""
    return rng.integers(0, train_size, size=(iters_num, batch_size))


@dataclass
class TrainingCurves:
    train_loss_list: list = field(default_factory=list)
    train_acc_list: list = field(default_factory=list)
    test_acc_list: list = field(default_factory=list)
    eval_iters: list = field(default_factory=list)


def train(network, x_train, t_train, x_test, t_test, iters_num=10000, batch_size=100,
          optimizer=None, rng=None, batch_indices=None, callback=None):
    """Train ``network`` in place and return its TrainingCurves.

    optimizer: any object with ``update(params, grads)`` (default SGD(lr=0.1), the seeds').
    rng: Generator for the minibatches; batch_indices: a precomputed (iters, batch) index array
    (overrides rng, iters_num and batch_size). callback(i, loss) is called after every iteration.
    """
    optimizer = SGD(lr=0.1) if optimizer is None else optimizer
    train_size = x_train.shape[0]
    if batch_indices is None:
        check_args("train", iters_num=iters_num, batch_size=batch_size, rng=rng)
        rng = np.random.default_rng() if rng is None else rng
        batch_indices = sample_batches(train_size, batch_size, iters_num, rng)
    check_training("train", x_train, t_train, x_test, t_test, batch_indices)
    iters_num, batch_size = batch_indices.shape
    iter_per_epoch = max(train_size / batch_size, 1)

    curves = TrainingCurves()
    for i in range(iters_num):
        batch_mask = batch_indices[i]
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]

        grads = network.gradient(x_batch, t_batch)
        optimizer.update(network.params, grads)

        loss = float(network.loss(x_batch, t_batch))
        curves.train_loss_list.append(loss)
        if callback is not None:
            callback(i, loss)

        if i % iter_per_epoch == 0:
            curves.train_acc_list.append(float(network.accuracy(x_train, t_train)))
            curves.test_acc_list.append(float(network.accuracy(x_test, t_test)))
            curves.eval_iters.append(i)
    return curves
