"""The shipped planted faults: each is caught by ``check`` with its component named (and, where the
fault says so, the framework default diagnosed or the net parameter localized); the unedited copy
passes; an edit that no longer fits the reference is an error, never a silently disabled fault."""
import pytest

from parity.verify import faults as fault_table
from parity.verify.patch import Edit, PatchError, apply_edits, reference_copy, reference_sources
from parity.verify.selftest import default_frameworks, render, run_fault, selftest
from parity.verify.suite import check

FAULTS = fault_table.FAULTS


def test_the_shipped_set_spans_layers_functions_optimizers_and_the_seeds():
    from parity.registry import get
    from parity.verify.netbuild import NETS

    kinds = {}
    for f in FAULTS:
        kind = "net" if f.component in {c.name for c in NETS} else get(f.component).kind
        kinds.setdefault(kind, []).append(f.id)
    assert len(FAULTS) >= 15 and len({f.id for f in FAULTS}) == len(FAULTS)
    assert all(len(kinds[k]) >= 3 for k in ("layer", "function", "optimizer", "net")), kinds
    conv = [f for f in FAULTS if f.component in ("SimpleConvNet", "DeepConvNet")]
    assert len(conv) >= 3 and all(f.localized for f in conv)
    sources = {f.source for f in FAULTS}
    assert {"seed 000", "seed 001", "seed 004"} <= sources


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
def test_planted_fault_is_caught(fault, tmp_path):
    pytest.importorskip("torch", reason="the planted faults are checked against torch and numerical gradients")
    outcome = run_fault(fault, str(tmp_path), default_frameworks())
    assert outcome.caught, outcome.detail
    assert fault.component in outcome.failing


def test_unedited_copy_passes_every_component_the_faults_touch(tmp_path):
    pytest.importorskip("torch")
    components = sorted({f.component for f in FAULTS})
    result = check(reference_copy(tmp_path / "common"), frameworks=default_frameworks(), dtypes=("float64",),
                   components=components)
    assert result.ok, {s.component: s.message for s in result.failing}
    assert sorted(s.component for s in result.summaries) == components


def test_seed000_net_written_as_the_book_passes(tmp_path):
    """The planted seed-000 net differs from a correct one by exactly da2 -> dz2."""
    folder = reference_copy(tmp_path / "common", fault_table.seed000_net("dz2"))
    result = check(folder, frameworks=("numerical",), dtypes=("float64",), components=["ThreeLayerNet"])
    assert result.ok, result.summaries[0].message


def test_edit_that_does_not_fit_the_reference_raises():
    sources = reference_sources()
    with pytest.raises(PatchError, match="occurs 0 times"):
        apply_edits(sources, [Edit("layers.py", "this text is not in the reference", "x")])
    with pytest.raises(PatchError, match="occurs 2 times, expected 1"):
        apply_edits(sources, [Edit("layers.py", "self.db = np.sum(dout, axis=0)", "x")])
    with pytest.raises(PatchError, match="no such reference file"):
        apply_edits(sources, [Edit("nolayers.py", "a", "b")])


def test_selftest_reports_the_share():
    pytest.importorskip("torch")
    few = [fault_table.get("sse-no-half"), fault_table.get("seed004-decay-not-in-gradient")]
    result = selftest(few, frameworks=("torch", "numerical"))
    text = render(result)
    assert result.ok and result.share == 1.0
    assert "caught 2 / 2 planted faults (100%)" in text
    assert "control (unedited copy of the reference): pass" in text


def test_a_fault_that_is_not_caught_counts_against_the_share(tmp_path):
    """The judge is not a rubber stamp: a harmless edit (a comment) planted as a "fault" is missed."""
    harmless = fault_table.Fault("harmless-comment", "Relu", "test", "a comment only",
                                 (Edit("layers.py", "        self.mask = (x <= 0)\n",
                                       "        self.mask = (x <= 0)  # harmless\n"),))
    outcome = run_fault(harmless, str(tmp_path), ("numerical",))
    assert not outcome.caught and outcome.status == "pass"
