"""The report as a list of neutral blocks, rendered to Markdown (``markdown.py``) and HTML (``html.py``).

A block is a tuple:
    ("h", level, text)                      heading
    ("p", text)                             paragraph (plain text)
    ("list", [text, ...])                   bullet list
    ("table", headers, rows, row_classes)   rows: lists of strings (or {"text", "href"} links, {"text", "id"}
                                            link targets); row_classes: a status per row or None
    ("img", filename, alt)                  a PNG in the report directory
    ("details", summary, [blocks])          collapsed section
    ("pre", text)                           preformatted text
    ("link", href, text)                    a paragraph that is one link (a file beside the page, an anchor)
    ("grid", columns, rows)                 the status grid: rows [(component, [(status, href) per column])]

``build(results, plots, op_only=False)``: sections 1-7 in order (op_only: headline, matrix,
coverage and environment — what ``pytest --parity-report`` writes).
"""
import json
import math

from harness.report import summary

# Status marks: symbols DejaVu Sans has (headless Chromium without emoji fonts shows them too).
MARK = {"pass": "✓ pass", "fail": "✗ FAIL", "known": "⚠ known", "error": "✗ ERROR", "missing": "○ missing",
        "skipped": "– skipped", "ok": "✓ ok", "failed": "✗ FAILED", "diverged": "✗ diverged",
        "removed": "✓ removed", "residual": "⚠ residual", "stale": "✗ STALE", "fix-failed": "✗ fix-failed",
        "residual-changed": "✗ residual-changed", "not-applicable": "– not applicable",
        "present-elsewhere": "✗ present-elsewhere", "not run": "– not run", "parted": "⚠ parted",
        "refused": "✓ refused"}
CLASS = {"ok": "pass", "removed": "pass", "residual": "known", "failed": "error", "diverged": "fail", "parted": "known",
         "stale": "fail", "fix-failed": "fail", "residual-changed": "fail", "present-elsewhere": "fail",
         "not-applicable": "skipped", "not run": "skipped", "refused": "pass"}


def css_class(status):
    return CLASS.get(status, status)


def e(x, spec=".2e"):
    """A number for a table: '-' for None/NaN."""
    if x is None:
        return "-"
    try:
        if isinstance(x, float) and math.isnan(x):
            return "-"
        return format(x, spec)
    except (TypeError, ValueError):
        return str(x)


def build(results, plots, op_only=False):
    blocks = [("h", 1, "scratch-parity report"),
              ("p", f"Generated {results.get('created', '')} by `{results.get('command', 'python -m harness report')}`"
                    f" in {e(results['durations'].get('total'), '.0f')} s. Implementation under test: "
                    f"{results['options'].get('impl', 'reference')}.")]
    blocks += grid(results)
    blocks += headline(results, op_only)
    blocks += op_matrix(results)
    blocks += coverage(results)
    if not op_only:
        blocks += catalogue(results)
        blocks += experiments(results, plots)
        blocks += seeds(results, plots)
    blocks += environment(results)
    return blocks


# --- 0 the grid -----------------------------------------------------------------------------------

def grid_cells(records):
    """(columns, rows) of the status grid: columns "framework[backend] dtype", rows (component,
    [worst status per column]) in registry order. A cell whose records are all skipped (not
    applicable, framework not run) is "skipped"; one with no record is "" (never checked there);
    a column with nothing but those is left out."""
    order = summary._kind_order()
    cells, columns = {}, []
    for r in records:
        col = f"{summary.label(r)} {r['dtype']}"
        if col not in columns:
            columns.append(col)
        key = (r["component"], col)
        old = cells.get(key)
        if old is None or summary.SEVERITY.index(r["status"]) < summary.SEVERITY.index(old):
            cells[key] = r["status"]
    columns = [c for c in columns if any(cells.get((k, c), "skipped") != "skipped" for k, _ in cells)]
    columns.sort(key=lambda c: (c.split(" ")[0] == "numerical", c))
    components = sorted({c for c, _ in cells}, key=lambda c: (order.get(c, len(order)), c))
    return columns, [(c, [cells.get((c, col), "") for col in columns]) for c in components]


