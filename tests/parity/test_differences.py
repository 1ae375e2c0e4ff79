"""The catalogue of known differences: every entry is really there as the framework comes, and gone
(or down to its declared residual) with the book configuration; an entry that no longer differs
is reported stale; a configuration that stops working is reported.
"""
import dataclasses
import warnings

import pytest

from parity import differences as d
from parity import differences_measure as m

FRAMEWORK_MARKS = {"torch": pytest.mark.torch, "keras": pytest.mark.keras}


def _need(framework):
    pytest.importorskip(framework, reason=f"{framework} is not installed")


def _params():
    return [pytest.param(e, id=e.key, marks=FRAMEWORK_MARKS[e.framework]) for e in d.CATALOGUE]


@pytest.mark.parametrize("entry", _params())
def test_difference_is_present_as_it_comes_and_removed_by_the_book_config(entry):
    _need(entry.framework)
    if entry.backends is not None:
        import keras

        if keras.backend.backend() not in entry.backends:
            row = d.evaluate(entry)
            assert row["status"] == "not-applicable", row
            pytest.skip(f"{entry.key} occurs on keras backends {entry.backends} only; here "
                        f"{keras.backend.backend()}: measured {row['default_residual']:.3g}, absent as expected")
    if entry.id.startswith("init-"):
        pytest.importorskip("scipy", reason="initializer entries use scipy.stats")
    row = d.evaluate(entry)
    assert row["default_residual"] > row["threshold"], (
        f"{entry.key}: as it comes ({entry.default}) the difference is only {row['default_residual']:.3g} "
        f"{row['unit']}, not above {row['threshold']:.3g}: STALE? {row['detail']}")
    if row["expected_residual"] is None:
        assert row["configured_residual"] <= row["bound"], (
            f"{entry.key}: with '{entry.fix}' {row['configured_residual']:.3g} {row['unit']} remain, "
            f"above the tolerance {row['bound']:.3g}. {row['detail']}")
        assert row["status"] == "removed"
    else:
        lo, hi = row["expected_residual"]
        assert lo <= row["configured_residual"] <= hi, (
            f"{entry.key}: declared residual [{lo:.3g}, {hi:.3g}], measured {row['configured_residual']:.3g}")
        assert row["status"] == "residual"


def test_catalogue_keys_are_unique_and_documented():
    keys = [e.key for e in d.CATALOGUE]
    assert len(keys) == len(set(keys))
    for e in d.CATALOGUE:
        assert e.framework in d.FRAMEWORKS and e.default and e.book and e.reason and e.fix
        assert e.fix_kind in ("option", "global", "adapter", "none") and e.trigger in ("default", "literal")
        assert (e.fix_kind == "none") <= (e.residual is not None)
        assert e.backends is None or e.framework == "keras"


@pytest.mark.keras
def test_entry_that_no_longer_differs_is_stale():
    """A claim that Keras SGD's default learning rate differs from the book's: it does not (0.01),
    so audit() reports the entry stale and warns."""
    _need("keras")
    fake = d.Difference("sgd-lr", "SGD", "keras", default="learning_rate=0.01", book="lr=0.01",
                        reason="planted: not a difference", fix="SGD()", fix_kind="option",
                        measure=m.measure_keras_sgd_default, threshold=1e-9)
    with pytest.warns(d.StaleDifferenceWarning, match="sgd-lr-keras is STALE"):
        bad = d.audit(catalogue=(fake,))
    assert [(r["id"], r["status"]) for r in bad] == [("sgd-lr", "stale")]
    assert bad[0]["default_residual"] < 1e-12


@pytest.mark.torch
def test_torch_default_momentum_is_not_a_difference():
    """torch's default BN momentum 0.1 looks unlike the book's 0.9 but means the same: an entry
    claiming it differs is stale (only the literal 0.9 differs, which the catalogue records)."""
    _need("torch")
    fake = d.Difference("bn-momentum-default", "BatchNormalization", "torch", default="momentum=0.1",
                        book="0.9", reason="planted", fix="-", fix_kind="option",
                        measure=lambda fw, config: m.measure_bn_momentum(fw, "book"), threshold=1e-3)
    with pytest.warns(d.StaleDifferenceWarning):
        bad = d.audit(catalogue=(fake,))
    assert [r["status"] for r in bad] == ["stale"]


@pytest.mark.torch
def test_fix_that_does_not_work_is_reported():
    """Planted: a 'book configuration' that changes nothing leaves the difference -> fix-failed."""
    _need("torch")
    real = next(e for e in d.CATALOGUE if e.key == "bn-epsilon-torch")
    broken = dataclasses.replace(real, measure=lambda fw, config: m.measure_bn_epsilon(fw, "as_is"))
    bad = d.audit(catalogue=(broken,))
    assert [r["status"] for r in bad] == ["fix-failed"]


@pytest.mark.torch
def test_residual_that_moves_is_reported():
    _need("torch")
    real = next(e for e in d.CATALOGUE if e.key == "bn-running-var-torch")
    moved = dataclasses.replace(real, residual=(0.0, 0.1))
    assert d.evaluate(moved)["status"] == "residual-changed"


@pytest.mark.torch
def test_measure_all_rows_for_the_report():
    _need("torch")
    rows = d.measure_all(frameworks=("torch",), ids=("sgd-lr", "dropout-scaling"))
    assert [(r["id"], r["framework"]) for r in rows] == [("dropout-scaling", "torch"), ("sgd-lr", "torch")]
    for r in rows:
        assert {"id", "framework", "default_residual", "configured_residual", "unit", "status"} <= set(r)
        assert r["status"] == "removed"


def test_missing_framework_is_skipped_not_failed(monkeypatch):
    monkeypatch.setattr(d, "available", lambda framework: False)
    entry = d.CATALOGUE[0]
    row = d.evaluate(entry)
    assert row["status"] == "skipped" and "not installed" in row["detail"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert d.audit(catalogue=(entry,)) == []


def test_bad_config_names_the_problem():
    with pytest.raises(ValueError, match="config must be 'as_is' or 'book'"):
        m.measure_sgd_lr("torch", "default")
