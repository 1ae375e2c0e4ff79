"""``check``: every applicable check of the parity engine against one implementation, each
component in its own child process under a time limit (``parity.check.isolate``).

A unit is one registry row (all its frameworks x dtypes: ``parity.api.run_records``), or one net
configuration (``parity.check.netcheck``). A unit whose child raises, hangs past ``timeout`` or dies
gives one record with status "error" / "timeout" naming the component, and the next unit runs.
A failing row is then diagnosed (``parity.check.semantics``): does it match a framework default
instead of the book? Net failures carry their localization in the message.

    >>> result = check("path/to/common", frameworks=("torch", "numerical"), dtypes=("float64",))
    >>> result.ok, [s.component for s in result.failing]
"""
from dataclasses import dataclass, field
import sys

from parity.api import FRAMEWORK_CHOICES, run_records, select
from parity.check import netcheck, semantics
from parity.check.isolate import run_isolated
from parity.check.table import FAILING, summarize
from parity.impl import load_implementation
from parity.records import Record

KINDS = ("layer", "function", "optimizer", "initializer", "net")
DEFAULT_TIMEOUT = 300.0


@dataclass
class CheckResult:
    impl: str
    records: list = field(default_factory=list)
    summaries: list = field(default_factory=list)

    @property
    def failing(self):
        return [s for s in self.summaries if s.status in FAILING]

    @property
    def ok(self):
        return not self.failing

    def summary(self, component):
        for s in self.summaries:
            if s.component == component:
                return s
        raise KeyError(component)


def _row_unit(impl, row_name, frameworks, dtypes, device):
    """Child: the row's records, and a semantics diagnosis where a check failed."""
    from parity.registry import get

    row = get(row_name)
    records = run_records(impl, frameworks, dtypes, [row_name], device)
    diagnosis = ""
    if any(r.status == "fail" for r in records):
        diagnosis = semantics.diagnose(impl, row) or ""
    return records, diagnosis


def _net_unit(impl, name, frameworks):
    """Child: the net configuration's records; the localization is in the failing messages."""
    records = netcheck.run(impl, name, frameworks)
    bad = [r for r in records if r.status == "fail"]
    return records, (bad[0].message.rpartition("; ")[2] if bad and "; first divergent" in bad[0].message
                     else bad[0].message if bad else "")


def _failure(name, kind, status, message, impl):
    return Record(component=name, kind=kind, framework="-", dtype="-", check="-", passed=False,
                  status=status, message=f"{name}: {message}", impl=impl)


def _preimport(frameworks):
    """Import the frameworks once here, so that forked children do not each pay for it. Only
    imports: no framework computation runs in this process before a fork."""
    from parity.frameworks import missing_reason

    for fw in frameworks:
        if fw in ("torch", "keras") and not missing_reason(fw):
            __import__(fw)


def units(impl, components=None, kinds=None):
    """[(name, kind, check order)] of what ``check`` runs: registry rows, then nets."""
    impl = load_implementation(impl)
    kinds = tuple(kinds) if kinds else KINDS
    net_names = [c.name for c in netcheck.NETS]
    wanted = None if components is None else list(components)
    row_names = None if wanted is None else [n for n in wanted if n not in net_names]
    out = []
    if row_names is None or row_names:
        out += [(r.name, r.kind, r.checks) for r in select(row_names, [k for k in kinds if k != "net"])]
    if "net" in kinds:
        out += [(n, "net", ()) for n in net_names if wanted is None or n in wanted]
    return out


def check(impl="reference", frameworks=("torch", "keras", "numerical"), dtypes=("float64", "float32"),
          components=None, device="cpu", kinds=None, timeout=DEFAULT_TIMEOUT, progress=None):
    """Run every selected unit against ``impl``; a CheckResult (records + one Summary per unit).

    timeout: seconds per unit (None: run in this process, no isolation).
    progress: called with each Summary as it is made (the CLI prints a line)."""
    for fw in frameworks:
        if fw not in FRAMEWORK_CHOICES:
            raise ValueError(f"unknown framework {fw!r}; choose from {FRAMEWORK_CHOICES}")
    implementation = load_implementation(impl)
    result = CheckResult(implementation.name)
    todo = units(implementation, components, kinds)
    if timeout is not None:
        _preimport(frameworks)
        semantics.variant_dir()  # made here, shared by the children
    for name, kind, order in todo:
        if kind == "net":
            outcome = run_isolated(_net_unit, (implementation, name, tuple(frameworks)), timeout=timeout)
        else:
            outcome = run_isolated(_row_unit, (implementation, name, tuple(frameworks), tuple(dtypes), device),
                                   timeout=timeout)
        if outcome.status == "ok":
            records, diagnosis = outcome.value
        else:
            records = [_failure(name, kind, outcome.status, outcome.error, implementation.name)]
            diagnosis = ""
        s = summarize(name, kind, records, order, diagnosis)
        result.records += records
        result.summaries.append(s)
        if progress is not None:
            progress(s)
    return result


def main_progress(s):
    """One progress line on stderr per finished unit."""
    print(f"  {s.kind:<11} {s.component:<26} {s.status}", file=sys.stderr, flush=True)