def grid(results):
    """Who drifts where, at a glance: one coloured cell per component x framework[backend] x dtype
    (the worst status over its checks and cases), each linking to the component's rows below."""
    columns, rows = grid_cells(results["ops"]["records"])
    if not rows:
        return []
    linked = [(c, [(status, f"#op-{_slug(c)}") for status in statuses]) for c, statuses in rows]
    return [("h", 2, "At a glance"),
            ("p", "Each cell: the worst status of a component's checks in one framework (Keras: [backend]) and "
                  "dtype — ✓ pass, ⚠ known difference (catalogued), ✗ fail or error, ○ missing from the "
                  "implementation, – not applicable or not run (blank: not checked there). "
                  "A cell links to the component's rows in the matrix."),
            ("grid", columns, linked)]


def _slug(text):
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


# --- 1 headline -----------------------------------------------------------------------------------

def headline_blocks(results, op_only=False):
    """The headline table (also put into the README): framework, version, op-level counts, worst
    residual per dtype, and (full report) each experiment's max |Δloss| and final accuracies."""
    h = summary.headline(results)
    fws = results["frameworks"]
    rows, classes = [], []
    for fw, c in h["by_framework"].items():
        base = fw.split("[")[0]
        info = fws.get(base) or fws.get("numpy" if base == "numerical" else base, {})
        version = info.get("version") or "-"
        if base == "keras":
            backend = fw[6:-1] if "[" in fw else info.get("backend", "")
            version = f"{version} ({backend}" + (f", tensorflow {info.get('tensorflow')})" if backend == "tensorflow" else ")")
        if base == "numerical":
            version = f"numpy {version} (the implementation's own numerical gradients)"
        worst = {dt: h["worst"].get((fw, dt)) for dt in ("float64", "float32")}
        rows.append([fw, version, *(str(c.get(s, 0)) for s in ("pass", "fail", "known", "error", "missing", "skipped")),
                     *(f"{e(w['max_abs_err'])} ({w['component']} {w['check']})" if w else "-" for w in worst.values())])
        classes.append("fail" if c.get("fail") or c.get("error") else "known" if c.get("known") else "pass")
    for fw, info in fws.items():
        if not info["available"] and fw != "numpy":
            rows.append([fw, info.get("version") or "-", "-", "-", "-", "-", "-", "-", "not run: " + str(info["reason"]), "-"])
            classes.append("skipped")
    table = ("table", ["framework", "version", "pass", "fail", "known", "error", "missing", "skipped",
                       "worst passing abs err float64", "worst passing abs err float32"], rows, classes)
    out = [table]
    if not op_only and h["experiments"]:
        rows, classes = [], []
        for x in h["experiments"]:
            d = "; ".join(f"{fw} {e(v)}" for fw, v in x["max_abs_dloss"].items()) or "-"
            acc = "; ".join(f"{fw} {e(v, '.4f')}" for fw, v in x["final_test_acc"].items() if v is not None) or "-"
            iters = "-" if not x["iters"] else e(x["iters"], ",") + (
                f" of {x['full_iters']:,}" if x.get("full_iters") and x["full_iters"] != x["iters"] else "")
            anchor = "; ".join((e(a["low"], ".4f") if a["low"] == a["high"] else f"{e(a['low'], '.4f')}–{e(a['high'], '.4f')}")
                               + f" (seed {a['seed']})" for a in x["anchors"]) or "-"
            if x["anchors"] and is_cut(x):
                anchor = f"not comparable: run cut ({anchor} is for the full schedule)"
            status, cls = experiment_status(x)
            rows.append([x["name"], status, iters, d, acc, anchor, x["error"] or x.get("why") or ""])
            classes.append(cls)
        out.append(("table", ["experiment", "status", "iterations", "max |Δloss| vs numpy", "final test accuracy", "anchor on this data set", "note"],
                    rows, classes))
    return out


