"""The comparison's own tests: curve comparison on planted curves, TOST on synthetic numbers."""
import math

import numpy as np
import pytest
from scipy import stats

from harness.compare_runs import compare_curves, summarize_seeds, tost_paired


def _run(loss, test_acc=(0.5, 0.9), framework="x", status="ok", sha="s"):
    return {"framework": framework, "train_loss": list(loss), "test_acc": list(test_acc),
            "final_test_acc": test_acc[-1] if test_acc else None, "status": status, "init_sha256": sha}


BASE = np.linspace(2.3, 0.2, 200)


@pytest.mark.parametrize("k", [0, 1, 99, 199])
def test_first_divergent_iteration_is_the_planted_one(k):
    other = BASE.copy()
    other[k:] += 2e-9  # just above float64's 1e-9
    other[:k] += 1e-12 * np.sin(np.arange(k))  # rounding-level noise before it
    cmp = compare_curves(_run(BASE), _run(other), "float64")
    assert cmp["first_divergent_iter"] == k
    assert cmp["max_abs_dloss"] == pytest.approx(2e-9, rel=1e-3)
    assert not cmp["within_tolerance"]


def test_agreeing_curves_within_tolerance():
    cmp = compare_curves(_run(BASE), _run(BASE + 1e-13), "float64")
    assert cmp["first_divergent_iter"] is None and cmp["within_tolerance"]
    assert cmp["gap_at"]["10"] == pytest.approx(1e-13, rel=1e-2) and set(cmp["gap_at"]) == {"10", "100"}


def test_nan_counts_as_divergent():
    other = BASE.copy()
    other[50] = np.nan
    cmp = compare_curves(_run(BASE), _run(other), "float64")
    assert cmp["first_divergent_iter"] == 50


def test_stopped_run_diverges_where_it_stopped():
    cmp = compare_curves(_run(BASE), _run(BASE[:30], status="diverged"), "float64")
    assert cmp["first_divergent_iter"] == 30 and cmp["n_compared"] == 30


def test_final_accuracy_difference_breaks_agreement():
    cmp = compare_curves(_run(BASE, (0.5, 0.9)), _run(BASE, (0.5, 0.9001)), "float64")
    assert cmp["first_divergent_iter"] is None
    assert cmp["abs_dfinal_test_acc"] == pytest.approx(1e-4) and not cmp["within_tolerance"]


def test_float32_tolerance_is_wider():
    cmp = compare_curves(_run(BASE), _run(BASE + 1e-6), "float32")
    assert cmp["first_divergent_iter"] is None and cmp["tolerance"] == 1e-4


# --- TOST ---------------------------------------------------------------------------------------

def test_tost_equivalent_when_differences_small():
    ref = np.array([0.970, 0.972, 0.968, 0.971, 0.969])
    other = ref + np.array([0.0005, -0.0003, 0.0002, -0.0001, 0.0004])
    t = tost_paired(ref, other, margin=0.005)
    assert t["equivalent"] and t["p_value"] < 0.05
    assert t["ci"][0] > -0.005 and t["ci"][1] < 0.005


def test_tost_not_equivalent_when_shifted_past_the_margin():
    ref = np.array([0.970, 0.972, 0.968, 0.971, 0.969])
    other = ref + 0.008 + np.array([0.001, -0.001, 0.0005, 0.0, -0.0005])
    t = tost_paired(ref, other, margin=0.005)
    assert not t["equivalent"] and t["p_upper"] > 0.5


def test_tost_not_equivalent_when_too_noisy():
    ref = np.full(5, 0.97)
    other = ref + np.array([0.02, -0.02, 0.015, -0.018, 0.001])
    assert not tost_paired(ref, other, margin=0.005)["equivalent"]


def test_tost_p_values_match_one_sided_t_tests():
    rng = np.random.default_rng(0)
    ref = 0.97 + rng.normal(0, 0.002, 8)
    other = ref + rng.normal(0.001, 0.001, 8)
    t = tost_paired(ref, other, margin=0.005)
    d = other - ref
    lower = stats.ttest_1samp(d, -0.005, alternative="greater").pvalue
    upper = stats.ttest_1samp(d, 0.005, alternative="less").pvalue
    assert t["p_lower"] == pytest.approx(lower, rel=1e-10) and t["p_upper"] == pytest.approx(upper, rel=1e-10)
    assert t["p_value"] == pytest.approx(max(lower, upper), rel=1e-10)


