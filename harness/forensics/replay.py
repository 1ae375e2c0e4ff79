"""Why two training runs part: a deterministic lockstep re-run, the step where they part, and the
first discrete event of that step.

``explain_plans(reference_plan, other_plan, framework)`` re-runs the reference (NumPy) and the
other framework side by side from their plans — the same code path as the recorded runs, so the
losses come out bit-identical to them (checked against ``recorded`` when given) — and after every
step measures the parameter gap, the largest |W_ref - W_other| over all parameters. Rounding alone
moves that gap like a random walk; a step that multiplies it by ``JUMP`` or more is a candidate.
At a candidate step the step is replayed from the weights both runs held before it:

1. each run from its own weights (the trajectories): every intermediate compared and the
   discrete events between them found (``harness.forensics.events``: a ReLU pre-activation with
   opposite signs, a saturated value, an argmax tie);
2. the other framework from the reference's weights (identical weights and batch): every
   intermediate compared with the op-level tolerance of its dtype, and the events looked for again
   — an event that reproduces here comes from this step's arithmetic alone, one that does not
   comes from the drift the weights had accumulated;
3. the update: each run's change of its parameters in that step.

The first candidate with a discrete event (or, from identical weights, an intermediate over its
tolerance: the frameworks compute the step differently; or an update that differs while the
gradients agree) is where the runs parted. With none up to ``iters``, the gap grew smoothly and
``harness.forensics.growth`` measures its rate.

The result is a JSON-able record (see ``explain_plans``); ``harness.forensics.text`` words it.
"""
import time

import numpy as np

from harness.forensics.events import detect
from harness.forensics.growth import growth_rate
from harness.runners.architecture import is_conv, layer_names, layers as conv_layers
from harness.runners.record import Diverged

# A one-step rise of the parameter gap by this factor over its largest earlier value starts a
# replay of that step. Rounding drift of independent roundings grows like sqrt(steps); measured on
# two_layer_relu float32 (numpy vs keras/torch, 1,500 iterations) the largest one-step rise without
# an event was x2.5 (early steps, gap ~1e-8), the first ReLU flip raised it x23.
JUMP = 4.0
# ... and the gap must then exceed this many ulps of the largest initial weight: below that the
# runs are as close as rounding can keep them and nothing has happened worth a replay (float64 runs
# that agree to a few ulps would otherwise "jump" from 0 to 1e-17 again and again).
FLOOR_ULPS = 16
MAX_REPLAYS = 25  # candidate steps replayed before giving up on finding an event
SCHEMA = "scratch-parity/explanation/1"


def trainer_for(framework, plan, impl="reference"):
    """The framework's Trainer on ``plan`` (the reference's on the implementation under test)."""
    from harness.runners.session import runner_entry

    entry = runner_entry(framework)
    cls = entry.trainer()
    if cls is None:
        raise ValueError(f"framework {framework!r}: its runner ({entry.module}) has no Trainer, so its steps "
                         f"cannot be replayed")
    return cls(plan, impl) if entry.runs_impl else cls(plan)