def seeds_line(s):
    """The seeds sweep in one sentence for the headline: per framework how many runs parted, where,
    and whether the accuracy stayed equivalent."""
    if s.get("status") != "ok" or not s.get("runs"):
        return ""
    per = {}
    for r in s["runs"]:
        for fw, run in r.items():
            if isinstance(run, dict) and run.get("verdict") and fw != "numpy":
                per.setdefault(fw, []).append(run["verdict"])
    parts = []
    for fw, vs in per.items():
        parted = [v for v in vs if v["status"] == "parted"]
        acc_ok = all(v["accuracy_equivalent"] is not False for v in vs)
        where = ", ".join(f"{v['parted_at']:,}" for v in parted)
        parts.append(f"{fw} parted in {len(parted)} of {len(vs)}" + (f" (at {where})" if parted else "")
                     + (", final accuracy equivalent in all" if acc_ok else ", final accuracy NOT equivalent in some"))
    eq = s["summary"]["equivalence"]
    verdicts = "; ".join(f"{fw} {'equivalent' if t['equivalent'] else 'not shown equivalent'}" for fw, t in eq.items())
    any_parted = any(v["status"] == "parted" for vs in per.values() for v in vs)
    return (f"Seeds sweep ({s['experiment']}, {len(s['runs'])} seeds × {s['iters']:,} iterations, {s.get('dtype')}): "
            + "; ".join(parts) + f". TOST on final accuracy: {verdicts}."
            + (" Why each run parted: section 6." if any_parted else ""))


CHANCE_FACTOR = 1.5  # a final test accuracy under 1.5 / classes has not learned: "ok" would mislead


def is_cut(x):
    """True for an experiment run on fewer iterations than its schedule (--quick, --iters, short)."""
    iters = x.get("iters") or (x.get("result") or {}).get("iters")
    return bool(x.get("full_iters") and iters and iters < x["full_iters"])


def at_chance(x):
    """True when every framework's final test accuracy is within CHANCE_FACTOR of guessing."""
    classes = (x.get("classes") or 10)
    accs = [v for v in (x.get("final_test_acc") or {}).values() if v is not None]
    return bool(accs) and all(v < CHANCE_FACTOR / classes for v in accs)


def experiment_status(x):
    """(status text, row class) of a headline experiment row from its frameworks' verdicts: "✓ ok",
    "⚠ parted: keras at 600 (accuracy equivalent)", "✗ FAILED: ..." — the same words as the CLI.
    A run whose accuracy is at chance level says "agree, not trained", never "ok"."""
    if x["status"] != "ok":
        return MARK["failed"], "error"
    if at_chance(x) and all(v["passed"] for v in (x.get("verdicts") or {}).values()):
        return "– agree; not trained (accuracy at chance" + (", run cut)" if is_cut(x) else ")"), "skipped"
    verdicts = x.get("verdicts") or {}
    failed = [f"{fw} {v['text']}" for fw, v in verdicts.items() if not v["passed"]]
    if failed:
        return "✗ FAILED: " + "; ".join(failed), "fail"
    parted = [f"{fw} {v['text']}" for fw, v in verdicts.items() if v["status"] == "parted"]
    if parted:
        return "⚠ " + "; ".join(parted), "known"
    return MARK["ok"], "pass"


def run_status(v):
    """A run's status cell: the verdict's text with its mark."""
    if v is None:
        return "-"
    mark = {"ok": "✓", "parted": "⚠" if v["passed"] else "✗", "diverged": "✗", "failed": "✗", "missing": "○",
            "skipped": "–"}.get(v["status"], "")
    return f"{mark} {v['text']}".strip() if v["passed"] or v["status"] != "parted" else f"✗ {v['text']}"


def headline(results, op_only=False):
    h = summary.headline(results)
    c = h["counts"]
    ds = results.get("dataset") or {}
    blocks = [("h", 2, "1. Headline")]
    parts = [f"Op-level checks: {sum(c.values())} records — " + ", ".join(f"{n} {s}" for s, n in c.items()) + "."]
    if not op_only:
        if ds.get("name"):
            parts.append(f"Data set: **{ds['name']}** (asked for {ds.get('requested')}): {ds.get('reason')}.")
        else:
            parts.append(f"Data set: none — {(ds.get('error') or {}).get('error')}.")
    if not op_only and results["options"].get("impl", "reference") != "reference":
        parts.append(f"The NumPy runs train **{results['options']['impl']}** (the implementation under test), not the "
                     f"shipped reference.")
    blocks.append(("p", " ".join(parts)))
    blocks += headline_blocks(results, op_only)
    if not op_only:
        line = seeds_line(results.get("seeds") or {})
        if line:
            blocks.append(("p", line))
    failed = [f"{name}: {(v or {}).get('error')}" for name, v in _failed_parts(results)]
    if failed:
        blocks.append(("p", "Parts that did not complete (the rest of the report is still valid):"))
        blocks.append(("list", failed))
    return blocks


