"""Frameworks as plug-ins. A framework is one package ``parity/backends/<name>/`` whose
``__init__`` declares ``PLUGIN = Plugin(...)`` (and imports nothing heavy), and whose modules give
the engine what every registry row needs:

- ``layers``: one builder per layer / function component it has, named by the row's ``builder``
  (``affine``, ``batch_normalization``, ...): ``builder(arrays, hyper, dtype, device, **config) ->
  Counterpart`` (``parity.backends.counterpart``), and ``grad(fn, inputs, params, dout,
  constants, device)`` / ``evaluate(fn, inputs, constants, device)``: gradients by its own autodiff;
- ``optimizers``: ``drive(row, params0, grads, dtype, device, **config) -> (steps, stored
  dtypes)``, the row's 24-step trajectory through its book-configured optimizer, and
  ``BOOK_OPTIMIZERS``, the book's class names it configures;
- ``initializers``: one builder per initializer row (``book_std``, ``book_xavier``, ``book_he``),
  ``builder(shape, dtype, seed, device, **config) -> np.ndarray`` in the book's layout;
- a training runner ``harness/runners/<name>_runner.py`` registered with the harness.

``config`` are the builder's own keyword arguments: none gives the book's semantics; the catalogue
of known differences (``parity.catalogue``) passes the framework's defaults to measure them.
Nothing outside the package names the framework: the registry rows, the runners, the report and
``check`` ask ``plugins()`` which frameworks exist, ``missing_reason`` whether one can run here,
``label`` how the records name it (``keras[tensorflow]``) and ``has`` whether it has a component.

    >>> [p.name for p in plugins()]
    ['torch', 'keras', 'jax']
    >>> label("keras")            # with KERAS_BACKEND=torch
    'keras[torch]'
"""
from dataclasses import dataclass, field
import functools
import importlib
import importlib.util
import pkgutil
from typing import Callable, Optional


@dataclass(frozen=True)
class Plugin:
    """One framework's declaration.

    name: the framework's name in records and options ("torch").
    order: its place in tables (after the reference).
    requires: the modules that must import for it to run.
    variant: () -> the sub-backend it runs on ("tensorflow" for Keras), named in its label.
    requirement: (device) -> why it cannot run on ``device`` here, or None (beyond ``requires``).
    devices: the devices its checks can run on (others run its checks on the CPU).
    versions: modules whose ``__version__`` records carry.
    preload: modules the check's fork server may import once before it forks children (imports
        that start no threads; JAX, for one, must not run a computation before a fork).
    environment: () -> {what: value} for the report's environment section (devices, threads,
        TF32 switches); the versions of ``versions`` are added to it.
    about: one line for the report.
    layouts: the data formats its convolution and pooling layers take ("channels_first",
        "channels_last"; ``parity.layouts``): its ``layers`` has ``convolution_<format>`` and
        ``pooling_<format>`` for each, and the layout matrix's tests run those.
    """
    name: str
    order: int
    requires: tuple
    variant: Optional[Callable] = None
    requirement: Optional[Callable] = None
    devices: tuple = ("cpu",)
    versions: tuple = ()
    preload: tuple = ()
    environment: Optional[Callable] = None
    about: str = ""
    layouts: tuple = ()
    modules: dict = field(default_factory=lambda: {"layer": "layers", "layout": "layers", "function": "layers",
                                                   "optimizer": "optimizers", "initializer": "initializers"})

    def module(self, kind):
        """The package's module for a component kind (imports the framework)."""
        return importlib.import_module(f"parity.backends.{self.name}.{self.modules[kind]}")

    def missing_reason(self, device="cpu"):
        for name in self.requires:
            if importlib.util.find_spec(name) is None:
                return f"{name} is not installed" if name == self.name else f"{self.name} needs {name}, not installed"
        if self.requirement is not None:
            return self.requirement(device)
        return None

    def label(self):
        return f"{self.name}[{self.variant()}]" if self.variant else self.name

    def device_for(self, device):
        return device if device in self.devices else "cpu"

    def describe(self):
        """{version(s), what it runs on, "missing": why not} for the report's environment section."""
        from importlib.metadata import PackageNotFoundError, version

        out = {"label": self.label(), "missing": self.missing_reason()}
        for name in self.versions:
            try:
                out[f"{name}_version" if name != self.name else "version"] = version(
                    {"tensorflow": "tensorflow-cpu"}.get(name, name))
            except PackageNotFoundError:
                try:
                    out[f"{name}_version" if name != self.name else "version"] = version(name)
                except PackageNotFoundError:
                    out.setdefault("version", None) if name == self.name else None
        if self.environment is not None and out["missing"] is None:
            out.update(self.environment())
        return out


