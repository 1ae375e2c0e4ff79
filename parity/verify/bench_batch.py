"""Benchmark of a class of submissions: ``python -m parity.verify.bench_batch [--n 40] [--jobs 1,2]``.

Generates ``n`` submissions in a temporary folder — a mix of correct ones (a book-style folder, a
seed-style notebook with the learner's ``common/`` beside it) and ones with a planted fault (the
selftest's faults, ``parity.verify.faults``, one per submission in turn) — and checks the class
with ``--jobs 1`` and ``--jobs 2`` (joblib loky), batch defaults (torch and numerical, float64).
Each run starts with a warm-up batch of two submissions so that the workers have imported the
frameworks; the figures are seconds per submission after that, the speed-up of 2 jobs over 1, and
how many planted faults were caught (the fault's component reported FAIL). Printed, never asserted.
"""
import argparse
import os
import tempfile
import time

from parity.verify import batch
from parity.verify.faults import FAULTS
from parity.verify.patch import reference_copy

_NOTEBOOK_NET = '''class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {'W1': weight_init_std * np.random.randn(input_size, hidden_size), 'b1': np.zeros(hidden_size),
                       'W2': weight_init_std * np.random.randn(hidden_size, output_size), 'b2': np.zeros(output_size)}
        self.layers = OrderedDict()
        self.layers['Affine1'] = Affine(self.params['W1'], self.params['b1'])
        self.layers['Relu1'] = Relu()
        self.layers['Affine2'] = Affine(self.params['W2'], self.params['b2'])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        return np.mean(np.argmax(self.predict(x), axis=1) == np.argmax(t, axis=1))

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        return {'W1': self.layers['Affine1'].dW, 'b1': self.layers['Affine1'].db,
                'W2': self.layers['Affine2'].dW, 'b2': self.layers['Affine2'].db}
'''


def make_class(folder, n):
    """n submissions in ``folder``: every third correct (a folder, or a notebook), the others each
    with one planted fault; returns {submission name: the fault's component or None}."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    expected = {}
    faults = iter(FAULTS * (n // len(FAULTS) + 1))
    for i in range(n):
        name = f"student{i + 1:02d}"
        path = os.path.join(folder, name)
        if i % 3 == 0 and i % 2 == 0:
            reference_copy(path)
            expected[name] = None
        elif i % 3 == 0:
            reference_copy(os.path.join(path, "common"))
            cells = [new_code_cell("import numpy as np\nfrom collections import OrderedDict\nfrom common.layers import *"),
                     new_code_cell(_NOTEBOOK_NET),
                     new_code_cell("network = TwoLayerNet(784, 50, 10)\nfor i in range(10000):\n    pass")]
            nbformat.write(new_notebook(cells=cells), os.path.join(path, "work.ipynb"))
            expected[name] = None
        else:
            fault = next(faults)
            reference_copy(path, fault.edits)
            expected[name] = fault.component
    return expected


def run(folder, jobs, expected):
    warm = tempfile.mkdtemp(prefix="parity-bench-warm-")
    make_class(warm, 2)
    batch.check_batch(warm, jobs=jobs)  # workers start and import the frameworks
    start = time.perf_counter()
    result = batch.check_batch(folder, jobs=jobs)
    seconds = time.perf_counter() - start
    rows = {r.name: r for r in result.rows}
    faulty = {n: c for n, c in expected.items() if c}
    caught = sum(rows[n].statuses.get(c) == "FAIL" for n, c in faulty.items())
    correct = [n for n, c in expected.items() if c is None]
    return seconds, caught, len(faulty), sum(rows[n].ok for n in correct), len(correct)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m parity.verify.bench_batch", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", default="1,2")
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="parity-bench-class-")
    expected = make_class(folder, args.n)
    base = None
    print(f"{args.n} generated submissions ({sum(c is None for c in expected.values())} correct, "
          f"{sum(c is not None for c in expected.values())} with a planted fault), batch defaults")
    for jobs in [int(j) for j in args.jobs.split(",")]:
        seconds, caught, n_faulty, good, n_good = run(folder, jobs, expected)
        base = base or seconds
        print(f"  --jobs {jobs}: {seconds:6.1f} s wall, {seconds / args.n:5.2f} s per submission after imports, "
              f"speed-up {base / seconds:4.2f}x; planted faults caught {caught}/{n_faulty}, correct ones passing "
              f"{good}/{n_good}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
