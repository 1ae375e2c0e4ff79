"""Compare full training runs: loss curves against the reference, and final accuracy across seeds.

Per framework against the reference run (``compare_curves``): the per-iteration |Δloss| curve,
its maximum, the first iteration where it exceeds the dtype's tolerance (the first divergent
iteration), |Δ final test accuracy|, and how the gap grows (|Δloss| at and up to 10, 100, 1000,
10000 iterations). Across seeds (``summarize_seeds``): mean ± std of the final test accuracy per
framework and a paired TOST equivalence test against the reference.

    >>> c = compare_curves(ref_run, torch_run, "float64")
    >>> c["first_divergent_iter"] is None and c["same_final_test_acc"]
    True
"""
import math

import numpy as np

# |Δloss| above which two runs count as having diverged, per dtype.
LOSS_TOLERANCE = {
    # float64: the loss is O(0.1..2) and eps is 2.2e-16. The frameworks differ only in rounding
    # (BLAS summation order, exp/log/sigmoid kernels, fused multiply-adds): measured |Δloss| stays
    # at a few ulps (<= 1e-14) over 10,000 iterations, the training map neither amplifies nor damps
    # these much. 1e-9 leaves five orders of margin for that growth, and is still below what any
    # semantic difference produces (a hyper-parameter rounded to float32, e.g. Keras' float32
    # learning-rate variable or beta in float32: relative 1e-8..1e-6 per step, |Δloss| >= 1e-9
    # within a few iterations; a changed batch: |Δloss| ~ 1e-2 at once).
    "float64": 1e-9,
    # float32: eps 1.2e-7; one step already differs by ~1e-7 relative and the gap then grows
    # along the run (not asserted: reported, with the growth at 10/100/1000/10000 iterations).
    # 1e-4 marks where float32 runs visibly part (a thousand ulps of a loss near 1).
    "float32": 1e-4,
}
GAP_CHECKPOINTS = (10, 100, 1000, 10000)

# TOST margin on final test accuracy, as a fraction: 0.5 percentage point = 50 of MNIST's 10,000
# test digits (5 of mnist-5k's 1,000). Wider than the run-to-run spread the seeds show for one cell
# (seed 002: 0.9701 and 0.9718, 0.17 pp), far narrower than the differences the seeds draw
# conclusions from (2-layer sigmoid 0.9466 vs ReLU ~0.971: 2.4 pp; 2 vs 3 layers: 0.3..0.7 pp).
EQUIVALENCE_MARGIN = 0.005
ALPHA = 0.05


def compare_curves(ref, other, dtype, tolerance=None):
    """How ``other``'s run (a runner result) departs from the reference ``ref``'s.

    Returns a JSON-able dict: tolerance, n_compared (common prefix of the loss curves),
    dloss (|Δloss| per iteration), max_abs_dloss, argmax_dloss, first_divergent_iter (first
    iteration with |Δloss| > tolerance or NaN, or where one run stopped; None if none),
    gap_at {k: |Δloss| at iteration k-1}, max_gap_upto {k: max |Δloss| over the first k},
    max_abs_dtest_acc (over the evaluations both made), final_test_acc_ref, final_test_acc,
    abs_dfinal_test_acc, same_final_test_acc, same_init (equal SHA-256), statuses,
    within_tolerance (no divergent iteration and identical final test accuracy).
    """
    tolerance = LOSS_TOLERANCE[dtype] if tolerance is None else tolerance
    a, b = np.asarray(ref["train_loss"], dtype=np.float64), np.asarray(other["train_loss"], dtype=np.float64)
    n = min(a.size, b.size)
    dloss = np.abs(a[:n] - b[:n])
    bad = ~(dloss <= tolerance)  # NaN counts as divergent
    first = int(np.argmax(bad)) if bad.any() else None
    if first is None and a.size != b.size:
        first = n  # one run stopped here, the other went on
    n_eval = min(len(ref["test_acc"]), len(other["test_acc"]))
    dacc = np.abs(np.subtract(ref["test_acc"][:n_eval], other["test_acc"][:n_eval]))
    fa, fb = ref.get("final_test_acc"), other.get("final_test_acc")
    dfinal = abs(fa - fb) if fa is not None and fb is not None else None
    return {
        "reference": ref["framework"],
        "framework": other["framework"],
        "dtype": dtype,
        "tolerance": tolerance,
        "n_compared": int(n),
        "dloss": [float(x) for x in dloss],
        "max_abs_dloss": float(np.nanmax(dloss)) if n and not np.all(np.isnan(dloss)) else None,
        "argmax_dloss": int(np.nanargmax(dloss)) if n and not np.all(np.isnan(dloss)) else None,
        "first_divergent_iter": first,
        "gap_at": {str(k): float(dloss[k - 1]) for k in GAP_CHECKPOINTS if k <= n},
        "max_gap_upto": {str(k): float(np.max(dloss[:k])) for k in GAP_CHECKPOINTS if k <= n},
        "max_abs_dtest_acc": float(dacc.max()) if n_eval else None,
        "final_test_acc_ref": fa,
        "final_test_acc": fb,
        "abs_dfinal_test_acc": dfinal,
        "same_final_test_acc": fa is not None and fa == fb,
        "same_init": ref.get("init_sha256") is not None and ref.get("init_sha256") == other.get("init_sha256"),
        "statuses": [ref["status"], other["status"]],
        "within_tolerance": first is None and fa is not None and fa == fb,
    }


