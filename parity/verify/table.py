"""The check's summary: one line per component, grouped by kind, from the Records alone.

Status of a component (first that applies):
- "timeout" / "error": a record with that status (the component's code hung, raised, its file did
  not import, or a framework counterpart could not be built for it);
- "outside": the component, or book code its module imports, is not the user's (defined outside
  the implementation's folder): nothing of it was checked;
- "FAIL": a record failed (status "fail"; also "dtype" under ``strict_dtype``);
- "pass": at least one record passed (or failed as a listed known difference, or agreed in value
  with a dtype finding, or raised on a case the book's own code cannot run: those are said in
  ``dtype_finding`` and ``limits``, shown as "pass (dtype)" / "pass (limit)");
- "skipped": every record skipped (framework missing, dtype not applicable);
- "missing": the implementation lacks the component (its records all say "missing").

The first failing check is the first in (framework, dtype, check, case) order of the run, with the
row's own check order (forward before backward), e.g. ``dW [affine-4d] vs torch float64`` or
``params [step-07] vs torch float64``; its max abs / rel error and tolerance are shown.
"""
from dataclasses import dataclass, field

KIND_ORDER = ("layer", "function", "gradient", "optimizer", "initializer", "net")
STATUS_ORDER = ("timeout", "error", "outside", "FAIL", "pass", "skipped", "missing")
FAILING = ("timeout", "error", "outside", "FAIL")


@dataclass
class Summary:
    component: str
    kind: str
    status: str
    first: str = ""           # the first failing check, described
    max_abs_err: float = float("nan")
    max_rel_err: float = float("nan")
    tol: str = ""
    message: str = ""         # the first failing record's message (or the reason for skipped/missing)
    diagnosis: str = ""       # semantics / localization
    provenance: str = ""      # where the component is defined ("layers.py:88")
    dtype_finding: str = ""   # values agree, dtypes do not: who returns what, and in which checks
    limits: str = ""          # cases the book's own code cannot run either, and why
    notes: list = field(default_factory=list)   # how it was checked, where that is not obvious
    n_pass: int = 0
    n_known: int = 0
    n_total: int = 0
    records: list = field(default_factory=list, repr=False)


def _order(values):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return {v: i for i, v in enumerate(seen)}


def describe(rec):
    """``dW [affine-4d] vs torch float64``; nets: ``W1 vs numerical``."""
    case = f" [{rec.case}]" if rec.case not in ("default", "") and rec.kind != "net" else ""
    dtype = f" {rec.dtype}" if rec.kind != "net" else ""
    return f"{rec.check}{case} vs {rec.label}{dtype}"


def _dtype_summary(records):
    findings = {}
    for r in records:
        if r.status == "dtype":
            findings.setdefault(r.dtype_finding or "dtype differs", []).append(r.check)
    return "; ".join(f"{what} ({', '.join(dict.fromkeys(checks))})" for what, checks in findings.items())


def summarize(component, kind, records, check_order=(), diagnosis="", strict_dtype=False, notes=()):
    """The Summary of one component from its records (``strict_dtype``: dtype findings fail)."""
    s = Summary(component, kind, "missing", diagnosis=diagnosis or "", records=records,
                n_total=len(records), notes=list(notes))
    s.provenance = next((r.provenance for r in records if r.provenance), "")
    statuses = [r.status for r in records]
    s.n_pass = statuses.count("pass")
    s.n_known = statuses.count("known")
    s.dtype_finding = _dtype_summary(records)
    limits = dict.fromkeys(r.limit for r in records if r.status == "limit")
    s.limits = "; ".join(f"{', '.join(sorted({r.case for r in records if r.limit == lim}))}: {lim}" for lim in limits)
    failed = "fail" in statuses or (strict_dtype and "dtype" in statuses)
    if "timeout" in statuses:
        s.status = "timeout"
    elif "error" in statuses:
        s.status = "error"
    elif "outside" in statuses:
        s.status = "outside"
    elif failed:
        s.status = "FAIL"
    elif s.n_pass or s.n_known or "dtype" in statuses or "limit" in statuses:
        s.status = "pass"
    elif "skipped" in statuses:
        s.status = "skipped"
    if s.status in FAILING:
        wanted = {"timeout": ("timeout",), "error": ("error",), "outside": ("outside",),
                  "FAIL": ("fail", "dtype") if strict_dtype else ("fail",)}[s.status]
        fw, dt, ca = (_order(r.framework for r in records), _order(r.dtype for r in records),
                      _order(r.case for r in records))
        checks = {c: i for i, c in enumerate(check_order)}
        bad = sorted((r for r in records if r.status in wanted),
                     key=lambda r: (fw[r.framework], dt[r.dtype], checks.get(r.check, len(checks)), ca[r.case]))
        first = bad[0]
        s.first = describe(first) if first.check not in ("-", "") else ""
        s.message = first.message
        if s.status == "FAIL":
            s.max_abs_err, s.max_rel_err = first.max_abs_err, first.max_rel_err
            s.tol = f"rtol {first.rtol:.1e}, atol {first.atol:.1e}"
    elif s.status == "pass":
        # the passing comparison with the largest absolute error, and that comparison's relative
        # error (the largest relative error alone is often an element whose expected value is ~0)
        agreeing = [r for r in records if r.status in ("pass", "dtype")] or [r for r in records if r.status == "known"]
        if agreeing:
            worst = max(agreeing, key=lambda r: r.max_abs_err)
            s.max_abs_err, s.max_rel_err = worst.max_abs_err, worst.max_rel_err
            s.tol = f"rtol {worst.rtol:.1e}, atol {worst.atol:.1e}"
    elif records:
        s.message = records[0].message
    return s


