"""The implementation under test, whatever form the user's code has: the shipped ``reference``,
an installed package, a folder holding a book-style ``common/`` (``parity.folder``), a Jupyter
notebook or a script read for its definitions (``parity.notebook``), or a live namespace —
``globals()`` in a kernel, a dict, a module, a ``types.SimpleNamespace`` (``parity.namespace``).

    >>> impl = load_implementation("reference")
    >>> impl.get("layers.Affine").__name__, impl.get("layers.NoSuchLayer")
    ('Affine', None)
    >>> impl.lookup("layers.Affine").provenance
    'layers.py:88'

``load_implementation(spec)``: an ``.ipynb`` or ``.py`` file is read for its definitions; a path to
a folder is that folder (also a bare name such as ``buggy`` that is a folder here, with or without
``__init__.py``); a dotted name that is not a folder here is a module ("mypkg.common"); a dict,
module or namespace object is read as it is; anything else is a ValueError (a usage error).

What can be wrong with the implementation as a whole is a ``Problem`` (``Implementation.problems``):
a file that does not import, a notebook cell that does not parse, a kept definition that raised,
an import that reaches book code outside the user's folder. Every problem fails the check.
``lookup(dotted)`` says, per component, what the checks need: the object, or why there is none
("missing", "error": its file did not import, "outside": it or its module is not the user's code),
and where it came from (``provenance``: "layers.py:88", "cell 7", "../common/layers.py:112").

A notebook may define a name several times (the eight ``TwoLayerNet``s of a learner trying hidden
sizes): ``definitions[name]`` lists each with its cell, and ``with_choice({name: i})`` is the view
in which ``name`` is its i-th definition (the checks run once per definition).
"""
from dataclasses import dataclass, field, replace
import importlib
import os
import types

from parity import provenance


@dataclass(frozen=True)
class Problem:
    """Something wrong with the implementation as a whole.

    kind: "import-error" (a file does not import), "outside-import" (it imports book code from
    outside the folder), "read-error" (a notebook or script that cannot be read, a cell that does
    not parse), "definition-error" (a kept definition, import or path set-up that raised).
    file/line: where (the file relative to the folder; "cell 7" for a notebook cell). module: the
    implementation module it concerns ("layers"; the cell for a notebook). message: one line.
    detail: the traceback's last lines, or the outside module's path."""
    kind: str
    module: str
    file: str
    line: int
    message: str
    detail: str = ""

    @property
    def where(self):
        if self.file.startswith("cell "):
            return f"{self.file}, line {self.line}" if self.line else self.file
        return provenance.describe_location(self.file, self.line)

    def describe(self):
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Definition:
    """One definition of a name: the object and where it was defined ("cell 7", "layers.py:88")."""
    obj: object
    provenance: str


@dataclass(frozen=True)
class Lookup:
    """What ``Implementation.lookup`` found for one dotted name.

    status: "found", "missing", "error" (its module did not import), "outside" (defined in, or
    depending on, book code outside the implementation). provenance: "layers.py:88" (file
    relative to the implementation's folder), "cell 7", where found."""
    obj: object
    status: str
    message: str = ""
    provenance: str = ""


# Names whose objects, when the namespace of a notebook or kernel holds them, are the shipped
# package's and not the learner's.
SHIPPED = frozenset({"reference", "parity", "harness"})


