"""Measuring the table of known differences with the engine's own runners.

For a row and one of its frameworks, ``evaluate`` runs the row's registry component through its
runner (``parity.runners.<kind>s.run``, the same code the parity tests run) in the row's dtype,
once with the framework's default configuration (``row.as_is[framework]`` as builder arguments)
and once with the book's (``row.fix[framework]``, or none: the builder's defaults); for a
"implementation" row the as-is side is the reference with the row's variant edits. The value
of each side is the largest ``max_abs_err`` over the records of the row's checks (an initializer's:
the KS distance); whether a side agrees is the runner's own verdict at the registry's tolerance.

Status of a measured row:
- "removed": present as it comes (the runner fails) and gone with the book configuration (passes);
- "residual": present, and the book configuration leaves the declared band (``row.residual``);
- "refused": the framework refuses the default configuration outright (``row.refuses``: the trap
  cannot happen there), with the error the row names;
- "stale": NOT present as it comes: the framework changed (or the row was wrong): drop or fix it;
- "fix-failed" / "residual-changed": the book configuration no longer removes it / the residual moved;
- "error": a side raised where the row does not say so;
- "skipped": the framework cannot run here;
- "not-applicable" / "present-elsewhere": a row for some Keras backends on another one, where it
  is (correctly) absent / unexpectedly present.

    >>> rows = measure_all(frameworks=("torch",))         # list of dicts for the report
    >>> [r["id"] for r in audit()]                         # rows that no longer hold: []
"""
from dataclasses import replace
import importlib
import math
import warnings

from parity.catalogue.table import ROWS, rows as table_rows

RUNNERS = {"layer": "parity.runners.layers", "function": "parity.runners.functions",
           "optimizer": "parity.runners.optimizers", "initializer": "parity.runners.initializers"}
BAD = ("stale", "fix-failed", "residual-changed", "present-elsewhere", "error")


class StaleDifferenceWarning(UserWarning):
    """A catalogue row no longer matches anything: the framework now agrees with the book."""


def _label(framework):
    from parity.backends import plugin

    if framework not in plugin.names():
        return framework, ""
    return plugin.label(framework), plugin.variant(framework)


def missing_reason(framework):
    from parity.backends import plugin

    if framework == "numerical":
        return None
    return plugin.get(framework).missing_reason()


def registry_row(row):
    """The registry component the row is measured on, with the row's cases and changes."""
    from parity.registry import get

    reg = get(row.component)
    changes = dict(row.row_changes)
    if row.cases is not None:
        changes["cases"] = row.cases
    return replace(reg, **changes) if changes else reg


def _impl(row, which):
    if which == "as_is" and row.trigger == "implementation":
        from parity.verify.semantics import variant_impl

        return variant_impl(row.variants[0])
    return "reference"


def run_side(row, framework, which):
    """The runner's records of the row's checks for one side ("as_is" or "book")."""
    reg = registry_row(row)
    runner = importlib.import_module(RUNNERS[reg.kind])
    config = row.config(framework, which)
    records = runner.run(reg, framework, row.dtype, impl=_impl(row, which), config=config or None)
    return [r for r in records if r.check in row.checks]


def _value(records):
    values = [r.max_abs_err for r in records if r.status not in ("error", "skipped", "missing")]
    finite = [v for v in values if not math.isnan(v)]
    return max(finite) if finite else float("nan")


def _per_case(records):
    cases = {}
    for r in records:
        if r.status not in ("error", "skipped", "missing"):
            cases[r.case] = max(cases.get(r.case, 0.0), r.max_abs_err)
    return ", ".join(f"{c} {v:.3g}" for c, v in cases.items())


def _errors(records):
    """Records where a side could not be measured (a case the runner skips, e.g. a saturated case
    for the numerical gradient, is left out, not an error)."""
    return [r for r in records if r.status in ("error", "missing")]


def unit(row):
    from parity.registry import get

    if get(row.component).kind == "initializer":
        return "KS distance D"
    return "max abs diff of " + ", ".join(row.checks)


