"""``python -m parity selftest``: plant each shipped fault (``parity.verify.faults``) in a copy of the
reference, run ``check`` on it, and report the share caught with the component named correctly.

A fault counts as caught when ``check`` reports its component as FAIL (a value that differs, not
an error or a timeout), and, where the fault says so, the semantics diagnosis names the framework
whose default it is and the net localization names the right parameter first. Before the faults,
the unedited copy must pass every component the faults touch (else a catch could be the copy's
doing, not the fault's).

    >>> result = selftest(frameworks=("torch", "numerical"))
    >>> result.share, [o.fault.id for o in result.outcomes if not o.caught]
    (1.0, [])
"""
from dataclasses import dataclass, field
import os
import tempfile

from parity.verify import faults as fault_table
from parity.verify.patch import reference_copy
from parity.verify.suite import check
from parity.frameworks import missing_reason

SELFTEST_TIMEOUT = 120.0


@dataclass
class Outcome:
    fault: object
    status: str
    caught: bool
    detail: str                    # why not caught, or what was said
    failing: list = field(default_factory=list)


@dataclass
class SelftestResult:
    control_ok: bool
    control_failing: list
    outcomes: list

    @property
    def share(self):
        return sum(o.caught for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    @property
    def ok(self):
        return self.control_ok and all(o.caught for o in self.outcomes)


def default_frameworks():
    """torch (where it runs here) and the numerical gradients: fast, and between them every check."""
    return tuple(fw for fw in ("torch",) if not missing_reason(fw)) + ("numerical",)


def judge(fault, result):
    """The Outcome of one fault from its check result."""
    s = result.summary(fault.component)
    failing = [x.component for x in result.failing]
    if s.status != fault.status:
        return Outcome(fault, s.status, False, f"{fault.component} reported {s.status}: {s.message}", failing)
    if fault.diagnosis and fault.diagnosis not in s.diagnosis:
        return Outcome(fault, s.status, False, f"diagnosis {s.diagnosis!r} does not say {fault.diagnosis!r}", failing)
    if fault.localized and f"first divergent in backprop order: {fault.localized} " not in s.message:
        return Outcome(fault, s.status, False, f"localization does not name {fault.localized} first: {s.message}",
                       failing)
    said = s.diagnosis or s.first
    return Outcome(fault, s.status, True, said, failing)


def run_fault(fault, workdir, frameworks, dtypes=("float64",), timeout=SELFTEST_TIMEOUT):
    folder = reference_copy(os.path.join(workdir, fault.id), fault.edits)
    result = check(folder, frameworks=frameworks, dtypes=dtypes, components=[fault.component], timeout=timeout)
    return judge(fault, result)


def selftest(faults=None, frameworks=None, timeout=SELFTEST_TIMEOUT, progress=None):
    """Every fault (default: all shipped) planted and checked; a SelftestResult."""
    faults = list(fault_table.FAULTS if faults is None else faults)
    frameworks = tuple(frameworks or default_frameworks())
    components = sorted({f.component for f in faults})
    with tempfile.TemporaryDirectory(prefix="parity-selftest-") as workdir:
        control = check(reference_copy(os.path.join(workdir, "unedited")), frameworks=frameworks,
                        dtypes=("float64",), components=components, timeout=timeout)
        outcomes = []
        for fault in faults:
            o = run_fault(fault, workdir, frameworks, timeout=timeout)
            outcomes.append(o)
            if progress is not None:
                progress(o)
    return SelftestResult(control.ok, [s.component for s in control.failing], outcomes)


def render(result):
    lines = [f"control (unedited copy of the reference): "
             f"{'pass' if result.control_ok else 'FAIL ' + ', '.join(result.control_failing)}", ""]
    rows = [("fault", "component", "source", "status", "caught", "what check said")]
    for o in result.outcomes:
        rows.append((o.fault.id, o.fault.component, o.fault.source, o.status, "yes" if o.caught else "NO",
                     " ".join(o.detail.split())[:110]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    n = sum(o.caught for o in result.outcomes)
    lines += ["", f"caught {n} / {len(result.outcomes)} planted faults ({100 * result.share:.0f}%) "
                  f"with the component named correctly"]
    return "\n".join(lines)
