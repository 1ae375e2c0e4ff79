"""The engine's entry point: every check of the registry for an implementation, as a table.

    >>> df = run_checks("path/to/my/common", frameworks=("torch",), components=["Affine"])
    >>> df[df.status != "pass"][["component", "framework", "dtype", "case", "check", "message"]]

Each registry row's kind selects its runner, ``parity.runners.<kind>s.run(row, framework, dtype,
impl, device) -> list[Record]`` (layers, functions, optimizers, initializers); a kind whose module
is not there yet is left out. A framework that cannot run here gives records with status
"skipped" and the reason, never an exception.
"""
import importlib

from parity.impl import load_implementation
from parity.records import to_dataframe

from parity.backends import plugin

# Every framework plug-in, and "numerical" (the implementation's own central differences).
FRAMEWORK_CHOICES = (*plugin.names(), "numerical")


def _runner(kind):
    """``parity.runners.<kind>s.run``, or None where that module or its ``run`` does not exist."""
    try:
        module = importlib.import_module(f"parity.runners.{kind}s")
    except ModuleNotFoundError as e:
        if e.name == f"parity.runners.{kind}s":
            return None
        raise
    return getattr(module, "run", None)


def select(components=None, kinds=None):
    """Registry rows by name (None: all) and kind (None: all). Unknown names raise ValueError."""
    from parity.registry import COMPONENTS

    rows = [r for r in COMPONENTS if kinds is None or r.kind in kinds]
    if components is None:
        return rows
    wanted = [components] if isinstance(components, str) else list(components)
    known = {r.name for r in COMPONENTS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"unknown component(s) {unknown}; known: {sorted(known)}")
    return [r for r in rows if r.name in wanted]


# Records computed in this process, keyed by (component, framework, dtype, impl name, device): the
# tests share one runner call per key, and ``pytest --parity-report`` writes the report from them.
CACHE = {}


def cached_records(row, framework, dtype, impl, device="cpu"):
    """``parity.runners.<kind>s.run(row, framework, dtype, impl, device)``, computed once per process."""
    implementation = load_implementation(impl)
    key = (row.name, framework, str(dtype), implementation.name, device)
    if key not in CACHE:
        run = _runner(row.kind)
        if run is None:
            raise ValueError(f"{row.name}: no runner parity.runners.{row.kind}s")
        CACHE[key] = run(row, framework, str(dtype), implementation, device)
    return CACHE[key]


def run_records(impl="reference", frameworks=None, dtypes=("float64", "float32"),
                components=None, device="cpu", kinds=None):
    """The Records of every selected row x framework x dtype (see ``run_checks``; frameworks None:
    every framework plug-in)."""
    from parity import numerics

    numerics.ensure_configured()  # determinism on, TF32 and TensorFlow's oneDNN reordering off
    implementation = load_implementation(impl)
    frameworks = plugin.names() if frameworks is None else tuple(frameworks)
    for fw in frameworks:
        if fw not in FRAMEWORK_CHOICES:
            raise ValueError(f"unknown framework {fw!r}; choose from {FRAMEWORK_CHOICES}")
    records = []
    for row in select(components, kinds):
        run = _runner(row.kind)
        if run is None:
            continue
        for fw in row.config.get("frameworks", frameworks):  # a row with its own counterpart ("analytic")
            if fw == "numerical" and row.kind != "layer":
                continue
            for dtype in dtypes:
                records += run(row, fw, dtype, implementation, device)
    return records


def run_checks(impl="reference", frameworks=None, dtypes=("float64", "float32"),
               components=None, device="cpu"):
    """Check an implementation of the book's API against the frameworks; a pandas DataFrame.

    impl: "reference", a dotted module name, a module, a folder, a notebook, a namespace, ...
    frameworks: any of the framework plug-ins ("torch", "keras", "jax"; None: all of them) and
        "numerical" (the implementation's own numerical gradients, layers only, float64).
        dtypes: "float64", "float32".
    components: registry names (``parity.registry.names()``), None for all.
    device: "cpu" or "cuda" (torch only; skipped with the reason where no GPU is visible).
    Returns one row per component x framework x dtype x case x check with the columns of
    ``parity.records.Record`` (status: pass, fail, known, error, missing, skipped).
    """
    return to_dataframe(run_records(impl, frameworks, dtypes, components, device))
