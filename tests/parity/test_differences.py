"""The table of known differences (``parity.catalogue``): every row is really there as the
framework comes and gone (or down to its declared residual) with the book configuration, both
measured by the component's own runner; a row that no longer differs is reported stale; a book
configuration that stops working, or a residual that moves, is reported. Ids ``bn-epsilon-torch``.
"""
from dataclasses import replace
import warnings

import pytest

from parity.catalogue import derive, measure, table
from parity.registry import get
from tests.parity.conftest import FRAMEWORK_MARKS

GOOD = ("removed", "residual", "refused", "not-applicable")


def _params():
    return [pytest.param(row, fw, id=row.key(fw), marks=[FRAMEWORK_MARKS[fw]] if fw in FRAMEWORK_MARKS else [])
            for row, fw in measure.entries()]


def _skip_if_missing(framework):
    reason = measure.missing_reason(framework)
    if reason:
        pytest.skip(reason)


@pytest.mark.filterwarnings("ignore:scatter inputs have incompatible types:FutureWarning")  # flax float32 stats
@pytest.mark.parametrize("row, framework", _params())
def test_row_is_present_as_it_comes_and_removed_by_the_book_config(row, framework):
    _skip_if_missing(framework)
    out = measure.evaluate(row, framework)
    assert out["status"] in GOOD, (
        f"{row.key(framework)} on {out['label']}: {out['status']}; as it comes ({row.default}) "
        f"{out['default_residual']:.3g}, with the book configuration ({row.how}) {out['configured_residual']:.3g} "
        f"{out['unit']}, declared residual {out['expected_residual']}. {out['detail']}")
    if out["status"] == "residual":
        lo, hi = out["expected_residual"]
        assert lo <= out["configured_residual"] <= hi


def test_table_is_well_formed():
    assert table.check_table()
    keys = [row.key(fw) for row, fw in measure.entries()]
    assert len(keys) == len(set(keys))
    components = {row.component for row in table.ROWS}
    for name in components:
        get(name)  # every row names a registry component
    for v, row, explains in derive.variants():
        assert set(v.frameworks) <= set(row.frameworks) | {"book"}, v.key
        for name in explains:
            get(name)


@pytest.mark.parametrize("bad, match", [
    (dict(id="bn-epsilon"), "appears twice"),
    (dict(as_is={"tensorflow": {}}), "not among"),
    (dict(trigger="sometimes"), "trigger"),
    (dict(source=""), "required"),
], ids=["duplicate-id", "config-for-unnamed-framework", "unknown-trigger", "no-source"])
def test_malformed_rows_are_named(bad, match):
    row = replace(table.ROWS[1], **bad)
    with pytest.raises(ValueError, match=match):
        table.check_table((table.ROWS[0], row))


def test_bad_configuration_name_is_refused():
    with pytest.raises(ValueError, match="must be 'as_is' or 'book'"):
        table.ROWS[0].config("torch", "default")


def _row(id):
    return next(r for r in table.ROWS if r.id == id)


@pytest.mark.keras
def test_row_that_no_longer_differs_is_stale():
    """Planted: a claim that Keras SGD's default learning rate differs from the book's. It does not
    (0.01), so audit() reports the row stale and warns."""
    _skip_if_missing("keras")
    fake = replace(_row("sgd-lr"), id="keras-sgd-lr", frameworks=("keras",), reason="planted: not a difference",
                   as_is={"keras": {"keras_kwargs": {"learning_rate": None}}})
    with pytest.warns(measure.StaleDifferenceWarning, match="keras-sgd-lr-keras is STALE"):
        bad = measure.audit(table=(fake,))
    assert [(r["id"], r["status"]) for r in bad] == [("keras-sgd-lr", "stale")]
    assert bad[0]["default_residual"] < 1e-12


@pytest.mark.torch
def test_torch_default_momentum_is_not_a_difference():
    """torch's default BN momentum 0.1 looks unlike the book's 0.9 but means the same: a row claiming
    it differs is stale (only the literal 0.9 differs, which the table records)."""
    _skip_if_missing("torch")
    fake = replace(_row("bn-momentum-convention"), id="bn-momentum-default", as_is={"torch": {"momentum": 0.1}})
    with pytest.warns(measure.StaleDifferenceWarning):
        bad = measure.audit(table=(fake,))
    assert [r["status"] for r in bad] == ["stale"]


