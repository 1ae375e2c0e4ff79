"""The implementation under test: the shipped ``reference``, another importable package, or a
directory holding a book-style ``common/`` package.

    >>> impl = load_implementation("reference")
    >>> impl.get("layers.Affine").__name__, impl.get("layers.NoSuchLayer")
    ('Affine', None)

A directory ``PATH`` holds ``layers.py``, ``functions.py``, ``optimizer.py``, ``gradient.py`` and
perhaps ``util.py``, ``multi_layer_net.py``, ... (or ``PATH/common/`` does: the book's repository
root). Its modules may import each other in any of the book's styles:

    from common.functions import softmax      # the book
    from .functions import softmax            # a package
    from functions import softmax             # flat scripts with the folder on sys.path

It is loaded as one uniquely named package (``_parity_impl_<hash>``) so that two implementations,
or a user's ``common`` and the reference, never share a module. While its files execute, the
names ``common`` and each plain file name (``functions``, ``util``, ...) resolve to that package's
own modules; afterwards ``sys.modules`` and ``sys.path`` are exactly as before. All its ``.py``
files are imported then (a file that fails to import is recorded in ``Implementation.errors``
and its attributes read as missing).
"""
from dataclasses import dataclass, field
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

BOOK_MODULES = ("functions", "layers", "util", "gradient", "optimizer", "init", "multi_layer_net",
                "multi_layer_net_extend", "two_layer_net", "three_layer_net", "trainer")


@dataclass
class Implementation:
    """An implementation of the book's API.

    name: how reports name it ("reference", a dotted module name, or the directory path).
    package: the root module object; its submodules are ``layers``, ``functions``, ...
    errors: {module name: error text} for files of a directory that failed to import.
    """

    name: str
    package: types.ModuleType
    errors: dict = field(default_factory=dict)

    def module(self, name):
        """The submodule ``name`` ("layers", "init", ...), or None when it does not exist."""
        mod = getattr(self.package, name, None)
        if isinstance(mod, types.ModuleType):
            return mod
        if name in self.errors:
            return None
        try:
            return importlib.import_module(f"{self.package.__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name and (e.name == f"{self.package.__name__}.{name}" or e.name.endswith(f".{name}")):
                return None
            raise

    def get(self, dotted):
        """``get("layers.Affine")``: the attribute, or None where the module or name is missing."""
        module_name, _, attr = dotted.rpartition(".")
        if not module_name:
            return getattr(self.package, attr, None)
        mod = self.module(module_name)
        return None if mod is None else getattr(mod, attr, None)

    def __str__(self):
        return self.name


def load_implementation(spec="reference"):
    """The implementation named by ``spec``.

    spec: an ``Implementation`` (returned as is), a module object, a dotted module name
    ("reference", "mypkg.common"), or a directory path holding a book-style package.
    Raises ValueError for a path that holds no ``layers.py`` / ``functions.py``.
    """
    if isinstance(spec, Implementation):
        return spec
    if spec is None:
        spec = "reference"
    if isinstance(spec, types.ModuleType):
        return Implementation(spec.__name__, spec)
    spec = os.fspath(spec)
    if os.path.isdir(spec) and not _is_regular_package(spec):
        return _load_directory(spec)
    if os.sep in spec or spec.endswith(".py"):
        raise ValueError(f"implementation {spec!r}: no such directory (give a folder holding layers.py, "
                         f"functions.py, ... or a dotted module name)")
    return Implementation(spec, importlib.import_module(spec))


def _is_regular_package(name):
    """True where ``name`` is a dotted name of an importable package with an ``__init__``
    ("reference" from the repository root is the package, not the folder)."""
    if not all(part.isidentifier() for part in name.split(".")):
        return False
    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return found is not None and found.origin is not None


def _book_dir(path):
    """The folder that holds the book's files: ``path`` itself or ``path/common``."""
    for candidate in (path, os.path.join(path, "common")):
        if any(os.path.isfile(os.path.join(candidate, f"{m}.py")) for m in ("layers", "functions")):
            return os.path.abspath(candidate)
    raise ValueError(f"implementation directory {path!r} holds no layers.py or functions.py "
                     f"(nor does {os.path.join(path, 'common')!r})")


_LOADED = {}


def _load_directory(path):
    root = _book_dir(path)
    if root in _LOADED:
        return _LOADED[root]
    pkg_name = "_parity_impl_" + hashlib.sha1(root.encode()).hexdigest()[:12]
    stems = sorted(f[:-3] for f in os.listdir(root) if f.endswith(".py") and f != "__init__.py"
                   and f[:-3].isidentifier())
    init = os.path.join(root, "__init__.py")
    pkg_spec = importlib.util.spec_from_file_location(
        pkg_name, init if os.path.isfile(init) else None, submodule_search_locations=[root])
    if pkg_spec is None or pkg_spec.loader is None:
        pkg_spec = importlib.machinery.ModuleSpec(pkg_name, None, is_package=True)
        pkg_spec.submodule_search_locations = [root]
    package = importlib.util.module_from_spec(pkg_spec)
    sys.modules[pkg_name] = package

    errors = {}
    with _aliases(pkg_name, package, stems, root):
        if pkg_spec.loader is not None:
            pkg_spec.loader.exec_module(package)
        for stem in stems:
            try:
                setattr(package, stem, importlib.import_module(f"{pkg_name}.{stem}"))
            except Exception as e:  # a file that does not import: its names read as missing
                errors[stem] = f"{type(e).__name__}: {e}"
    impl = Implementation(root, package, errors)
    _LOADED[root] = impl
    return impl


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``common`` and ``common.x`` and plain ``x`` (a file of the folder) to ``pkg.x``."""

    def __init__(self, pkg_name, stems):
        self.pkg_name = pkg_name
        self.stems = set(stems)

    def _target(self, fullname):
        if fullname == "common":
            return self.pkg_name
        if fullname.startswith("common.") and fullname[7:] in self.stems:
            return f"{self.pkg_name}.{fullname[7:]}"
        if fullname in self.stems:
            return f"{self.pkg_name}.{fullname}"
        return None

    def find_spec(self, fullname, path=None, target=None):
        target_name = self._target(fullname)
        if target_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=(fullname == "common"))

    def create_module(self, spec):
        module = importlib.import_module(self._target(spec.name))
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # NOTE: the import system stamped the alias spec on the module; give it its own back.
        module.__spec__ = self._own_spec


class _aliases:
    """Context: the alias finder first on sys.meta_path; sys.modules and sys.path restored after."""

    def __init__(self, pkg_name, package, stems, root):
        self.finder = _AliasFinder(pkg_name, stems)
        self.names = {"common", *stems}
        self.root = root

    def __enter__(self):
        self.saved_modules = {n: m for n, m in sys.modules.items()
                              if n in self.names or n.startswith("common.")}
        for n in self.saved_modules:
            del sys.modules[n]
        self.saved_path = list(sys.path)
        sys.path.insert(0, self.root)
        sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self.finder)
        sys.path[:] = self.saved_path
        for n in [n for n in sys.modules if n in self.names or n.startswith("common.")]:
            del sys.modules[n]
        sys.modules.update(self.saved_modules)
        importlib.invalidate_caches()
        return False
