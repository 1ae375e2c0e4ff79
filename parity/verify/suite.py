"""``check``: every applicable check of the parity engine against one implementation, each
component in its own child process under a time limit (``parity.verify.isolate``).

Children come from a fork server that imported the engine and the frameworks once
(``parity.verify.isolate``) and load the implementation again by its name (folder or module).

A unit is one registry row (all its frameworks x dtypes: ``parity.api.run_records``), or one net
configuration (``parity.verify.netcheck``). A unit whose child raises, hangs past ``timeout`` or dies
gives one record with status "error" / "timeout" naming the component, and the next unit runs.
A failing row is then diagnosed (``parity.verify.semantics``): does it match a framework default
instead of the book? Net failures carry their localization in the message.

    >>> result = check("path/to/common", frameworks=("torch", "numerical"), dtypes=("float64",))
    >>> result.ok, [s.component for s in result.failing]
"""
from dataclasses import dataclass, field
import sys

from parity.api import FRAMEWORK_CHOICES, select
from parity.verify import netcheck, semantics
from parity.verify.units import net_unit, row_unit
from parity.verify.isolate import run_here, run_isolated
from parity.verify.table import FAILING, render, render_html, summarize
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
    left_out: list = field(default_factory=list)     # notebooks / scripts: what was not run, and why
    notes: list = field(default_factory=list)        # how the implementation was read (path set-up ...)

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

    def render(self):
        """The CLI's text: problems, tables per kind, details, notes, what was left out, verdict."""
        return render(self.summaries, problems=self.problems, left_out=self.left_out, notes=self.notes) \
            + "\n" + self.verdict

    def __str__(self):
        return self.render()

    def __repr__(self):
        return f"<CheckResult {self.impl}: {self.verdict}>"

    def _repr_html_(self):
        return render_html(self)


def _failure(name, kind, status, message, impl):
    return Record(component=name, kind=kind, framework="-", dtype="-", check="-", passed=False,
                  status=status, message=f"{name}: {message}", impl=impl)


def _preload(frameworks):
    """What the fork server imports once: the engine and the frameworks that can run here."""
    from parity.frameworks import missing_reason

    from parity.backends import plugin

    mods = ["parity.verify.units", "parity.runners.runner", "parity.runners.optimizers", "parity.runners.initializers",
            "parity.runners.gradients", "parity.verify.batch", "scipy.stats"]
    return mods + [m for fw in frameworks if fw in plugin.names() and not missing_reason(fw)
                   for m in plugin.get(fw).preload]


def _child_spec(implementation, choice=None):
    """(what the child loads, start method): ``Implementation.spec`` (a name and the chosen
    definitions) where loading it again gives the same code (a folder, notebook, script,
    importable module); otherwise (a live namespace) the object itself through a plain fork."""
    view = implementation.with_choice(choice or {})
    if view.spec is not None:
        try:
            again = load_implementation(view.spec[0])
            if again.package is implementation.package:
                return view.spec, None
        except (ImportError, ValueError):
            pass
    return view, "fork"


@dataclass(frozen=True)
class Unit:
    """One thing ``check`` runs in a child: a registry row or a net, for one definition.

    choice: {name: index} of the definition checked (a notebook that defines Affine twice gives two
    Affine units); index: the net class's place among the definitions of that name; factory: a
    ``module:function`` that builds the net instead of its constructor."""
    name: str
    kind: str
    order: tuple = ()
    choice: tuple = ()
    index: int = 0
    factory: str = ""


def _row_units(impl, row):
    attr = row.reference.rpartition(".")[2]
    n = len(impl.definitions.get(attr, ())) if impl.reads_definitions else 1
    if n <= 1:
        return [Unit(row.name, row.kind, row.checks)]
    return [Unit(row.name, row.kind, row.checks, ((attr, i),)) for i in range(n)]