def _failed_parts(results):
    out = []
    if results["ops"].get("error"):
        out.append(("op-level checks", results["ops"]["error"]))
    for backend, b in results["ops"].get("backends", {}).items():
        if b.get("error"):
            out.append((f"keras[{backend}] checks", b["error"]))
    if results.get("catalogue", {}).get("error"):
        out.append(("catalogue", results["catalogue"]["error"]))
    for x in results.get("experiments", []):
        if x["status"] != "ok":
            out.append((f"experiment {x['name']}", x["error"]))
        else:
            for fw, run in x["result"]["runs"].items():
                if run.get("status") not in ("ok",):
                    out.append((f"experiment {x['name']} / {fw}", {"error": f"{run.get('status')}: {run.get('message')}"}))
    s = results.get("seeds")
    if s and s["status"] == "failed":
        out.append(("seeds sweep", s["error"]))
    return out


# --- 2 matrix -------------------------------------------------------------------------------------

def op_matrix(results):
    rows = summary.matrix(results["ops"]["records"])
    blocks = [("h", 2, "2. Op-level parity matrix"),
              ("p", "One row per component × framework (Keras: [backend]) × dtype × check, over the row's input "
                    "cases: the largest absolute and relative errors seen against the tolerance (rtol/atol; "
                    "scaled by the reduction length K, see parity/tolerances.py). Worst status first. "
                    "\"known\": a difference listed in the registry row with its reason and measured residual. "
                    "float32 rows also give the framework's error against the float64 reference.")]
    if results["ops"].get("error"):
        blocks.append(("p", f"The op-level checks failed: {results['ops']['error']['error']}"))
    table_rows = [[r["component"], r["kind"], r["framework"], r["dtype"], r["check"], MARK.get(r["status"], r["status"]),
                   str(r["cases"]), e(r["max_abs_err"]), e(r["max_rel_err"]), f"{e(r['rtol'])}/{e(r['atol'])}",
                   e(r["err_vs_float64"]), r["message"]] for r in rows]
    headers = ["component", "kind", "framework", "dtype", "check", "status", "cases", "max abs err", "max rel err",
               "rtol/atol", "err vs float64", "detail (worst case)"]
    classes = [css_class(r["status"]) for r in rows]
    failing = [i for i, r in enumerate(rows) if r["status"] not in ("pass", "known")]
    passing = [i for i, r in enumerate(rows) if r["status"] == "pass"]
    if failing:
        blocks.append(("table", headers, [table_rows[i] for i in failing], [classes[i] for i in failing]))
    elif not any(r["status"] == "known" for r in rows):
        blocks.append(("p", "Every checked cell passes."))
    blocks += known_once(rows, results.get("catalogue", {}).get("rows", []))
    for component in dict.fromkeys(r["component"] for r in rows):  # the grid's links land here
        blocks.append(("link", f"op-{_slug(component)}", ""))
    if passing:  # every row, with its errors and tolerances, is in the CSV beside the page (the grid shows them)
        blocks.append(("link", "op_matrix.csv.gz", f"{len(passing)} passing rows, and every other: op_matrix.csv.gz"))
    return blocks


def known_once(rows, catalogue_rows):
    """The matrix rows whose status is "known", one table row per difference (component, framework,
    reason) with the cells it covers and a link to its catalogue row, instead of once per record."""
    groups = {}
    for r in rows:
        if r["status"] != "known":
            continue
        reason = _known_reason(r)
        key = (r["component"], r["framework"], reason)
        groups.setdefault(key, []).append(r)
    if not groups:
        return []
    out_rows = []
    for (component, fw, reason), rs in groups.items():
        entry = next((c for c in catalogue_rows if c["id"] == rs[0].get("known_id")
                      and fw == (c.get("label") or c["framework"])), None)
        where = ", ".join(f"{r['dtype']} {r['check']}" for r in rs)
        worst = max(rs, key=lambda r: r["max_abs_err"] if r["max_abs_err"] == r["max_abs_err"] else -1)
        out_rows.append([component, fw, MARK["known"], where, e(worst["max_abs_err"]), reason,
                         {"text": f"catalogue: {entry['id']}", "href": f"#{catalogue_anchor(entry)}"} if entry else "-"])
    return [("p", f"Known differences ({sum(len(v) for v in groups.values())} matrix rows), once each; the "
                  "catalogue (section 4) measures each one as it comes and as configured:"),
            ("table", ["component", "framework", "status", "checks", "max abs err", "reason", "catalogue row"],
             out_rows, ["known"] * len(out_rows))]


