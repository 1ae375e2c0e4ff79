"""The seeds' anchor accuracies, reproduced by full-length runs (marked slow: minutes, not in the
default test command; run with ``pytest -m slow``). Each anchor whose data set is on this machine
(no download) runs its experiment's whole schedule in float64 in NumPy, PyTorch and Keras from the
same weights and batches; the final test accuracy must be within 0.01 of the seed's number (the
seeds report one run each, and a different initial draw moves a 2-layer net's final accuracy by
about that much: the 5-seed sweep's std is 0.009) and equal across the three frameworks."""
import pytest

from harness.experiment import experiment_names, load_experiment

MARGIN = 0.01


def _anchors():
    for name in experiment_names():
        for anchor in load_experiment(name).anchors:
            yield pytest.param(name, anchor, id=f"{name}-{anchor['dataset']}-seed{anchor['seed']}")


@pytest.mark.slow
@pytest.mark.parametrize("name, anchor", list(_anchors()))
def test_full_run_lands_on_the_seed_anchor(name, anchor):
    from harness.data import DataError, load_dataset
    from harness.runners import missing_reason, run_experiment

    try:
        data = load_dataset(anchor["dataset"], download=False, progress=False)
    except DataError as exc:
        pytest.skip(f"{anchor['dataset']} is not on this machine: {exc}")
    frameworks = ("numpy", *(fw for fw in ("torch", "keras") if missing_reason(fw) is None))
    result = run_experiment(load_experiment(name), data, frameworks, "float64", seed=0)
    accs = {fw: run["test_acc"][-1] for fw, run in result["runs"].items()}
    assert len(set(accs.values())) == 1, f"{name}: final test accuracies differ: {accs}"
    acc = accs["numpy"]
    assert anchor["low"] - MARGIN <= acc <= anchor["high"] + MARGIN, (
        f"{name} on {anchor['dataset']}: final test accuracy {acc:.4f}, seed {anchor['seed']} reported "
        f"{anchor['low']:.4f}..{anchor['high']:.4f} (margin {MARGIN})")