def _base(row, framework):
    return dict(id=row.id, component=row.component, framework=framework, backend="", label=framework,
                default=row.default, book=row.book, reason=row.reason, fix=row.how, fix_kind=row.fix_kind,
                trigger=row.trigger, source=row.source, depends=row.depends,
                residual_reason=row.residual_reason, default_residual=float("nan"),
                configured_residual=float("nan"), unit=unit(row), expected_residual=None, status="", detail="")


def evaluate(row, framework):
    """Measure one row for one framework under both configurations; return its report row (a dict)."""
    out = _base(row, framework)
    reason = missing_reason(framework)
    if reason:
        out.update(status="skipped", detail=reason)
        return out
    label, backend = _label(framework)
    band = row.band(label)
    out.update(label=label, backend=backend, expected_residual=band)
    as_is, book = run_side(row, framework, "as_is"), run_side(row, framework, "book")
    if all(r.status == "skipped" for r in as_is + book):
        out.update(status="skipped", detail=(as_is + book)[0].message if as_is + book else "no records")
        return out
    as_is = [r for r in as_is if r.status != "skipped"]
    book = [r for r in book if r.status != "skipped"]
    out.update(default_residual=_value(as_is), configured_residual=_value(book),
               detail=f"as is: {_per_case(as_is) or '-'} | book config: {_per_case(book) or '-'}")
    failed = _errors(as_is) + _errors(book)
    refusal = row.refuses.get(framework)
    if refusal and _errors(as_is) and all(refusal in r.message for r in _errors(as_is)) and not _errors(book):
        out.update(status="refused" if all(r.passed for r in book) else "fix-failed",
                   detail=f"as is refused: {_errors(as_is)[0].message} | book config: {_per_case(book)}")
        return out
    if failed:
        out.update(status="error", detail=failed[0].message)
        return out
    present = not all(r.passed for r in as_is)
    book_passes = all(r.passed for r in book)
    if row.backends is not None and framework == "keras" and backend not in row.backends:
        out["status"] = "present-elsewhere" if present else "not-applicable"
    elif not present:
        out["status"] = "stale"
    elif band is None:
        out["status"] = "removed" if book_passes else "fix-failed"
    else:
        lo, hi = band
        value = out["configured_residual"]
        out["status"] = "residual" if (not book_passes and lo <= value <= hi) else "residual-changed"
    return out


def entries(frameworks=None, ids=None, table=ROWS):
    """[(row, framework)] for the given frameworks and ids (None: every framework a row names)."""
    return [(r, fw) for r in table_rows(frameworks, ids, table) for fw in r.frameworks
            if frameworks is None or fw in frameworks]


def measure_all(frameworks=None, ids=None, table=ROWS):
    """Every (row, framework) measured: a list of dicts (id, framework, backend, default_residual,
    configured_residual, unit, status, ...) — ``pandas.DataFrame(measure_all())`` for the report."""
    return [evaluate(r, fw) for r, fw in entries(frameworks, ids, table)]


def ids_for(components, table=ROWS):
    """The ids of the rows about ``components`` (registry names), or None (every row) for None: the
    report measures the rows of the components it checks."""
    if not components:
        return None
    return [row.id for row in table if row.component in set(components)]


def audit(frameworks=None, table=ROWS):
    """Measure every row; return the ones that do not hold any more (``BAD`` statuses) and warn
    about each stale one."""
    bad = []
    for out in measure_all(frameworks, table=table):
        if out["status"] not in BAD:
            continue
        if out["status"] == "stale":
            warnings.warn(f"catalogue row {out['id']}-{out['framework']} is STALE: as it comes it differs by only "
                          f"{out['default_residual']:.3g} ({out['unit']}), within the registry's tolerance",
                          StaleDifferenceWarning, stacklevel=2)
        bad.append(out)
    return bad


__all__ = ["BAD", "StaleDifferenceWarning", "audit", "entries", "evaluate", "measure_all", "run_side"]
