"""The report's tables, computed from the collected results (the renderers only format them).

- ``matrix(records)``: one row per component x framework label x dtype x check over its cases:
  worst status, max abs / rel error, the tolerance, failures first.
- ``coverage(records)``: per registry row, the cases checked per framework label, and what is
  not covered (no counterpart, no runner, skipped checks), by name, with the row's note.
- ``headline(results)``: frameworks and versions, data set, status counts, worst residual per
  framework label and dtype.

Generic over ``Record`` fields: a new kind of row (optimizers, ...) shows up without changes.
"""
from collections import Counter, defaultdict
from parity.backends import plugin
from parity.catalogue.measure import BAD

# Worst first: the matrix sorts by this, and a cell's status is its worst record's.
SEVERITY = ("error", "fail", "missing", "known", "pass", "skipped")


def label(record):
    """Framework label as in test ids: ``torch``, ``keras[tensorflow]``, ``numerical``."""
    return plugin.label(record["framework"], record.get("backend", ""))


def _rank(status):
    return SEVERITY.index(status) if status in SEVERITY else 0


def _kind_order():
    from parity.registry import COMPONENTS

    return {row.name: i for i, row in enumerate(COMPONENTS)}


def matrix(records):
    """Aggregated matrix rows (dicts), worst status first, then registry order."""
    order = _kind_order()
    cells = defaultdict(list)
    for r in records:
        if r["status"] == "skipped":
            continue
        cells[(r["component"], r["kind"], label(r), r["dtype"], r["check"])].append(r)
    rows = []
    for (component, kind, fw, dtype, check), recs in cells.items():
        worst = min(recs, key=lambda r: (_rank(r["status"]), -_num(r["max_abs_err"])))
        rows.append({
            "component": component, "kind": kind, "framework": fw, "dtype": dtype, "check": check,
            "status": worst["status"], "cases": len(recs),
            "statuses": dict(Counter(r["status"] for r in recs)),
            "max_abs_err": max(_num(r["max_abs_err"]) for r in recs),
            "max_rel_err": max(_num(r["max_rel_err"]) for r in recs),
            "rtol": max(_num(r["rtol"]) for r in recs), "atol": max(_num(r["atol"]) for r in recs),
            "err_vs_float64": max((_num(r.get("err_vs_float64")) for r in recs), default=float("nan")),
            "message": worst["message"] if worst["status"] != "pass" else "",
            "known_id": worst.get("known_id", ""),
        })
    rows.sort(key=lambda c: (_rank(c["status"]), order.get(c["component"], len(order)), c["component"],
                             c["framework"], c["dtype"], c["check"]))
    return rows


def _num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def counts(records):
    """{status: number of records}, in SEVERITY order."""
    c = Counter(r["status"] for r in records)
    return {s: c[s] for s in SEVERITY if c[s]}


def coverage(records, frameworks, no_runner=()):
    """Per registry row: name, kind, note, cases checked and checks per framework label, and the
    reasons where a framework does not check it. Also the book API names no row checks."""
    from parity.registry import COMPONENTS

    seen = defaultdict(lambda: defaultdict(set))      # component -> label -> {case}
    checks = defaultdict(lambda: defaultdict(set))    # component -> label -> {check}
    skipped = defaultdict(lambda: defaultdict(Counter))  # component -> label -> {reason: n}
    skipped_checks = defaultdict(lambda: defaultdict(set))
    for r in records:
        if r["status"] == "skipped":
            skipped[r["component"]][label(r)][_reason(r["message"])] += 1
            skipped_checks[r["component"]][label(r)].add(r["check"])
        else:
            seen[r["component"]][label(r)].add(r["case"])
            checks[r["component"]][label(r)].add(r["check"])
    labels = sorted({label(r) for r in records if r["status"] != "skipped"} |
                    {label(r) for r in records}, key=_label_order)
    rows = []
    for row in COMPONENTS:
        gaps = []
        if row.name in no_runner:
            gaps.append(f"no runner parity.runners.{row.kind}s yet")
        for fw in plugin.names():
            if fw in frameworks and not plugin.get(fw).missing_reason() and plugin.has(fw, row) is None:
                gaps.append(f"no {fw} counterpart")
        per = {}
        for fw in labels:
            n = len(seen[row.name][fw])
            per[fw] = {"cases": n, "checks": sorted(checks[row.name][fw]),
                       "missing_checks": sorted(set(row.checks) - checks[row.name][fw] - skipped_checks[row.name][fw])
                       if n else [],
                       "skipped": dict(skipped[row.name][fw])}
        rows.append({"component": row.name, "kind": row.kind, "reference": row.reference,
                     "dtypes": list(row.dtypes), "checks": list(row.checks), "cases": list(row.cases),
                     "note": row.note, "gaps": gaps, "per_framework": per})
    return {"labels": labels, "rows": rows, "unregistered": unregistered_api()}


def _reason(message):
    """A skip message without its test-id prefix (``Affine-numerical-float64-forward: ...``)."""
    head, sep, tail = message.partition(": ")
    return tail if sep and "-" in head and " " not in head else message


def _label_order(fw):
    order = [*plugin.names(), "numerical"]
    name = fw.split("[")[0]
    return (order.index(name) if name in order else len(order), fw)


