"""A component that raises, loops forever or returns the wrong shape is reported for that
component, with the exception or the time limit, and the other components still run."""
import os
import time

import pytest

from parity.verify.isolate import run_isolated
from parity.verify.patch import Edit, reference_copy
from parity.verify.suite import check


def _loop():
    while True:
        pass


def _raise():
    raise KeyError("W9")


def test_run_isolated_outcomes():
    assert run_isolated(sum, ([1, 2],), timeout=10).value == 3
    start = time.perf_counter()
    hung = run_isolated(_loop, timeout=1.0)
    assert hung.status == "timeout" and "1 s" in hung.error and time.perf_counter() - start < 10
    raised = run_isolated(_raise, timeout=10)
    assert raised.status == "error" and raised.error.startswith("KeyError: 'W9'")
    died = run_isolated(os._exit, (3,), timeout=10)
    assert died.status == "error" and "exit code 3" in died.error
    assert run_isolated(_raise, timeout=None).status == "error"  # in process


def test_raising_hanging_and_wrong_shape_components_are_reported_and_the_rest_run(tmp_path):
    pytest.importorskip("torch")
    folder = reference_copy(tmp_path / "common", (
        # Affine.backward raises
        Edit("layers.py", "        dx = np.dot(dout, self.W.T)\n",
             "        raise RuntimeError('half-written backward')\n"),
        # Relu.forward never returns
        Edit("layers.py", "        self.mask = (x <= 0)\n", "        while True:\n            pass\n"),
        # Sigmoid.forward returns the wrong shape
        Edit("layers.py", "        self.out = sigmoid(x)\n        return self.out\n",
             "        self.out = sigmoid(x)\n        return self.out.reshape(-1)\n"),
    ))
    result = check(folder, frameworks=("torch",), dtypes=("float64",),
                   components=["Affine", "Relu", "Sigmoid", "Tanh", "softmax"], timeout=5)
    by = {s.component: s for s in result.summaries}
    assert by["Affine"].status == "error" and "half-written backward" in by["Affine"].message
    assert "Affine" in by["Affine"].message
    assert by["Relu"].status == "timeout" and "time limit of 5 s" in by["Relu"].message
    assert by["Sigmoid"].status in ("FAIL", "error")
    assert "shape" in by["Sigmoid"].message
    assert by["Tanh"].status == "pass" and by["softmax"].status == "pass"
    assert not result.ok
    assert [s.component for s in result.summaries] == ["Affine", "Relu", "Sigmoid", "Tanh", "softmax"]


def test_module_object_implementation_runs_in_a_forked_child_after_torch_ran_here():
    """An implementation given as a module object cannot be loaded again by name, so its child is
    a plain fork of this process; torch has already computed here, and the child still finishes."""
    torch = pytest.importorskip("torch")
    import types

    import reference

    (torch.randn(300, 300) @ torch.randn(300, 300)).sum()  # start this process's thread pool
    pkg = types.ModuleType("not_importable_impl")
    pkg.layers = reference.layers
    pkg.functions = reference.functions
    result = check(pkg, frameworks=("torch",), dtypes=("float64",), components=["Affine", "softmax"], timeout=15)
    assert [s.status for s in result.summaries] == ["pass", "pass"], [s.message for s in result.summaries]