def status_text(s):
    """The status column: "pass", "pass (2 known, dtype, limit)", "FAIL", ..."""
    marks = [f"{s.n_known} known"] if s.n_known else []
    if s.status == "pass":
        marks += ["dtype"] * bool(s.dtype_finding) + ["limit"] * bool(s.limits)
    return s.status + (f" ({', '.join(marks)})" if marks else "")


def _fmt(v):
    return "" if v != v else f"{v:.2e}"  # NaN -> blank


def render(summaries, width=140, problems=(), left_out=(), notes=()):
    """The text table: the implementation's problems first, how it was read (path set-up), one
    block per kind, then the details of every component that did not pass, the notes (dtype
    findings, the book's limits, how nets were built) and what a notebook reading left out."""
    lines = []
    if problems:
        lines.append("== problems (each fails the check) ==")
        for p in problems:
            lines.append(f"  {p.describe()}")
        lines.append("")
    if notes:
        lines.append("== read ==")
        lines += [f"  {n}" for n in notes]
        lines.append("")
    header = ("component", "status", "from", "first failing check", "max abs err", "max rel err", "tolerance")
    for kind in KIND_ORDER + tuple(sorted({s.kind for s in summaries} - set(KIND_ORDER))):
        mine = [s for s in summaries if s.kind == kind]
        if not mine:
            continue
        rows = [header] + [(s.component, status_text(s), s.provenance, s.first, _fmt(s.max_abs_err),
                            _fmt(s.max_rel_err), s.tol) for s in mine]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines.append(f"== {kind}s ==")
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append("")
    details = [s for s in summaries if s.status in FAILING or s.diagnosis and s.status != "pass"]
    if details:
        lines.append("== details ==")
        for s in details:
            lines.append(f"{s.component} [{s.status}]: {_clip(s.message, width * 3)}")
            if s.diagnosis and s.diagnosis not in s.message:
                lines.append(f"    diagnosis: {s.diagnosis}")
        lines.append("")
    noted = [s for s in summaries if s.dtype_finding or s.limits or s.notes]
    if noted:
        lines.append("== notes (not failures) ==")
        for s in noted:
            for note in s.notes:
                lines.append(f"{s.component}{f' [{s.provenance}]' if s.provenance else ''}: {note}")
            if s.dtype_finding:
                lines.append(f"{s.component}: dtype: {s.dtype_finding}; the values agree after casting "
                             f"(--strict-dtype makes this a failure)")
            if s.limits:
                lines.append(f"{s.component}: the book's own limit, not a failure: {s.limits}")
        lines.append("")
    if left_out:
        lines.append(f"== left out, not run ({len(left_out)}: top-level work, magics, imports only it uses) ==")
        for o in left_out:
            lines.append(f"  {o.where}: {_clip(o.what, 70)}  -- {o.why}")
        lines.append("")
    counts = {st: sum(s.status == st for s in summaries) for st in STATUS_ORDER}
    lines.append("summary: " + ", ".join(f"{n} {st}" for st, n in counts.items() if n)
                 + (f"; {len(problems)} problem(s) in the implementation's files" if problems else ""))
    return "\n".join(lines)


def _clip(text, n):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."


_HTML_COLOURS = {"pass": "#d9f2d9", "FAIL": "#f8d0d0", "error": "#f8d0d0", "timeout": "#f8d0d0",
                 "outside": "#f8d0d0", "missing": "#eeeeee", "skipped": "#eeeeee"}


def render_html(result):
    """An HTML table of a CheckResult (``_repr_html_`` in Jupyter): the verdict, the problems,
    one row per component with its status coloured, then the notes."""
    from html import escape

    rows = []
    for s in result.summaries:
        colour = _HTML_COLOURS.get(s.status, "#ffffff")
        detail = s.first or ("" if s.status == "pass" else _clip(s.message, 160))
        rows.append(f"<tr><td>{escape(s.kind)}</td><td>{escape(s.component)}</td>"
                    f"<td style='background:{colour}'>{escape(status_text(s))}</td><td>{escape(s.provenance)}</td>"
                    f"<td>{escape(detail)}</td><td>{_fmt(s.max_abs_err)}</td><td>{escape(s.tol)}</td></tr>")
    problems = "".join(f"<li>{escape(p.describe())}</li>" for p in result.problems)
    notes = "".join(f"<li>{escape(s.component)}: {escape(n)}</li>" for s in result.summaries for n in s.notes)
    return (f"<div><p><b>{escape(result.verdict)}</b> ({escape(result.impl)})</p>"
            + (f"<p>Problems (each fails the check):</p><ul>{problems}</ul>" if problems else "")
            + "<table><tr><th>kind</th><th>component</th><th>status</th><th>from</th><th>first failing check</th>"
              "<th>max abs err</th><th>tolerance</th></tr>" + "".join(rows) + "</table>"
            + (f"<details><summary>notes</summary><ul>{notes}</ul></details>" if notes else "") + "</div>")