def unregistered_api():
    """Public classes and functions of the reference's layers, functions, optimizer and gradient
    modules that no registry row checks (by ``reference`` or a ``config["grad"]`` name)."""
    import importlib
    import inspect

    from parity.registry import COMPONENTS

    used = {row.reference for row in COMPONENTS} | {row.config.get("grad") for row in COMPONENTS}
    out = []
    for module_name in ("layers", "functions", "optimizer", "gradient"):
        module = importlib.import_module(f"reference.{module_name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            if getattr(obj, "__module__", "") != module.__name__:
                continue
            if f"{module_name}.{name}" not in used:
                out.append(f"{module_name}.{name}")
    return out


def worst_residuals(records):
    """{(label, dtype): the passing record with the largest max_abs_err} for the headline: how close
    the frameworks come where they agree. Initializer rows compare distributions (statistics, not
    errors) and known differences have their own column, so neither counts here."""
    worst = {}
    for r in records:
        if r["status"] != "pass" or r["check"] == "dtype" or r["kind"] == "initializer":
            continue
        key = (label(r), r["dtype"])
        if key not in worst or _num(r["max_abs_err"]) > _num(worst[key]["max_abs_err"]):
            worst[key] = r
    return dict(sorted(worst.items(), key=lambda kv: (_label_order(kv[0][0]), kv[0][1])))


def headline(results):
    """The headline's numbers: {"frameworks": [...], "dataset", "counts", "by_framework", "worst",
    "experiments": [(name, status, max |Δloss| per framework, final test acc per framework)]}."""
    records = results["ops"]["records"]
    by_fw = defaultdict(list)
    for r in records:
        by_fw[label(r)].append(r)
    experiments = []
    for e in results["experiments"]:
        res = e.get("result") or {}
        experiments.append({
            "name": e["name"], "status": e["status"], "iters": res.get("iters"), "full_iters": e.get("full_iters"),
            "classes": ((res.get("experiment") or {}).get("network") or {}).get("output_size"),
            "max_abs_dloss": {fw: c.get("max_abs_dloss") for fw, c in res.get("comparison", {}).items()},
            "final_test_acc": {fw: run.get("final_test_acc") for fw, run in res.get("runs", {}).items()},
            "error": (e.get("error") or {}).get("error"),
            "verdicts": res.get("verdict") or {},
            "why": "; ".join(f"{fw}: {v['explanation']}" for fw, v in (res.get("verdict") or {}).items()
                             if v.get("explanation")),
            "anchors": [a for a in (res.get("experiment") or {}).get("anchors", [])
                        if a["dataset"] == (results.get("dataset") or {}).get("name")],
        })
    return {"counts": counts(records),
            "by_framework": {fw: counts(rs) for fw, rs in sorted(by_fw.items(), key=lambda kv: _label_order(kv[0]))},
            "worst": worst_residuals(records), "experiments": experiments}


# Hints for what "check" means in the op-level matrix (shown as a legend).
CHECK_LEGEND = {
    "forward": "layer/function output", "dx": "gradient w.r.t. the input", "dW": "weight gradient",
    "db": "bias gradient", "dtype": "output dtype equals input dtype", "eval_forward": "inference-mode output",
    "running_mean": "running mean after the training steps", "running_var": "running variance",
    "ks": "Kolmogorov-Smirnov statistic vs the book's distribution",
}


# Catalogue statuses that mean the catalogue no longer describes the frameworks (a failed check):
# ``parity.catalogue.measure.BAD``.
CATALOGUE_FAILURES = BAD


def failures(results):
    """Why the report does not pass, one line each (empty: it passes): failed or errored op-level
    records, catalogue entries that no longer hold, parts that did not complete, runs whose verdict
    did not pass (``harness.compare_runs.verdict``), a seeds sweep without shown equivalence."""
    out = []
    c = counts(results["ops"]["records"])
    if c.get("fail") or c.get("error"):
        out.append(f"op-level checks: {c.get('fail', 0)} fail, {c.get('error', 0)} error")
    for part in ("ops", "catalogue"):
        if (results.get(part) or {}).get("error"):
            out.append(f"{part}: {results[part]['error']['error']}")
    for backend, b in results["ops"].get("backends", {}).items():
        if b.get("error"):
            out.append(f"keras[{backend}] checks: {b['error']['error']}")
    bad = [r for r in (results.get("catalogue") or {}).get("rows", []) if r.get("status") in CATALOGUE_FAILURES]
    if bad:
        out.append("catalogue: " + ", ".join(f"{r['id']} ({r['framework']}) {r['status']}" for r in bad))
    for x in results.get("experiments", []):
        if x["status"] != "ok":
            out.append(f"experiment {x['name']}: {(x.get('error') or {}).get('error')}")
            continue
        for fw, v in x["result"].get("verdict", {}).items():
            if not v["passed"]:
                out.append(f"experiment {x['name']} / {fw}: {v['text']}")
    s = results.get("seeds") or {}
    if s.get("status") == "failed":
        out.append(f"seeds sweep: {(s.get('error') or {}).get('error')}")
    elif s.get("status") == "ok":
        for fw, t in s["summary"]["equivalence"].items():
            if not t["equivalent"]:
                out.append(f"seeds sweep: {fw} not shown equivalent to numpy (p = {t['p_value']})")
        for r in s["runs"]:
            for fw, run in r.items():
                if isinstance(run, dict) and run.get("verdict") and not run["verdict"]["passed"]:
                    out.append(f"seeds sweep seed {r['seed']} / {fw}: {run['verdict']['text']}")
    return out