@dataclass
class Implementation:
    """An implementation of the book's API.

    name: how reports name it ("reference", a dotted module name, the folder or notebook path,
        "<namespace>").
    package: the root module object; ``package.layers``, ``package.functions``, ... are its
        modules (for a notebook or namespace each is the one namespace of definitions).
    kind: "module", "folder", "notebook", "script" or "namespace".
    root: the folder whose files are the implementation's own (None: nothing is judged outside
        by file; a notebook's own folders are ``own_dirs``).
    problems: the Problems found while loading it.
    internal: top-level module names that resolve to the implementation itself.
    tainted: {module: the OutsideImport that taints it} (folders).
    definitions: {name: [Definition]} in order (notebooks, scripts, namespaces).
    left_out: what a notebook or script reading left out, and why (``parity.definitions.LeftOut``).
    notes: how it was read (path set-up honoured, ...), one line each.
    choice: {name: index into definitions[name]}: this view's definition of a redefined name.
    """

    name: str
    package: types.ModuleType
    root: str = None
    problems: list = field(default_factory=list)
    internal: frozenset = frozenset()
    tainted: dict = field(default_factory=dict)
    kind: str = "module"
    definitions: dict = field(default_factory=dict)
    left_out: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    own_dirs: tuple = ()
    choice: dict = field(default_factory=dict)

    @property
    def reads_definitions(self):
        """True for notebooks, scripts and namespaces (one namespace, looked up by name)."""
        return self.kind in ("notebook", "script", "namespace")

    # --- modules and names --------------------------------------------------------------------

    def module(self, name):
        """The submodule ``name`` ("layers", "init", ...), or None when it does not exist or did
        not import."""
        mod = getattr(self.package, name, None)
        if isinstance(mod, types.ModuleType):
            return mod
        if self.reads_definitions or self.import_error(name) is not None:
            return None
        try:
            return importlib.import_module(f"{self.package.__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name and (e.name == f"{self.package.__name__}.{name}" or e.name.endswith(f".{name}")):
                return None
            raise

    def get(self, dotted):
        """``get("layers.Affine")``: the attribute, or None where the module or name is missing."""
        if self.reads_definitions:
            chosen = self.chosen(dotted.rpartition(".")[2])
            return None if chosen is None else chosen.obj
        module_name, _, attr = dotted.rpartition(".")
        if not module_name:
            return getattr(self.package, attr, None)
        mod = self.module(module_name)
        return None if mod is None else getattr(mod, attr, None)

    def chosen(self, name):
        """The Definition of ``name`` in this view (notebooks, scripts, namespaces), or None."""
        defs = self.definitions.get(name)
        if defs:
            return defs[self.choice.get(name, len(defs) - 1)]
        return None

    def import_error(self, module_name):
        for p in self.problems:
            if p.kind == "import-error" and p.module == module_name:
                return p
        return None

    def file_of(self, module_name):
        return f"{module_name}.py"

    def provenance(self, obj):
        """"layers.py:88" for an object defined in the implementation; its absolute path outside."""
        return provenance.describe_location(*provenance.location(obj, self.root))

    def lookup(self, dotted):
        """The Lookup for ``dotted`` ("layers.Affine"): the object and its provenance, or why not."""
        if self.reads_definitions:
            return self._lookup_definition(dotted)
        module_name, _, attr = dotted.rpartition(".")
        problem = self.import_error(module_name) if module_name else None
        if problem is not None:
            return Lookup(None, "error", f"could not import {problem.file}: {problem.describe()}")
        obj = self.get(dotted)
        if obj is None:
            return Lookup(None, "missing", f"the implementation {self.name} has no {dotted}")
        where = self.provenance(obj)
        if self.root is not None:
            elsewhere = provenance.defined_outside(obj, self.root, {self.package.__name__.split(".")[0]})
            if elsewhere:
                return Lookup(None, "outside", f"{dotted} is defined in {elsewhere}, outside the implementation "
                                               f"{self.name}: the check would test that code, not yours", where)
            taint = self.tainted.get(module_name)
            if taint is not None:
                via = "" if taint.module == module_name else f" (through {self.file_of(taint.module)}, which it imports)"
                return Lookup(None, "outside", f"{dotted} depends on book code from outside the implementation{via}: "
                                               f"{taint.describe(self.file_of(taint.module))}", where)
        return Lookup(obj, "found", "", where)

    def _lookup_definition(self, dotted):
        name = dotted.rpartition(".")[2]
        d = self.chosen(name)
        if d is None:
            return Lookup(None, "missing", f"{self.name} defines no {name} (nor imports one)")
        module = getattr(d.obj, "__module__", None) or ""
        if module.split(".")[0] in SHIPPED:
            path, line = provenance.location(d.obj)
            return Lookup(None, "outside", f"{name} is {module}.{name} from {provenance.describe_location(path, line)}, "
                                           f"the shipped package, not your code", d.provenance)
        return Lookup(d.obj, "found", "", d.provenance)

    # --- nets and views -------------------------------------------------------------------------

    def nets(self):
        """{class name: [Definition]} of every class that looks like a net: its instances have
        ``loss(x, t)`` and ``gradient(x, t)`` (and, once built, a ``params`` dict); the
        implementation's own classes only (not imported ones), private names left out."""
        from parity import netfinder

        return netfinder.nets(self)

    def with_choice(self, choice):
        """The view of this implementation in which each name of ``choice`` is its chosen definition."""
        if not choice:
            return self
        view = replace(self, choice={**self.choice, **choice})
        if not self.reads_definitions:  # folders: only nets are chosen, by ``nets()`` index
            return view
        namespace = types.ModuleType(self.package.__name__)
        namespace.__dict__.update(vars(getattr(self.package, "layers", self.package)))
        for name in choice:
            d = view.chosen(name)
            if d is not None:
                setattr(namespace, name, d.obj)
        view.package = _namespace_package(self.package.__name__, namespace)
        return view

    @property
    def spec(self):
        """What a child process loads to get this same implementation again: (name, choice); None
        for a live namespace (the child must be forked from this process)."""
        if self.kind == "namespace":
            return None
        return (self.name, dict(self.choice))

    def __str__(self):
        return self.name


def _namespace_package(name, namespace):
    """A package whose book modules (``layers``, ``functions``, ...) are all ``namespace``."""
    package = types.ModuleType(f"{name}_package")
    for module in provenance.BOOK_MODULES:
        setattr(package, module, namespace)
    package.namespace = namespace
    return package


def load_implementation(spec="reference"):
    """The implementation named by ``spec``.

    spec: an ``Implementation`` (returned as is), (name, choice) as ``Implementation.spec`` gives,
    a notebook (.ipynb) or script (.py) path, a folder path (holding a book-style package), a
    dotted module name ("reference", "mypkg.common"), a module object, a dict (``globals()``) or
    a ``types.SimpleNamespace``.
    Raises ValueError for a name that is neither a file, a folder nor an importable module, or a
    folder that holds none of the book's files.
    """
    from parity import folder, namespace, notebook

    if isinstance(spec, Implementation):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], dict):
        return load_implementation(spec[0]).with_choice(spec[1])
    if spec is None:
        spec = "reference"
    if isinstance(spec, (dict, types.SimpleNamespace)):
        return namespace.load_namespace(spec)
    if isinstance(spec, types.ModuleType):
        package_like = hasattr(spec, "__path__") or any(
            isinstance(getattr(spec, m, None), types.ModuleType) for m in provenance.BOOK_MODULES)
        if spec.__name__ == "__main__" or not package_like:
            return namespace.load_namespace(spec)  # a module of definitions: looked up by name
        return folder.load_module(spec.__name__, spec)
    spec = os.fspath(spec)
    if os.path.isfile(spec) and spec.endswith((".ipynb", ".py")):
        return notebook.load_notebook(spec)
    if os.path.isdir(spec) and not _is_installed_package_here(spec):
        if folder.book_dir(spec) is None and any(f.endswith(".py") for f in os.listdir(spec)):
            return notebook.load_scripts(spec)  # a chapter folder: scripts that import ../common
        return folder.load_folder(spec)
    if os.sep in spec or spec.endswith((".py", ".ipynb")) or not all(p.isidentifier() for p in spec.split(".")):
        raise ValueError(f"implementation {spec!r}: no such file or directory (give a folder holding layers.py, "
                         f"functions.py, ..., a notebook .ipynb, a script .py, or a dotted module name)")
    try:
        module = importlib.import_module(spec)
    except ModuleNotFoundError as e:
        if e.name and spec.startswith(e.name):
            raise ValueError(f"implementation {spec!r}: no folder of that name here and no importable module "
                             f"(give a folder holding layers.py, functions.py, ..., a notebook .ipynb, a script "
                             f".py, or a dotted module name)") from None
        return folder.unimportable(spec, e)
    except Exception as e:  # noqa: BLE001 -- the package exists but does not import: a Problem
        return folder.unimportable(spec, e)
    return folder.load_module(spec, module)


def _is_installed_package_here(path):
    """True where the folder ``path`` is itself an installed package importable by its name
    without the current directory on sys.path (``reference`` from the repository root): the same
    code either way, and its files import themselves by that name."""
    import importlib.util
    import sys

    name = os.path.basename(os.path.normpath(path))
    if not name.isidentifier() or not os.path.isfile(os.path.join(path, "__init__.py")):
        return False
    loaded = sys.modules.get(name)
    if loaded is not None:
        origin = getattr(loaded, "__file__", None)
    else:
        here = {"", ".", os.getcwd(), os.path.abspath(os.path.dirname(path) or ".")}
        saved = list(sys.path)
        try:
            sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") not in here and p not in here]
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            found = None
        finally:
            sys.path[:] = saved
        origin = found.origin if found is not None else None
    return bool(origin) and os.path.realpath(os.path.dirname(origin)) == os.path.realpath(path)