def _known_reason(row):
    """The registry's reason for a known matrix row (``Component.known_reason``), or its message."""
    from parity.registry import get

    try:
        reason = get(row["component"]).known_reason(row["framework"], row["dtype"], row["check"])
    except (KeyError, ValueError):
        reason = None
    return reason or row["message"]


# --- 3 coverage -----------------------------------------------------------------------------------

def coverage(results):
    fws = results["options"].get("op_frameworks", [])
    cov = summary.coverage(results["ops"]["records"], fws, results["ops"].get("no_runner", []))
    labels = cov["labels"]
    rows, classes, gaps = [], [], []
    for row in cov["rows"]:
        cells = []
        for fw in labels:
            p = row["per_framework"][fw]
            cell = f"{p['cases']} case{'s' if p['cases'] != 1 else ''}" if p["cases"] else "—"
            if p["missing_checks"]:
                cell += f" (not: {', '.join(p['missing_checks'])})"
            cells.append(cell)
        rows.append([row["component"], row["kind"], ", ".join(row["checks"]), *cells])
        classes.append("skipped" if not any(row["per_framework"][fw]["cases"] for fw in labels) else "pass")
        for gap in row["gaps"]:
            gaps.append(f"{row['component']} ({row['kind']}): {gap}" + (f" — {row['note']}" if row["note"] else ""))
        for fw in labels:
            for reason, n in row["per_framework"][fw]["skipped"].items():
                if fw == "numerical" and "gradients only" in reason:
                    continue  # the numerical framework checks gradients by design
                gaps.append(f"{row['component']} / {fw}: {n} check(s) skipped — {reason}")
    blocks = [("h", 2, "3. Coverage"),
              ("p", "Cases checked per framework for every registry row (the book API's components); "
                    "\"numerical\" is the implementation's own central-difference gradient (layers only)."),
              ("table", ["component", "kind", "checks", *labels], rows, classes)]
    blocks.append(("p", "Not covered (by name, with the row's note):"))
    blocks.append(("list", gaps or ["nothing: every row is checked by every framework asked"]))
    if cov["unregistered"]:
        blocks.append(("p", "Public names of the reference's layers, functions, optimizer and gradient modules that no "
                            "registry row checks: " + ", ".join(cov["unregistered"]) + "."))
    return blocks


# --- 4 catalogue ----------------------------------------------------------------------------------

def catalogue(results):
    cat = results.get("catalogue", {})
    blocks = [("h", 2, "4. Known differences (catalogue, measured)"),
              ("p", "Each row: what the framework does as it comes, what the book does, the size of the difference "
                    "as it comes (\"default\") and after the book configuration (\"configured\"), and whether "
                    "the configuration removes it or leaves the declared residual; one table, "
                    "parity/catalogue/table.py, measured with the components' own runners.")]
    if cat.get("error"):
        blocks.append(("p", f"The catalogue could not be measured: {cat['error']['error']}"))
    rows, classes = [], []
    for r in sorted(cat.get("rows", []), key=lambda r: (_cat_rank(r["status"]), r["component"], r["id"], r["framework"])):
        fw = r.get("label") or r["framework"]
        rows.append([{"text": r["id"], "id": catalogue_anchor(r)}, r["component"], fw, MARK.get(r["status"], r["status"]),
                     r["default"], r["book"],
                     r["detail"] if r["status"] == "skipped" else f"{e(r['default_residual'])} {r.get('unit', '')}".strip(),
                     e(r["configured_residual"]),
                     _band(r.get("expected_residual")), r["fix"], r.get("depends", ""), r.get("source", "")])
        classes.append(css_class(r["status"]))
    blocks.append(("table", ["id", "component", "framework", "status", "as it comes", "book", "default residual",
                             "configured residual", "expected residual", "fix", "magnitude depends on", "source"], rows, classes))
    return blocks