@pytest.mark.torch
def test_book_configuration_that_does_not_remove_it_is_caught():
    """Planted: a 'book configuration' that is the default itself leaves the difference -> fix-failed."""
    _skip_if_missing("torch")
    broken = replace(_row("bn-epsilon"), fix={"torch": {"eps": 1e-5}})
    bad = measure.audit(frameworks=("torch",), table=(broken,))
    assert [r["status"] for r in bad] == ["fix-failed"]


@pytest.mark.torch
def test_residual_that_moves_is_reported():
    _skip_if_missing("torch")
    moved = replace(_row("relu-grad-at-zero"), residual={"torch": (0.0, 0.5)})
    assert measure.evaluate(moved, "torch")["status"] == "residual-changed"


@pytest.mark.torch
def test_refusal_is_recognized_only_with_the_named_error():
    """padding='same' at stride 2: torch raises (status "refused"); a row expecting another message
    gets "error", so a changed refusal is not taken for the expected one."""
    _skip_if_missing("torch")
    row = _row("padding-same-stride2")
    assert measure.evaluate(row, "torch")["status"] == "refused"
    other = replace(row, refuses={"torch": "some other message"})
    assert measure.evaluate(other, "torch")["status"] == "error"


@pytest.mark.torch
def test_measure_all_rows_for_the_report():
    _skip_if_missing("torch")
    rows = measure.measure_all(frameworks=("torch",), ids=("sgd-lr", "dropout-scaling"))
    assert [(r["id"], r["framework"]) for r in rows] == [("dropout-scaling", "torch"), ("sgd-lr", "torch")]
    for r in rows:
        assert {"id", "component", "framework", "backend", "default", "book", "reason", "fix", "source", "depends",
                "default_residual", "configured_residual", "unit", "expected_residual", "status", "detail"} <= set(r)
        assert r["status"] == "removed"


def test_missing_framework_is_skipped_not_failed(monkeypatch):
    monkeypatch.setattr(measure, "missing_reason", lambda framework: f"{framework} is not installed")
    out = measure.evaluate(table.ROWS[0], "torch")
    assert out["status"] == "skipped" and "not installed" in out["detail"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measure.audit(table=(table.ROWS[0],)) == []


# --- what the engine derives from the table ----------------------------------------------------------

def test_registry_known_differences_come_from_the_table():
    """Every registry known difference is a table row's residual, and every residual the builders'
    own configuration leaves is a registry known difference."""
    from parity.registry import COMPONENTS

    for reg in COMPONENTS:
        if reg.kind == "layout":  # the layout matrix's refusals and shapes: parity.layouts (linked rows below)
            continue
        derived = {k: v for k, v in derive.known_for(reg.name).items() if k[2] in reg.checks}
        assert reg.known == derived, reg.name
    assert ("keras[torch]", "float64", "dW") in get("Affine").known
    assert ("keras[tensorflow]", "float32", "params") in get("AdaGrad").known
    assert not get("Adam-weight-decay").known  # the keras driver couples the decay as the book does


def test_layout_known_differences_link_to_rows_that_exist():
    """A layout row's known difference names a table row only where the table measures it, and that
    row exists (the refusals have none)."""
    from parity.registry import COMPONENTS

    ids = {row.id for row in table.ROWS}
    linked = {k.catalogue_id for reg in COMPONENTS if reg.kind == "layout" for k in reg.known.values()}
    assert {"padding-same-stride2", "pooling-pad-value"} <= linked
    assert linked - {""} <= ids


def test_a_residual_under_a_non_default_fix_is_not_a_registry_known_difference():
    """keras-l2-factor's residual is under L2(lambda/2), a configuration the registry does not run."""
    row = _row("keras-l2-factor")
    assert row.residual and not derive.known_for("SGD-weight-decay")
    planted = replace(row, fix={})
    assert ("keras[tensorflow]", "float64", "params") in derive.known_for("SGD-weight-decay", table=(planted,))


def test_diagnosis_variants_come_from_the_table():
    from parity.verify import faults

    keys = [v.key for v, _, _ in derive.variants()]
    assert len(keys) == len(set(keys))
    assert derive.variant("bn-eps-1e-5")[1].id == "bn-epsilon"
    with pytest.raises(ValueError, match="no variant 'nope'"):
        derive.variant("nope")
    used = {f.id for f in faults.FAULTS}
    assert {"nesterov-v-first", "ce-no-delta", "adam-torch-eps"} <= used