def compare_all(runs, dtype, reference="numpy"):
    """{framework: compare_curves(reference run, its run)} for every framework that ran."""
    ref = runs.get(reference)
    if ref is None or ref.get("status") == "skipped":
        return {}
    return {fw: compare_curves(ref, run, dtype) for fw, run in runs.items()
            if fw != reference and run.get("status") != "skipped"}


def tost_paired(reference, other, margin=EQUIVALENCE_MARGIN, alpha=ALPHA):
    """Two one-sided paired t-tests that mean(other - reference) lies within (-margin, +margin).

    H0: mean difference <= -margin or >= +margin; equivalence is declared when both one-sided
    p-values are below ``alpha`` (equivalently, the 1 - 2*alpha confidence interval of the mean
    difference lies inside the margin). Pairs are matched by seed. When every difference is the
    same (zero spread, e.g. identical float64 runs) the test degenerates: p = 0 if that difference
    is inside the margin, else 1.
    """
    from scipy import stats

    x, y = np.asarray(reference, dtype=np.float64), np.asarray(other, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"tost_paired: need two 1-D samples of equal length, got {x.shape} and {y.shape}")
    if margin <= 0 or not 0 < alpha < 0.5:
        raise ValueError(f"tost_paired: margin must be > 0 and alpha in (0, 0.5), got {margin}, {alpha}")
    d = y - x
    n = d.size
    out = {"n": int(n), "margin": margin, "alpha": alpha, "mean_diff": float(d.mean()) if n else None,
           "sd_diff": float(d.std(ddof=1)) if n > 1 else None}
    if n < 2:
        return {**out, "p_lower": None, "p_upper": None, "p_value": None, "ci": None, "equivalent": False,
                "note": "fewer than 2 pairs: no test"}
    mean, se, df = d.mean(), d.std(ddof=1) / math.sqrt(n), n - 1
    if se == 0:
        inside = abs(mean) < margin
        p_lower = p_upper = 0.0 if inside else 1.0
        ci = [float(mean), float(mean)]
        note = "all paired differences equal: degenerate test"
    else:
        p_lower = float(stats.t.sf((mean + margin) / se, df))   # H0: mean <= -margin
        p_upper = float(stats.t.cdf((mean - margin) / se, df))  # H0: mean >= +margin
        half = float(stats.t.ppf(1 - alpha, df) * se)
        ci = [float(mean - half), float(mean + half)]
        note = ""
    p = max(p_lower, p_upper)
    return {**out, "p_lower": p_lower, "p_upper": p_upper, "p_value": p, "ci": ci,
            "equivalent": bool(p < alpha), "note": note}