def test_tost_degenerate_and_bad_input():
    same = tost_paired([0.9, 0.8, 0.95], [0.9, 0.8, 0.95])
    assert same["equivalent"] and same["p_value"] == 0.0 and "degenerate" in same["note"]
    shifted = tost_paired([0.9, 0.8], [0.91, 0.81], margin=0.005)
    assert not shifted["equivalent"] and shifted["p_value"] == 1.0
    assert not tost_paired([0.9], [0.9])["equivalent"]
    with pytest.raises(ValueError, match="equal length"):
        tost_paired([0.9, 0.8], [0.9])
    with pytest.raises(ValueError, match="margin"):
        tost_paired([0.9, 0.8], [0.9, 0.8], margin=0)


def test_summarize_seeds_pairs_by_seed_and_leaves_out_diverged():
    def result(seed, accs, statuses=("ok", "ok")):
        runs = {fw: {"final_test_acc": a, "status": s} for fw, a, s in zip(("numpy", "torch"), accs, statuses)}
        return {"seed": seed, "frameworks": ["numpy", "torch"], "runs": runs}

    results = [result(0, (0.97, 0.97)), result(1, (0.96, 0.961)), result(2, (0.95, 0.95)),
               result(3, (0.97, None), ("ok", "diverged"))]
    s = summarize_seeds(results)
    assert s["summary"]["numpy"]["n"] == 4 and s["summary"]["torch"]["n"] == 3
    assert s["equivalence"]["torch"]["n"] == 3 and s["equivalence"]["torch"]["seeds_left_out"] == 1
    assert math.isclose(s["summary"]["numpy"]["mean"], np.mean([0.97, 0.96, 0.95, 0.97]))


# --- verdicts -----------------------------------------------------------------------------------

from harness.compare_runs import verdict  # noqa: E402


def _cmp(first, dacc, dtype):
    return {"first_divergent_iter": first, "abs_dfinal_test_acc": dacc, "dtype": dtype, "tolerance": 1e-4}


@pytest.mark.parametrize("first, dacc, dtype, status, passed, text", [
    (None, 0.0, "float32", "ok", True, "ok"),
    (609, 0.0006, "float32", "parted", True, "parted at iteration 609; final accuracy equivalent"),
    (609, 0.012, "float32", "parted", False, "parted at iteration 609; final accuracy NOT equivalent"),
    (0, 0.0, "float64", "parted", False, "parted at iteration 0; final accuracy equivalent"),
    (None, 0.02, "float64", "ok", False, "ok curve; final accuracy NOT equivalent"),
], ids=["float32-ok", "float32-parted-equivalent", "float32-parted-not-equivalent", "float64-parted", "float64-acc"])
def test_verdict_words_match_the_numbers(first, dacc, dtype, status, passed, text):
    v = verdict({"status": "ok"}, _cmp(first, dacc, dtype))
    assert (v["status"], v["passed"]) == (status, passed)
    assert v["text"].startswith(text)
    assert v["parted_at"] == first and v["accuracy_equivalent"] == (dacc <= 0.005)


def test_verdict_takes_the_parting_step_from_the_explanation():
    v = verdict({"status": "ok"}, _cmp(609, 0.0, "float32"), {"parted_at": 600})
    assert v["parted_at"] == 600 and v["first_over_tolerance"] == 609
    assert v["text"].startswith("parted at iteration 600 (|Δloss| > 0.0001 from 609)")


def test_verdict_of_diverged_missing_and_reference_runs():
    assert not verdict({"status": "diverged", "iters_done": 12}, _cmp(12, None, "float32"))["passed"]
    assert verdict({"status": "diverged", "iters_done": 12}, _cmp(12, None, "float32"))["text"] == "diverged at iteration 12"
    assert not verdict({"status": "missing"})["passed"] and verdict({"status": "skipped"})["passed"]
    assert verdict({"status": "ok"})["text"] == "ok (reference)"