def catalogue_anchor(row):
    """The page anchor of a catalogue row (its id and framework[backend] label)."""
    return "cat-" + _slug(f"{row['id']}-{row.get('label') or row['framework']}")


def _cat_rank(status):
    order = ("stale", "fix-failed", "residual-changed", "present-elsewhere", "error", "residual", "removed", "refused",
             "not-applicable", "skipped")
    return order.index(status) if status in order else 0


def _band(band):
    if not band:
        return "removed (none)"
    return f"[{e(band[0])}, {e(band[1])}]"


# --- 5 experiments --------------------------------------------------------------------------------

def experiments(results, plots):
    from harness.compare_runs import LOSS_TOLERANCE

    ds = (results.get("dataset") or {}).get("name")
    blocks = [("h", 2, "5. Experiments"),
              ("p", f"Full training runs from one shared plan (same initial weights and minibatches in every "
                    f"framework), dtype {results['options'].get('dtype')}, seed 0, on {ds}. |Δloss| is compared "
                    f"per iteration with the tolerance {LOSS_TOLERANCE.get(results['options'].get('dtype'))}; the "
                    f"anchors are the seeds' published final test accuracies, each on the data set it was measured on.")]
    for x in results.get("experiments", []):
        blocks.append(("h", 3, f"5.{len([b for b in blocks if b[0] == 'h' and b[1] == 3]) + 1} {x['name']}"))
        res = x.get("result")
        if x["status"] != "ok":
            blocks.append(("p", f"✗ This experiment failed: {(x.get('error') or {}).get('error')}"))
            if (x.get("error") or {}).get("traceback"):
                blocks.append(("details", "traceback", [("pre", x["error"]["traceback"])]))
            continue
        exp = res["experiment"]
        blocks.append(("p", f"{exp['description']} — seed {exp['seed_id']}. Run: {x['iters_note']}, batch "
                            f"{res['batch_size']}, {len(res['runs'].get('numpy', {}).get('eval_iters', []) or [])} "
                            f"evaluations. Initial weights sha256 {res['init_sha256'][:12]}."
                            + (" " + " ".join(res.get("schedule_notes", [])) if res.get("schedule_notes") else "")))
        if plots.get(x["name"]):
            blocks.append(("img", plots[x["name"]], f"{x['name']}: loss curves, |Δloss|, accuracy, time per iteration"))
        blocks.append(("link", f"loss_{x['name']}.csv.gz",
                       f"every iteration's loss (numpy) and each framework's difference to it: loss_{x['name']}.csv.gz"))
        blocks += explanations(res)
        rows, classes = [], []
        cut = is_cut(x)
        untrained = at_chance({"classes": exp["network"].get("output_size"),
                               "final_test_acc": {fw: r.get("final_test_acc") for fw, r in res["runs"].items()}})
        ref_tpi = (res["runs"].get("numpy") or {}).get("time_per_iter_s")
        for fw in res["frameworks"]:
            run, cmp = res["runs"][fw], res["comparison"].get(fw, {})
            tpi = run.get("time_per_iter_s")
            spread = (f" ({e(run['time_per_iter_p10_s'] * 1e3, '.3f')}–{e(run['time_per_iter_p90_s'] * 1e3, '.3f')})"
                      if run.get("time_per_iter_p10_s") is not None else "")
            first = cmp.get("first_divergent_iter")
            v = (res.get("verdict") or {}).get(fw)
            status = run_status(v) if v else MARK.get(run.get("status"), run.get("status"))
            if untrained and v and v["passed"]:
                status = "– agrees; not trained (accuracy at chance)"
            rows.append([fw, run.get("backend") or "", status,
                         e(run.get("final_train_acc"), ".4f"), e(run.get("final_test_acc"), ".4f"),
                         e(cmp.get("max_abs_dloss")) if cmp else ("reference" if fw == "numpy" else "-"),
                         ("none" if first is None else e(first, ",")) if cmp else "-",
                         e(tpi * 1e3 if tpi else None, ".3f") + spread,
                         e(tpi / ref_tpi if tpi and ref_tpi else None, ".2f"),
                         _first_step(run),
                         e(run.get("wall_s"), ".1f"), run.get("message") or ""])
            classes.append("pass" if v and v["passed"] and v["status"] == "ok" else "known" if v and v["passed"]
                           else css_class(run.get("status")) if run.get("status") not in ("ok",) else "fail")
        blocks.append(("table", ["framework", "backend", "status", "final train acc", "final test acc", "max |Δloss|",
                                 "first iteration > tol", "ms / iteration, median (p10–p90)", "× numpy",
                                 "first step ms", "wall s", "message"], rows, classes))
        blocks.append(("p", "Time per iteration: the median training step after the warm-up (the first 10% of the "
                            "steps, at most 20, are left out), evaluations excluded; p10–p90 is the spread. The "
                            "first step (where a compiled framework traces and compiles) is shown beside it."
                            + (f" This run was cut ({x['iters_note']}): its accuracies are those of a short run, "
                               f"not comparable with the anchors or a full run." if cut else "")))
        anchors = res["experiment"]["anchors"]
        if anchors:
            arows = []
            for a in anchors:
                acc = e(a["low"], ".4f") if a["low"] == a["high"] else f"{e(a['low'], '.4f')}–{e(a['high'], '.4f')}"
                here = a["dataset"] == ds
                ours = (res["runs"].get("numpy") or {}).get("final_test_acc")
                mine = "not comparable: run cut" if here and cut else e(ours, ".4f") if here else "-"
                arows.append([f"seed {a['seed']}", a["dataset"] + (" (this data set)" if here else " (not this data set)"),
                              acc, mine, a["note"]])
            blocks.append(("table", ["anchor", "measured on", "anchor test accuracy", "numpy here", "note"], arows, None))
            if not any(a["dataset"] == ds for a in anchors):
                blocks.append(("p", f"No anchor was measured on {ds}: the anchors above are for comparison with runs "
                                    f"on their own data set only."))
    return blocks


