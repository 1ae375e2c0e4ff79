"""Every optimizer row x framework x dtype x check: parameters and the book's state (v, h, m) after
each of 24 given gradients, and the dtypes the framework's optimizer holds. Ids:
``Adam-torch-float64-params``. Known differences (Keras' and optax's epsilon inside the sqrt) are
strict xfails; their measured size is asserted below and by the table of known differences
(``parity.catalogue``, ``tests/parity/test_differences.py``). The row checks are the shipped
suite's (``parity.testing.suite.test_optimizers``)."""
import numpy as np
import pytest

from parity.runners.optimizers import LARGE_STEP, STEPS, ZERO_STEP, problem
from parity.frameworks import keras_backend
from parity.registry import get, optimizers
from parity.testing import records_for, skip_unless_available
from parity.testing.suite.test_optimizers import test_optimizer_matches  # noqa: F401


def test_trajectory_exercises_zero_large_and_tiny_gradients():
    params, grads = problem()
    assert len(grads) == STEPS >= 20 and list(params) == ["W1", "b1", "W2"]
    assert all(not g.any() for g in grads[ZERO_STEP - 1].values())
    big = max(np.abs(g).max() for g in grads[LARGE_STEP - 1].values())
    usual = max(np.abs(g).max() for s, gs in enumerate(grads, 1) if s != LARGE_STEP for g in gs.values())
    assert big > 100 * usual
    tiny = min(np.abs(g[g != 0]).min() for g in grads[0].values())
    assert tiny < 1e-7  # where sqrt(h) meets the book's epsilon


def test_every_book_optimizer_has_a_row():
    assert {r.reference for r in optimizers.ROWS} == {f"optimizer.{n}" for n in
                                                     ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam")}


# The known differences' bands, from the table (parity.catalogue.table: adagrad-defaults,
# rmsprop-defaults); here also: first differing step 1, status "known" in the records.
def _band(name):
    from parity.catalogue.table import ROWS

    return next(r.residual["keras[tensorflow]"] for r in ROWS if r.component == name and r.residual)


KNOWN_BANDS = {("AdaGrad", "params"): _band("AdaGrad"), ("RMSprop", "params"): _band("RMSprop")}


@pytest.mark.keras
@pytest.mark.parametrize("name, check", list(KNOWN_BANDS), ids=[f"{n}-{c}" for n, c in KNOWN_BANDS])
def test_keras_known_difference_is_reported_with_its_size(name, check, impl, device):
    skip_unless_available("keras")
    row = get(name)
    (rec,) = [r for r in records_for(row, "keras", "float64", impl, device) if r.check == check]
    lo, hi = KNOWN_BANDS[(name, check)]
    assert rec.status == "known" and "known difference" in rec.message, rec.message
    assert rec.case == "step-01" and "first mismatch at step 1 of 24" in rec.message
    assert lo <= rec.max_abs_err <= hi, f"{name} {check} on keras[{keras_backend()}]: {rec.max_abs_err:.3g}"


@pytest.mark.torch
def test_torch_adam_needs_the_per_step_epsilon():
    """BookAdam (eps_t = 1e-7 / sqrt(1 - b2^t)) equals the book to rounding; plain torch Adam with
    a constant eps = 1e-7 does not: on the trajectory's W1 (gradient elements down to 1e-9) the
    accumulated step after 5 steps is up to 70 times the book's (measured)."""
    skip_unless_available("torch")
    import torch

    from parity.backends.torch.optimizers import BookAdam
    from reference.optimizer import Adam

    params, grads = problem()
    w0, gs = params["W1"], [g["W1"] for g in grads[:5]]
    ref = {"W": w0.copy()}
    book = Adam()
    results = {}
    for label, make in (("book", lambda p: BookAdam([p])), ("const", lambda p: torch.optim.Adam([p], eps=1e-7))):
        p = torch.tensor(w0.copy(), requires_grad=True)
        opt = make(p)
        for g in gs:
            p.grad = torch.tensor(g)
            opt.step()
        results[label] = p.detach().numpy()
    for g in gs:
        book.update(ref, {"W": g})
    step_ref = ref["W"] - w0
    rel = lambda w: np.max(np.abs((w - w0) - step_ref) / np.abs(step_ref))  # noqa: E731
    assert rel(results["book"]) < 1e-12
    assert rel(results["const"]) > 1e-3


@pytest.mark.torch
def test_torch_momentum_buffer_is_minus_v_over_lr():
    skip_unless_available("torch")
    import torch

    from parity.backends.torch.optimizers import book_state, make_optimizer

    p = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer("Momentum", [p], lr=0.5, momentum=0.9)
    for g in ([1.0, -2.0, 0.0], [1.0, 1.0, 1.0]):
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    v = 0.9 * (-0.5 * np.array([1.0, -2.0, 0.0])) - 0.5 * np.array([1.0, 1.0, 1.0])
    np.testing.assert_allclose(book_state("Momentum", opt, p)["v"], v, rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), -v / 0.5, rtol=1e-15)


@pytest.mark.parametrize("framework", ["torch", "keras"])
def test_bad_optimizer_name_or_hyper_raises_naming_it(framework):
    skip_unless_available(framework)
    from importlib import import_module

    backend = import_module(f"parity.backends.{framework}.optimizers")
    args = ([],) if framework == "torch" else ()
    with pytest.raises(ValueError, match="Adamax"):
        backend.make_optimizer("Adamax", *args)
    with pytest.raises(ValueError, match="Momentum.*beta1"):
        backend.make_optimizer("Momentum", *args, beta1=0.9)