def explain_plans(reference_plan, other_plan, framework, reference="numpy", recorded=None, iters=None,
                  impl="reference", tolerance=None):
    """Lockstep re-run of ``reference`` on ``reference_plan`` and ``framework`` on ``other_plan``.

    recorded: {"reference": [losses], "other": [losses]} of the runs being explained (the replay is
    checked against them); iters: replay this many steps (default the plan's); tolerance: the
    |Δloss| tolerance the run was compared with (for the text).
    Returns {"schema", "framework", "reference", "dtype", "iters_replayed", "outcome" ("event",
    "step-difference", "update-difference", "smooth"), "parted_at", "event", "from_identical_weights",
    "intermediates", "update", "gap", "growth", "replay_matches_recorded", "replays", "seconds"}.
    """
    start = time.perf_counter()
    plan = reference_plan
    iters = plan.iters if iters is None else min(iters, plan.iters)
    ref, other = trainer_for(reference, reference_plan, impl), trainer_for(framework, other_plan)
    layers = layer_names(plan.experiment.network)
    pre_ref, pre_other = ref.params(), other.params()
    gap0 = _gap(pre_ref, pre_other)
    gaps, dloss = [], []
    largest = gap0
    floor = FLOOR_ULPS * float(np.finfo(plan.dtype).eps) * max(float(np.max(np.abs(v))) for v in pre_ref.values())
    matches = True
    found, replays = None, []
    stopped = None
    for i in range(iters):
        mask = plan.batch_indices[i]
        try:
            loss_ref, loss_other = ref.step(mask), other.step(mask)
        except Diverged as exc:  # a run that went non-finite: the replay ends where it did
            stopped = f"step {i}: {exc}"
            break
        if recorded is not None:
            matches &= _same(recorded.get("reference"), i, loss_ref) and _same(recorded.get("other"), i, loss_other)
        dloss.append(abs(float(loss_ref) - float(loss_other)))
        post_ref, post_other = ref.params(), other.params()
        gap = _gap(post_ref, post_other)
        gaps.append(gap)
        if gap > JUMP * largest and gap > floor and len(replays) < MAX_REPLAYS:
            analysis = analyse_step(i, ref, other, plan, layers, (pre_ref, post_ref), (pre_other, post_other),
                                    reference, framework, largest, gap)
            replays.append({"iteration": i, "gap_before": largest, "gap_after": gap, "outcome": analysis["outcome"]})
            if analysis["outcome"] != "none":
                found = analysis
                break
        largest = max(largest, gap)
        pre_ref, pre_other = post_ref, post_other
    record = {"schema": SCHEMA, "framework": framework, "reference": reference, "dtype": plan.dtype,
              "seed": plan.seed, "experiment": plan.experiment.name, "iters_replayed": len(gaps),
              "iters_planned": iters, "initial_gap": gap0, "replays": replays,
              "replay_matches_recorded": bool(matches) if recorded is not None else None,
              "tolerance": tolerance, "stopped": stopped}
    curve = recorded_dloss(recorded, len(gaps)) or dloss
    if found is None:
        record.update(outcome="smooth", parted_at=None, event=None, from_identical_weights=None,
                      intermediates=None, update=None,
                      gap={"max": max(gaps, default=gap0), "at_end": gaps[-1] if gaps else gap0},
                      growth=growth_rate(curve))
    else:
        i = found["iteration"]
        record.update(outcome=found["outcome"], parted_at=i, event=found["event"],
                      from_identical_weights=found["identical"], intermediates=found["intermediates"],
                      update=found["update"], gap={"before": found["gap_before"], "after": found["gap_after"],
                                                   "jump": _ratio(found["gap_after"], found["gap_before"])},
                      batch_rows=found["batch_rows"], growth=growth_rate(curve, stop=i) if i >= 3 else None)
    record["seconds"] = time.perf_counter() - start
    return record


def recorded_dloss(recorded, n):
    if not recorded or not recorded.get("reference") or not recorded.get("other"):
        return None
    a, b = np.asarray(recorded["reference"], dtype=np.float64), np.asarray(recorded["other"], dtype=np.float64)
    m = min(a.size, b.size)
    return list(np.abs(a[:m] - b[:m]))


