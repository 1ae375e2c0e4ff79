"""The explanation record (``harness.forensics.replay``) in words: one line, and the details.

    >>> one_line(record)
    'parted at iteration 1,180: ReLU flip at Relu1 — pre-activation of batch row 95 (training
     sample 41230), unit 10: numpy -1.71e-06, keras +1.56e-07; ...'
"""

EVENT_WORDS = {"relu-flip": "ReLU flip", "saturation": "saturated value", "argmax-tie": "argmax tie broken differently"}


def one_line(record):
    """The explanation as one line (what ``harness run`` prints and the report puts by the curve)."""
    if record is None:
        return ""
    if record.get("error"):
        return f"not explained: {record['error']}"
    ref, fw = record["reference"], record["framework"]
    outcome = record["outcome"]
    if outcome == "smooth":
        return _smooth(record)
    head = f"parted at iteration {record['parted_at']:,}"
    gap = record.get("gap") or {}
    jump = f"; |ΔW| {_g(gap.get('before'))} -> {_g(gap.get('after'))}" + (f" (×{gap['jump']:.0f})" if gap.get("jump") else "")
    if outcome == "event":
        e = record["event"]
        p = e["positions"][0]
        where = _where(e, p)
        values = f"{ref} {_v(p['a'])}, {fw} {_v(p['b'])}"
        more = f" (+{e['count'] - 1} more)" if e["count"] > 1 else ""
        same = record.get("from_identical_weights") or {}
        if same.get("reproduces"):
            cause = "it reproduces from identical weights: this step's rounding alone crosses the threshold"
        else:
            cause = (f"from identical weights {fw} gives {_v(p.get('identical_weights'))}: the flip comes from the "
                     f"{_g(gap.get('before'))} the weights had drifted apart by rounding over {record['parted_at']:,} steps")
        return f"{head}: {EVENT_WORDS.get(e['type'], e['type'])} at {e['layer']} — {e['what']} of {where}: {values}{more}; {cause}{jump}"
    if outcome == "step-difference":
        over = (record.get("from_identical_weights") or {}).get("first_over_tolerance")
        if over:
            return (f"{head}: no discrete event; from identical weights and batch {fw} computes {over['name']} "
                    f"{_g(over['max_abs'])} away from {ref} (max rel {_g(over['max_rel'])}, over the {record['dtype']} "
                    f"tolerance): the frameworks compute this step differently{jump}")
        return f"{head}: the step differs, but no per-layer trace is available ({record['intermediates']})"
    if outcome == "update-difference":
        u = record["update"]
        key = max(u["per_param"], key=lambda k: u["per_param"][k]["max_rel"])
        return (f"{head}: forward and gradients agree from identical weights, the update does not: {key} moves "
                f"{_g(u['per_param'][key]['max_rel'])} (relative) differently in {fw} than in {ref}")
    return f"{head}: {outcome}"


def _smooth(record):
    g = record.get("growth")
    tol = record.get("tolerance")
    crossed = record.get("first_over_tolerance")
    rate = (f"×{g['factor']:.3g} per {g['per']:,} iterations ({_g(g['from'])} -> {_g(g['to'])})" if g
            else "no measurable rate (the losses agree bit for bit)")
    if crossed is not None:
        return (f"no discrete event in {record['iters_replayed']:,} replayed steps: |Δloss| grew smoothly, {rate}, "
                f"and crossed {tol:g} at iteration {crossed:,}")
    return f"never parted: no discrete event in {record['iters_replayed']:,} steps; |Δloss| grew smoothly, {rate}"


def _where(event, p):
    index = p["index"]
    if len(index) == 2:
        sample = f" (training sample {p['sample']:,})" if p.get("sample") is not None else ""
        return f"batch row {index[0]}{sample}, unit {index[1]}"
    return f"index {tuple(index)}"


def _v(x):
    if isinstance(x, (list, tuple)):
        return str(x)
    return "-" if x is None else f"{x:+.3g}"


def _g(x):
    return "-" if x is None else f"{x:.2g}"


def details(record):
    """The explanation with its evidence, as text: the line, the replayed steps, and at the step
    where the runs parted every intermediate compared (trajectories and identical weights) and
    each parameter's update."""
    lines = [f"{record.get('framework')} vs {record.get('reference')}: {one_line(record)}"]
    if record.get("error"):
        return lines[0]
    lines.append(f"replayed {record['iters_replayed']:,} steps in {record['seconds']:.1f} s; losses "
                 + {True: "bit-identical to the recorded runs", False: "NOT identical to the recorded runs",
                    None: "not checked (no recorded run)"}[record.get("replay_matches_recorded")])
    for r in record.get("replays", []):
        lines.append(f"  step {r['iteration']:,}: |ΔW| {_g(r['gap_before'])} -> {_g(r['gap_after'])}: {r['outcome']}")
    e = record.get("event")
    if e:
        lines.append(f"events at step {record['parted_at']:,} (trajectories): "
                     + ", ".join(f"{a['type']} at {a['layer']} ×{a['count']}" for a in e.get("all", [e])))
        for p in e["positions"]:
            lines.append(f"  {e['tensor']}{p['index']}: {record['reference']} {_v(p['a'])}, {record['framework']} "
                         f"{_v(p['b'])}, {record['framework']} from identical weights {_v(p.get('identical_weights'))}")
    inter = record.get("intermediates") or {}
    for which in ("trajectories", "identical_weights"):
        rows = inter.get(which)
        if not rows:
            continue
        lines.append(f"intermediates at step {record['parted_at']:,}, {which.replace('_', ' ')}: name, max |Δ|, max rel, "
                     f"within the op-level tolerance")
        for c in rows:
            lines.append(f"  {c['name']:22s} {_g(c['max_abs']):>8s} {_g(c['max_rel']):>8s} "
                         f"{'yes' if c['within_tolerance'] else 'NO'}")
    u = record.get("update")
    if u:
        lines.append("update of that step (each run's own): " + ", ".join(
            f"{k} {_g(v['max_abs'])} ({_g(v['max_rel'])} rel)" for k, v in u["per_param"].items()))
    g = record.get("growth")
    if g:
        lines.append(f"|Δloss| growth over iterations {g['start']:,}-{g['stop']:,}: ×{g['factor']:.3g} per "
                     f"{g['per']:,} iterations ({_g(g['from'])} -> {_g(g['to'])})")
    return "\n".join(lines)


def shared_events(explanations, reference="numpy"):
    """A note where every framework explained parted from the reference at the same step and unit:
    then it is the reference's rounding that is on the other side of the threshold. ``explanations``:
    {framework: record}; "" when there is nothing shared."""
    keyed = {}
    for fw, e in explanations.items():
        if e and e.get("outcome") == "event":
            p = e["event"]["positions"][0]
            keyed[fw] = (e["parted_at"], e["event"]["layer"], tuple(p["index"]))
    if len(keyed) > 1 and len(set(keyed.values())) == 1:
        it, layer, index = next(iter(keyed.values()))
        return (f"{' and '.join(keyed)} part from {reference} at the same step ({it:,}) and unit ({layer} "
                f"{list(index)}): there {reference}'s rounding is the one on the other side of the threshold")
    return ""