# --- 6 seeds --------------------------------------------------------------------------------------

def seeds(results, plots):
    s = results.get("seeds") or {}
    blocks = [("h", 2, "6. Seeds sweep")]
    if s.get("status") != "ok":
        blocks.append(("p", f"Not available: {(s.get('error') or {}).get('error')}"))
        return blocks
    sm = s["summary"]
    blocks.append(("p", f"{s['experiment']}, {len(s['seeds'])} seeds ({', '.join(map(str, s['seeds']))}), "
                        f"{s['iters']:,} of {s.get('full_iters', s['iters']):,} iterations each, {s.get('dtype', 'float64')}; each seed draws its "
                        f"own initial weights and minibatches, shared by the frameworks. Equivalence: paired TOST on "
                        f"the final test accuracy against numpy, margin ±{sm['margin'] * 100:g} pp, alpha {sm['alpha']}."))
    if plots.get("seeds"):
        blocks.append(("img", plots["seeds"], "final test accuracy per seed and framework"))
    rows, classes = [], []
    for fw, st in sm["summary"].items():
        t = sm["equivalence"].get(fw)
        verdict = "reference" if t is None else ("equivalent" if t["equivalent"] else "not shown equivalent")
        rows.append([fw, str(st["n"]), e(st["mean"], ".4f"), e(st["std"], ".4f"),
                     "-" if t is None else e(t["mean_diff"], "+.4f"), "-" if t is None else e(t["p_value"], ".3g"),
                     verdict + (f" ({t['note']})" if t and t.get("note") else "")])
        classes.append("pass" if t is None or t["equivalent"] else "fail")
    blocks.append(("table", ["framework", "seeds", "mean final test acc", "std", "mean Δ vs numpy", "TOST p", "verdict"],
                   rows, classes))
    rows, classes = [], []
    for r in s.get("runs", []):
        for fw, run in r.items():
            if not isinstance(run, dict) or fw == "numpy" or not run.get("verdict"):
                continue
            v = run["verdict"]
            why = run.get("explanation") or {}
            rows.append([str(r["seed"]), fw, run_status(v), e(run.get("max_abs_dloss")), e(run.get("final_test_acc"), ".4f"),
                         v.get("explanation") or ("-" if v["status"] == "ok" else why.get("error", "-"))])
            classes.append("pass" if v["status"] == "ok" else "known" if v["passed"] else "fail")
    from harness.forensics.text import shared_events

    notes = []
    for r in s.get("runs", []):
        note = shared_events({fw: run.get("explanation") for fw, run in r.items()
                              if isinstance(run, dict) and fw != "numpy"})
        if note:
            notes.append(f"seed {r['seed']}: {note}")
    if rows:
        blocks.append(("p", f"Each {s.get('dtype', 'float64')} run against numpy: whether and where it parted (|Δloss| over "
                            f"the tolerance), whether the final accuracy is still equivalent, and why it parted — the "
                            f"step replayed from both runs' weights and from identical weights "
                            f"(`python -m harness explain` shows every intermediate)."))
        blocks.append(("table", ["seed", "framework", "status", "max |Δloss|", "final test acc", "why"], rows, classes))
    if notes:
        blocks.append(("list", notes))
    return blocks