def analyse_step(i, ref, other, plan, layers, ref_states, other_states, reference, framework, gap_before, gap_after):
    """Replay step ``i`` (see the module docstring); the trainers are left at their post-step state."""
    from parity.tolerances import tolerance

    (pre_ref, post_ref), (pre_other, post_other) = ref_states, other_states
    mask = plan.batch_indices[i]
    x, t = plan.x_train[mask], plan.t_train[mask]
    try:
        ref.load_params(pre_ref)
        other.load_params(pre_other)
        trace_ref, trace_other = ref.trace(x, t), other.trace(x, t)
        other.load_params(pre_ref)
        trace_same = other.trace(x, t)
    finally:
        ref.load_params(post_ref)
        other.load_params(post_other)
    update = _update_diff(pre_ref, post_ref, pre_other, post_other)
    out = {"iteration": i, "gap_before": gap_before, "gap_after": gap_after, "update": update,
           "batch_rows": [int(r) for r in mask], "outcome": "none", "event": None, "identical": None,
           "intermediates": None}
    if trace_ref is None or trace_other is None or trace_same is None:
        missing = [name for name, tr in ((reference, trace_ref), (framework, trace_other)) if tr is None]
        out.update(outcome="step-difference" if i == 0 and gap_before == 0 else "none",
                   intermediates={"unavailable": f"no per-layer trace from {', '.join(missing)}"})
        return out
    sizes = _reductions(plan, layers)
    out["intermediates"] = {"trajectories": compare_traces(trace_ref, trace_other, plan.dtype, sizes, tolerance),
                            "identical_weights": compare_traces(trace_ref, trace_same, plan.dtype, sizes, tolerance)}
    events = detect(trace_ref, trace_other, layers)
    same_events = detect(trace_ref, trace_same, layers)
    if events:
        event = dict(events[0])
        event["all"] = [{k: e[k] for k in ("type", "layer", "count")} for e in events]
        for p in event["positions"]:
            p["sample"] = int(mask[p["index"][0]]) if event["tensor"] != "x" else None
            p["identical_weights"] = _value_at(trace_same, event["tensor"], p["index"])
        reproduces = any(e["layer"] == event["layer"] and e["type"] == event["type"] for e in same_events)
        out.update(outcome="event", event=event, identical={"events": same_events, "reproduces": reproduces})
        return out
    over = [c for c in out["intermediates"]["identical_weights"] if not c["within_tolerance"]]
    if over:
        out.update(outcome="step-difference", identical={"events": same_events, "first_over_tolerance": over[0]})
        return out
    if i == 0 and gap_before == 0 and update["max_rel"] > _update_rtol(plan.dtype):
        # identical weights and optimizer state at the first step, gradients within tolerance:
        # only the update rule itself can make the parameters differ this much
        out.update(outcome="update-difference", identical={"events": [], "first_over_tolerance": None})
    return out


def compare_traces(a, b, dtype, reductions, tolerance):
    """[{"name", "max_abs", "max_rel", "rtol", "atol", "within_tolerance"}] for every intermediate
    both traces hold, in the order of ``a`` (forward, then backward)."""
    out = []
    for name in backprop_order(a):
        va = a[name]
        if name not in b:
            continue
        va, vb = np.asarray(va, dtype=np.float64), np.asarray(b[name], dtype=np.float64)
        if va.shape != vb.shape:
            out.append({"name": name, "max_abs": None, "max_rel": None, "rtol": None, "atol": None,
                        "within_tolerance": False, "note": f"shapes {va.shape} and {vb.shape}"})
            continue
        diff = np.abs(va - vb)
        check = "grad" if name.startswith(("d", "grad ")) else "forward"
        tol = tolerance(dtype, check, reductions.get(name, 1))
        ok = bool(np.all(diff <= tol.atol + tol.rtol * np.abs(va)))
        scale = np.max(np.abs(va)) if va.size else 0.0
        out.append({"name": name, "max_abs": float(diff.max()) if diff.size else 0.0,
                    "max_rel": float(diff.max() / scale) if diff.size and scale > 0 else 0.0,
                    "rtol": tol.rtol, "atol": tol.atol, "within_tolerance": ok})
    return out