_PLUGINS = None


def plugins():
    """Every framework plug-in found in ``parity/backends/``, in their order."""
    global _PLUGINS
    if _PLUGINS is None:
        import parity.backends as package

        found = []
        for info in pkgutil.iter_modules(package.__path__):
            if not info.ispkg:
                continue
            module = importlib.import_module(f"parity.backends.{info.name}")
            plugin = getattr(module, "PLUGIN", None)
            if isinstance(plugin, Plugin):
                found.append(plugin)
        _PLUGINS = tuple(sorted(found, key=lambda p: p.order))
    return _PLUGINS


def names():
    return tuple(p.name for p in plugins())


def get(name):
    for p in plugins():
        if p.name == name:
            return p
    raise ValueError(f"unknown framework {name!r}; known: {names()}")


def label(framework, backend=""):
    """How records name a framework: "torch", "keras[tensorflow]" (``backend`` given, or the one in use)."""
    if backend:
        return f"{framework}[{backend}]"
    try:
        return get(framework).label()
    except ValueError:
        return framework


def variant(framework):
    """The sub-backend a framework runs on ("tensorflow" for Keras), "" for the others."""
    p = get(framework)
    return p.variant() if p.variant else ""


def has(framework, row):
    """The builder name of ``row`` in the framework's package, or None where it has none.
    Imports the framework (call it where it can run)."""
    p = get(framework)
    if row.kind not in p.modules:  # a kind no framework has a counterpart for (the numerical gradient)
        return None
    module = p.module(row.kind)
    if row.kind == "optimizer":
        return row.builder if row.builder in getattr(module, "BOOK_OPTIMIZERS", ()) else None
    return row.builder if callable(getattr(module, row.builder, None)) else None


def versions(framework=None):
    """{module: version} and NumPy / Python: of ``framework``'s modules (its plug-in's ``versions``,
    and the module of the backend it runs on, e.g. torch for keras[torch]), whether imported yet or
    not, so a record says the same wherever and after whatever it ran; without ``framework``, of
    every framework already imported in this process."""
    import platform
    import sys

    import numpy

    out = {"python": platform.python_version(), "numpy": numpy.__version__}
    if framework is not None:
        p = get(framework)
        modules = list(p.versions)
        if p.variant:
            out[f"{p.name}_backend"] = backend = p.variant()
            modules += [backend] if backend not in modules else []
        for name in modules:
            version = installed_version(name)
            if version is not None:
                out[name] = version
        return out
    for p in plugins():
        for name in p.versions:
            mod = sys.modules.get(name)
            if mod is not None:
                out[name] = getattr(mod, "__version__", "?")
        if p.variant and p.name in sys.modules:
            out[f"{p.name}_backend"] = p.variant()
    return out


def installed_version(module):
    """The version of the distribution that installs ``module`` (``tensorflow`` from tensorflow-cpu),
    read from its metadata without importing it; None where none is installed."""
    from importlib import metadata

    for dist in _distributions().get(module, ()):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


@functools.lru_cache(maxsize=1)
def _distributions():
    from importlib import metadata

    return metadata.packages_distributions()