def explanations(res):
    """One paragraph per explained run of an experiment: the forensics' line, next to its curve."""
    blocks = []
    for fw, v in (res.get("verdict") or {}).items():
        if v.get("explanation"):
            blocks.append(("p", f"**{fw}**: {v['text']}. Why: {v['explanation']}."))
    return blocks


# --- 7 environment --------------------------------------------------------------------------------

def _framework_line(d):
    """One plug-in's environment line: its versions, then what it runs on (``Plugin.describe``)."""
    if d.get("missing"):
        return d["missing"]
    versions = [str(d.get("version"))] + [f"{k[:-8]} {v}" for k, v in d.items() if k.endswith("_version") and v]
    rest = [f"{k} {v}" for k, v in d.items() if k not in ("label", "missing", "version") and not k.endswith("_version")]
    return f"{d.get('label')}: {', '.join(versions)}" + (f" — {', '.join(rest)}" if rest else "")


def environment(results):
    env = results.get("environment") or {}
    blocks = [("h", 2, "7. Environment")]
    if env.get("error"):
        blocks.append(("p", f"Not available: {env['error']['error']}"))
        return blocks
    fw = env.get("frameworks", {})
    blas = env.get("blas", {}).get("blas", {})
    pools = "; ".join(f"{p.get('internal_api') or p.get('user_api')} {p.get('version') or ''} "
                      f"{p.get('num_threads')} threads" for p in env.get("threadpools", []) if "num_threads" in p)
    ds = results.get("dataset") or {}
    records = results["ops"]["records"]
    op_seeds = sorted({r["seed"] for r in records})
    rows = [
        ["Python", f"{env.get('python')} ({env.get('python_executable')})"],
        ["platform", env.get("platform", "")],
        ["CPU", f"{env.get('cpu')} ({env.get('cpu_count')} logical CPUs)"],
        ["NumPy", env.get("numpy", "")],
        ["BLAS", f"{blas.get('name', '?')} {blas.get('version', '')} {blas.get('openblas configuration', '')}".strip()],
        ["native thread pools", pools or "-"],
        *[[name, _framework_line(d)] for name, d in fw.items()],
        ["numerics", json.dumps(env.get("numerics", {}), sort_keys=True)],
        ["seeds", f"op-level case seed(s) {', '.join(map(str, op_seeds)) or '-'}; experiments seed 0; sweep seeds "
                  f"{', '.join(map(str, (results.get('seeds') or {}).get('seeds', []))) or '-'}"],
        ["git commit", f"{env.get('git_commit')}" + (" (with uncommitted changes)" if env.get("git_dirty") else "")],
    ]
    if ds.get("files"):
        rows.append(["data set", f"{ds.get('name')} from {ds.get('source')} ({ds.get('layout')})"])
        rows += [[f"sha256 {path.rsplit('/', 1)[-1]}", f"{digest} ({path})"] for path, digest in ds["files"].items()]
    durations = results.get("durations", {})
    rows.append(["durations", "; ".join(f"{k} {v:.1f} s" for k, v in durations.items())])
    blocks.append(("table", ["", ""], rows, None))
    return blocks


def _first_step(run):
    """The first step's time in ms (a compiled framework's tracing and compile happen there)."""
    first = run.get("first_iter_s")
    return "-" if first is None else f"{first * 1e3:,.1f}"