def backprop_order(names):
    """The trace's names with the parameter gradients in the order backprop computes them (last
    layer first, a batch norm's before the Affine under it), everything else as it was."""
    import re

    grads = [n for n in names if n.startswith("grad ")]

    def key(name):
        prefix, idx = re.fullmatch(r"grad (W|b|gamma|beta)(\d+)", name).groups()
        return (-int(idx), 0 if prefix in ("gamma", "beta") else 1, name)

    try:
        grads.sort(key=key)
    except AttributeError:  # a name outside the book's pattern: keep the trace's order
        pass
    return [n for n in names if not n.startswith("grad ")] + grads


def _reductions(plan, layers):
    """The length of the sum behind each intermediate (the tolerance grows with its square root):
    an Affine output sums over its inputs, a parameter gradient and batch statistics over the batch,
    a backward gradient over the next layer's width."""
    net = plan.experiment.network
    n = plan.batch_size
    if is_conv(net):
        return _conv_reductions(net, n)
    sizes = [net["input_size"], *net["hidden_size_list"], net["output_size"]]
    red = {}
    for name, kind in layers:
        idx = int("".join(ch for ch in name if ch.isdigit()))
        if kind == "affine":
            red[name] = sizes[idx - 1]
            red[f"d{name}"] = sizes[idx] if idx < len(sizes) - 1 else 1
        elif kind == "batchnorm":
            red[name] = red[f"{name}.mean"] = red[f"{name}.var"] = n
            red[f"d{name}"] = n
        else:
            red[f"d{name}"] = sizes[idx + 1] if idx + 1 < len(sizes) else 1
    for key in plan.init_params:
        red[f"grad {key}"] = n
    return red


def _update_diff(pre_ref, post_ref, pre_other, post_other):
    """{"per_param": {key: {"max_abs", "max_rel"}}, "max_abs", "max_rel"}: how the two runs' updates
    (post - pre) of this step differ, relative to the reference's largest update."""
    per = {}
    for key in pre_ref:
        du_ref = post_ref[key].astype(np.float64) - pre_ref[key]
        du_other = post_other[key].astype(np.float64) - pre_other[key]
        diff = float(np.max(np.abs(du_ref - du_other)))
        scale = float(np.max(np.abs(du_ref)))
        per[key] = {"max_abs": diff, "max_rel": diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))}
    return {"per_param": per, "max_abs": max(v["max_abs"] for v in per.values()),
            "max_rel": max(v["max_rel"] for v in per.values())}


def _update_rtol(dtype):
    """A step's update computed from identical weights, gradients and state differs by rounding of the
    gradient (GRADIENT_TOL rtol) and of the rule; ten times that is no rounding."""
    from parity.tolerances import GRADIENT_TOL

    return 10 * GRADIENT_TOL[dtype].rtol


def _gap(a, b):
    return max((float(np.max(np.abs(a[k].astype(np.float64) - b[k]))) for k in a), default=0.0)


def _ratio(after, before):
    return after / before if before > 0 else None


def _same(curve, i, value):
    return curve is None or (i < len(curve) and float(curve[i]) == float(value))


def _value_at(trace, tensor, index):
    if trace is None or tensor not in trace:
        return None
    return float(np.asarray(trace[tensor])[tuple(index)])


def _conv_reductions(net, n):
    """The same for a convolutional net: a conv output sums over C*FH*FW, its backward gradient over
    FN*FH*FW, its filter gradient over the batch and the output pixels; an Affine as above."""
    red = {}
    for spec in conv_layers(net):
        name, shape = spec["name"], spec.get("shape")
        if spec["kind"] == "conv":
            red[name] = shape[1] * shape[2] * shape[3]
            red[f"d{name}"] = shape[0] * shape[2] * shape[3]
            red[f"grad {spec['W']}"] = red[f"grad {spec['b']}"] = n * spec["out"][1] * spec["out"][2]
        elif spec["kind"] == "affine":
            red[name], red[f"d{name}"] = shape[0], shape[1]
            red[f"grad {spec['W']}"] = red[f"grad {spec['b']}"] = n
        else:
            red[f"d{name}"] = 4 if spec["kind"] == "pool" else 1  # a pool's gradient adds its window's share
    return red
