"""``check``: every applicable check of the parity engine against one implementation, each
component in its own child process under a time limit (``parity.check.isolate``).

Children come from a fork server that imported the engine and the frameworks once
(``parity.check.isolate``) and load the implementation again by its name (folder or module).

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

from parity.api import FRAMEWORK_CHOICES, select
from parity.check import netcheck, semantics
from parity.check.units import net_unit, row_unit
from parity.check.isolate import run_isolated
from parity.check.table import FAILING, summarize
from parity.impl import load_implementation
from parity.records import Record

KINDS = ("layer", "function", "gradient", "optimizer", "initializer", "net")
DEFAULT_TIMEOUT = 300.0


@dataclass
class CheckResult:
    """What ``check`` found. ``ok``: no problem in the implementation's files, no component
    failing, and at least one component actually checked and passing (a folder where nothing
    of the book's API could be checked is not a green run)."""
    impl: str
    records: list = field(default_factory=list)
    summaries: list = field(default_factory=list)
    problems: list = field(default_factory=list)     # parity.impl.Problem: import errors, outside imports

    @property
    def failing(self):
        return [s for s in self.summaries if s.status in FAILING]

    @property
    def checked(self):
        return [s for s in self.summaries if s.status == "pass"]

    @property
    def ok(self):
        return not self.problems and not self.failing and bool(self.checked)

    @property
    def verdict(self):
        """One line: why the run is green or not."""
        if self.problems:
            return f"FAIL: {len(self.problems)} problem(s) in the implementation's files (listed first)"
        if self.failing:
            return f"FAIL: {len(self.failing)} component(s) failed: {', '.join(s.component for s in self.failing)}"
        if not self.checked:
            return "FAIL: nothing was checked: no component of the book's API was found (all missing or skipped)"
        return f"ok: {len(self.checked)} component(s) of {self.impl} pass"

    def summary(self, component):
        for s in self.summaries:
            if s.component == component:
                return s
        raise KeyError(component)


def _failure(name, kind, status, message, impl):
    return Record(component=name, kind=kind, framework="-", dtype="-", check="-", passed=False,
                  status=status, message=f"{name}: {message}", impl=impl)


def _preload(frameworks):
    """What the fork server imports once: the engine and the frameworks that can run here."""
    from parity.frameworks import missing_reason

    mods = ["parity.check.units", "parity.checks.runner", "parity.checks.optimizers", "parity.checks.initializers"]
    return mods + [fw for fw in frameworks if fw in ("torch", "keras") and not missing_reason(fw)]


def _child_spec(implementation):
    """(what the child loads, start method): the name where loading it again gives the same
    package (a folder, an importable module); otherwise the object itself through a plain fork."""
    try:
        if load_implementation(implementation.name).package is implementation.package:
            return implementation.name, None
    except (ImportError, ValueError):
        pass
    return implementation, "fork"


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
          components=None, device="cpu", kinds=None, timeout=DEFAULT_TIMEOUT, progress=None,
          strict_dtype=False):
    """Run every selected unit against ``impl``; a CheckResult (records + one Summary per unit).

    timeout: seconds per unit (None: run in this process, no isolation).
    progress: called with each Summary as it is made (the CLI prints a line).
    strict_dtype: a dtype finding (values agree, dtype does not) fails the component."""
    for fw in frameworks:
        if fw not in FRAMEWORK_CHOICES:
            raise ValueError(f"unknown framework {fw!r}; choose from {FRAMEWORK_CHOICES}")
    implementation = load_implementation(impl)
    result = CheckResult(implementation.name, problems=list(implementation.problems))
    todo = units(implementation, components, kinds)
    spec, method = _child_spec(implementation)
    variants = semantics.variant_dir()  # made here, shared by the children
    preload = _preload(frameworks)
    for name, kind, order in todo:
        if kind == "net":
            args = (spec, name, tuple(frameworks), variants)
            outcome = run_isolated(net_unit, args, timeout=timeout, preload=preload, method=method)
        else:
            args = (spec, name, tuple(frameworks), tuple(dtypes), device, variants)
            outcome = run_isolated(row_unit, args, timeout=timeout, preload=preload, method=method)
        notes = ()
        if outcome.status == "ok":
            records, diagnosis = outcome.value[:2]
            notes = outcome.value[2] if len(outcome.value) > 2 else ()
        else:
            records = [_failure(name, kind, outcome.status, outcome.error, implementation.name)]
            diagnosis = ""
        s = summarize(name, kind, records, order, diagnosis, strict_dtype=strict_dtype, notes=notes)
        result.records += records
        result.summaries.append(s)
        if progress is not None:
            progress(s)
    return result


def main_progress(s):
    """One progress line on stderr per finished unit."""
    print(f"  {s.kind:<11} {s.component:<26} {s.status}", file=sys.stderr, flush=True)