def units(impl, components=None, kinds=None, net_factories=None):
    """[Unit] of what ``check`` runs: registry rows, then the nets the implementation has (found by
    ``Implementation.nets``: any class with loss and gradient), then the factories' nets."""
    impl = load_implementation(impl)
    kinds = tuple(kinds) if kinds else KINDS
    nets = impl.nets() if "net" in kinds else {}
    factories = dict(net_factories or {})
    book_nets = {c.name for c in netcheck.NETS}
    wanted = None if components is None else list(components)
    known_rows = {r.name for r in select(None, None)}
    row_names = None if wanted is None else [n for n in wanted if n in known_rows]
    unknown = [] if wanted is None else [n for n in wanted if n not in known_rows and n not in nets
                                         and n not in book_nets and n not in factories]
    if unknown:
        select(unknown)  # raises the usage error naming them
    out = []
    if row_names is None or row_names:
        for row in select(row_names, [k for k in kinds if k != "net"]):
            out += _row_units(impl, row)
    if "net" in kinds:
        names = list(nets) if wanted is None else [n for n in wanted if n not in known_rows and n not in factories]
        for name in names:
            if name in factories:
                continue
            defs = nets.get(name, ())
            out += [Unit(name, "net", index=i) for i in range(len(defs))] or [Unit(name, "net")]
        if wanted is None and not nets and not factories:
            out.append(Unit(netcheck.NO_NET, "net"))
        out += [Unit(name, "net", factory=spec) for name, spec in factories.items()]
    return out


def check(impl="reference", frameworks=None, dtypes=("float64", "float32"),
          components=None, device="cpu", kinds=None, timeout=DEFAULT_TIMEOUT, progress=None,
          strict_dtype=False, net_factories=None, isolation="component", on_start=None, on_unit=None):
    """Run every selected unit against ``impl``; a CheckResult (records + one Summary per unit).

    impl: anything ``parity.impl.load_implementation`` takes (a folder, a notebook, a script, a
        module name, ``globals()``, a module or namespace object).
    timeout: seconds per unit (None: run in this process, no isolation).
    progress: called with each Summary as it is made (the CLI prints a line).
    on_start, on_unit: called with the list of units before the first one runs, and with each
        unit as it starts (the CLI's ``[n/N]`` bar, ``parity.verify.progress``).
    strict_dtype: a dtype finding (values agree, dtype does not) fails the component.
    net_factories: {name: "module:function" or "path/to/file.py:function" or a callable} that
        builds a net small (input size 6, output size 3) where its constructor cannot be filled.
    isolation: "component" (each unit in a child process: a crash costs one component) or
        "process" (every unit here, stopped at ``timeout`` by SIGALRM: for a process that is
        itself a child, as a batch submission's is)."""
    frameworks = FRAMEWORK_CHOICES if frameworks is None else tuple(frameworks)
    for fw in frameworks:
        if fw not in FRAMEWORK_CHOICES:
            raise ValueError(f"unknown framework {fw!r}; choose from {FRAMEWORK_CHOICES}")
    implementation = load_implementation(impl)
    result = CheckResult(implementation.name, problems=list(implementation.problems),
                         left_out=list(implementation.left_out), notes=list(implementation.notes))
    todo = units(implementation, components, kinds, net_factories)
    variants = semantics.variant_dir()  # made here, shared by the children
    if on_start is not None:
        on_start(todo)
    preload = _preload(frameworks)
    for unit in todo:
        if on_unit is not None:
            on_unit(unit)
        spec, method = _child_spec(implementation, dict(unit.choice))
        factory = unit.factory
        if callable(factory):
            method = "fork"  # a callable cannot be named to a fork-server child
        if unit.kind == "net":
            fn, args = net_unit, (spec, unit.name, tuple(frameworks), variants, unit.index, factory)
        else:
            fn, args = row_unit, (spec, unit.name, tuple(frameworks), tuple(dtypes), device, variants)
        if isolation == "process":
            outcome = run_here(fn, args, timeout=timeout)
        else:
            outcome = run_isolated(fn, args, timeout=timeout, preload=preload, method=method)
        notes = ()
        if outcome.status == "ok":
            records, diagnosis = outcome.value[:2]
            notes = outcome.value[2] if len(outcome.value) > 2 else ()
        else:
            records = [_failure(unit.name, unit.kind, outcome.status, outcome.error, implementation.name)]
            diagnosis = ""
        s = summarize(unit.name, unit.kind, records, unit.order, diagnosis, strict_dtype=strict_dtype, notes=notes)
        if not s.provenance and unit.choice:
            s.provenance = implementation.with_choice(dict(unit.choice)).chosen(unit.choice[0][0]).provenance
        result.records += records
        result.summaries.append(s)
        if progress is not None:
            progress(s)
    return result