def summarize_seeds(results, reference="numpy", margin=EQUIVALENCE_MARGIN, alpha=ALPHA):
    """Final test accuracy across seeds from a list of run_experiment results.

    Returns {"seeds", "final_test_acc": {fw: [per seed]}, "summary": {fw: {mean, std, n}},
    "equivalence": {fw: tost_paired(reference, fw)}, "margin", "alpha"}. Seeds where either run
    did not finish its schedule are left out of that framework's pairs (and counted).
    """
    seeds = [r["seed"] for r in results]
    frameworks = list(results[0]["frameworks"]) if results else []
    acc, finished = {}, {}
    for fw in frameworks:
        acc[fw] = [r["runs"][fw].get("final_test_acc") for r in results]
        finished[fw] = [r["runs"][fw].get("status") == "ok" for r in results]
    summary = {}
    for fw in frameworks:
        values = [v for v, ok in zip(acc[fw], finished[fw]) if ok and v is not None]
        summary[fw] = {"n": len(values), "mean": float(np.mean(values)) if values else None,
                       "std": float(np.std(values, ddof=1)) if len(values) > 1 else None}
    equivalence = {}
    if reference in frameworks:
        for fw in frameworks:
            if fw == reference:
                continue
            pairs = [(r, o) for r, o, ok_r, ok_o in zip(acc[reference], acc[fw], finished[reference], finished[fw])
                     if ok_r and ok_o]
            result = tost_paired([p[0] for p in pairs], [p[1] for p in pairs], margin, alpha)
            equivalence[fw] = {**result, "seeds_left_out": len(seeds) - len(pairs)}
    return {"seeds": seeds, "final_test_acc": acc, "summary": summary, "equivalence": equivalence,
            "margin": margin, "alpha": alpha}


# Whether a run that parts from the reference (|Δloss| over LOSS_TOLERANCE) fails, per dtype.
PARTING_FAILS = {
    # float64: the tolerance sits five orders above the rounding the frameworks show over 10,000
    # iterations; a run over it computes something else than the reference (a check that fails).
    "float64": True,
    # float32: runs part by rounding alone (``harness.forensics`` names the step and the event);
    # parting is reported, and what has to hold is the final accuracy within the equivalence margin.
    "float32": False,
}


def verdict(run, cmp=None, explanation=None, margin=EQUIVALENCE_MARGIN):
    """The status of one framework's run, in words that match its numbers.

    status: "ok" (ran its schedule and stayed within the |Δloss| tolerance of the reference),
    "parted" (ran its schedule but its |Δloss| crossed the tolerance), "diverged" (non-finite loss:
    stopped), or the runner's own "failed" / "missing" / "skipped". parted_at: the iteration where
    the runs part — the forensics' step where the first discrete event happened when there is an
    explanation, else the first iteration over the tolerance. accuracy_equivalent: |Δ final test
    accuracy| <= margin (None without both accuracies). passed: what the exit status counts —
    not diverged, failed or missing, not parted where PARTING_FAILS says so, and accuracy within the
    margin where it was compared. text: the status as the CLI, the JSON and the report show it.
    """
    status = run.get("status")
    out = {"status": status, "parted_at": None, "first_over_tolerance": None, "accuracy_equivalent": None,
           "abs_dfinal_test_acc": None, "margin": margin, "passed": status in ("ok", "skipped"), "text": status}
    if status in ("skipped", "failed", "missing"):
        out["text"] = status
        return out
    if cmp is None:  # the reference itself
        out["text"] = "diverged" if status == "diverged" else "ok (reference)"
        return out
    first = cmp.get("first_divergent_iter")
    out["first_over_tolerance"] = first
    dacc = cmp.get("abs_dfinal_test_acc")
    out["abs_dfinal_test_acc"] = dacc
    if dacc is not None:
        out["accuracy_equivalent"] = bool(dacc <= margin)
    accuracy = ("" if dacc is None else
                f"; final accuracy {'equivalent' if dacc <= margin else 'NOT equivalent'} "
                f"(Δ {dacc * 100:.2f} pp, margin ±{margin * 100:g} pp)")
    if status == "diverged":
        out.update(status="diverged", passed=False, text=f"diverged at iteration {run.get('iters_done', 0):,}")
        return out
    if first is None:
        out.update(status="ok", passed=out["accuracy_equivalent"] is not False, text="ok")
        if out["accuracy_equivalent"] is False:
            out["text"] = "ok curve" + accuracy
        return out
    parted = first
    if explanation and explanation.get("parted_at") is not None:
        parted = min(explanation["parted_at"], first)
    fails = PARTING_FAILS.get(cmp.get("dtype"), True)
    out.update(status="parted", parted_at=parted,
               passed=not fails and out["accuracy_equivalent"] is not False,
               text=f"parted at iteration {parted:,}" + (f" (|Δloss| > {cmp['tolerance']:g} from {first:,})"
                                                          if parted != first else "") + accuracy)
    return out
