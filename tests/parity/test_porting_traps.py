"""Porting traps users hit, measured on the book's shapes (rows of ``parity.catalogue.table``):
what each magnitude depends on, checked where the table's ``depends`` says it (the rows themselves
are measured in ``test_differences.py``). Each test runs the component's runner through the
catalogue's own ``run_side``."""
from dataclasses import replace

import pytest

from parity.catalogue import measure, table


def _row(id):
    return next(r for r in table.ROWS if r.id == id)


def _value(records):
    return max(r.max_abs_err for r in records)


def _need(framework):
    reason = measure.missing_reason(framework)
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("framework", [pytest.param("keras", marks=pytest.mark.keras),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_same_padding_at_stride_2_depends_on_the_sides_parity(framework):
    """'same' pads (0, 1) on an even side (28: off by several units), (1, 1) on an odd one (27:
    the book's pad exactly): the trap only shows on even inputs."""
    _need(framework)
    row = _row("padding-same-stride2")
    even = measure.run_side(row, framework, "as_is")
    odd = measure.run_side(replace(row, cases=("conv-mnist-odd-s2p1",)), framework, "as_is")
    assert not all(r.passed for r in even) and _value(even) > 0.1
    assert all(r.passed for r in odd), [r.message for r in odd]


@pytest.mark.torch
def test_torch_refuses_same_padding_at_stride_2():
    _need("torch")
    (rec,) = measure.run_side(_row("padding-same-stride2"), "torch", "as_is")
    assert rec.status == "error" and "not supported for strided convolutions" in rec.message


@pytest.mark.keras
def test_keras_l2_of_lambda_overshoots_in_proportion_to_lambda():
    """L2(lambda) vs the book's 0.5*lambda*sum(W**2): the extra decay is lr * lambda * W per step,
    so doubling lambda doubles the difference (measured 5.28e-2 over 24 SGD steps at lambda 0.1)."""
    _need("keras")
    from parity.registry import get

    row = _row("keras-l2-factor")
    reg = get(row.component)
    doubled = replace(row, row_changes={"config": {**reg.config, "weight_decay_lambda": 2 * reg.config["weight_decay_lambda"]}})
    base, twice = (_value(measure.run_side(r, "keras", "as_is")) for r in (row, doubled))
    assert base == pytest.approx(5.28e-2, rel=0.01)
    assert 1.8 < twice / base < 2.2


@pytest.mark.keras
def test_keras_loss_class_computes_in_float32():
    """The loss CLASS casts float64 logits to floatx (float32): its gradient is off by float32
    rounding (~1e-9 on gradients of size 1e-2); with dtype='float64' (or the function) it is not."""
    _need("keras")
    row = _row("keras-loss-class-dtype")
    as_is = measure.run_side(row, "keras", "as_is")
    assert 1e-10 < _value(as_is) < 1e-7


@pytest.mark.keras
def test_from_logits_false_on_logits_is_far_off():
    _need("keras")
    assert _value(measure.run_side(_row("keras-from-logits-false"), "keras", "as_is")) > 0.1


@pytest.mark.parametrize("framework", [pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("keras", marks=pytest.mark.keras),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_decoupled_decay_differs_in_every_framework_by_the_same_amount(framework):
    """torch AdamW, Keras' weight_decay and optax.adamw are the same rule (decoupled), so each is
    the same distance from the book's coupled L2 (2.71e-2 on the trajectory, first step)."""
    _need(framework)
    (rec,) = measure.run_side(_row("adamw-decoupled"), framework, "as_is")
    assert rec.case == "step-01" and rec.max_abs_err == pytest.approx(2.71e-2, rel=0.01)


@pytest.mark.torch
def test_earlier_printings_nesterov_is_caught_and_the_corrected_one_passes():
    _need("torch")
    row = _row("nesterov-first-printing")
    as_is, book = measure.run_side(row, "torch", "as_is"), measure.run_side(row, "torch", "book")
    assert not as_is[0].passed and as_is[0].case == "step-01" and _value(as_is) > 1.0
    assert all(r.passed for r in book)


@pytest.mark.keras
def test_keras_clip_depends_on_the_true_class_probability():
    """categorical cross-entropy clips y to [1e-7, 1 - 1e-7] where the book adds 1e-7: on unsaturated
    probabilities (ce-onehot) only the 1e-7 separates them, at most 1e-7 / min(y_t) per row; on the
    saturated batch of 100 (rows with y_t = 1, y_t ~ 0) more."""
    _need("keras")
    import numpy as np

    from parity import cases

    row = _row("keras-ce-clip-dense")
    a = cases.get("ce-onehot").cast("float64")
    min_yt = float(np.min(np.sum(a["y"] * a["t"], axis=1)))
    plain = _value(measure.run_side(replace(row, cases=("ce-onehot",)), "keras", "as_is"))
    saturated = _value(measure.run_side(row, "keras", "as_is"))
    assert plain <= 1e-7 / min_yt
    assert saturated > plain
