"""The implementation under test: the shipped ``reference``, another importable package, or a
folder holding a book-style ``common/`` package.

    >>> impl = load_implementation("reference")
    >>> impl.get("layers.Affine").__name__, impl.get("layers.NoSuchLayer")
    ('Affine', None)
    >>> impl.lookup("layers.Affine").provenance
    'layers.py:88'

``load_implementation(spec)``: a path to a folder is always that folder (also a bare name such as
``buggy`` that is a folder here, with or without ``__init__.py``); a dotted name that is not a
folder here is a module ("mypkg.common"); anything else is a ValueError (a usage error).

A folder ``PATH`` holds ``layers.py``, ``functions.py``, ``optimizer.py``, ... (or ``PATH/common/``
does: the book's repository root). Its modules may import each other in any of the book's styles:

    from common.functions import softmax      # the book
    from .functions import softmax            # a package
    from functions import softmax             # flat scripts with the folder on sys.path

It is loaded as one uniquely named package (``_parity_impl_<hash>``): while its files execute, the
names ``common``, ``common.x``, the folder's own name and each of its file names resolve to that
package's own modules, and nothing else does (``common.trainer`` without a ``trainer.py`` is an
ImportError, never some other ``common``); afterwards ``sys.modules`` and ``sys.path`` are exactly
as before. All its ``.py`` files are imported then.

What can be wrong with the implementation as a whole is a ``Problem`` (``Implementation.problems``):
a file that does not import ("import-error", with the file, the line and the error), or an import
that reaches book code outside the folder ("outside-import", see ``parity.provenance``). Every
problem fails the check. ``lookup(dotted)`` says, per component, what the checks need: the object,
or why there is none ("missing", "error": its file did not import, "outside": it or its module
is not the user's), and where it came from (``provenance``).
"""
from dataclasses import dataclass, field
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import traceback
import types

from parity import provenance
from parity.provenance import BOOK_MODULES  # noqa: F401  (re-exported: the book's file names)


@dataclass(frozen=True)
class Problem:
    """Something wrong with the implementation as a whole.

    kind: "import-error" (the file does not import) or "outside-import" (it imports book code
    from outside the folder). file/line: where (file relative to the folder). module: the
    implementation module it concerns ("layers"). message: one line. detail: the traceback's
    last lines, or the outside module's path."""
    kind: str
    module: str
    file: str
    line: int
    message: str
    detail: str = ""

    @property
    def where(self):
        return provenance.describe_location(self.file, self.line)

    def describe(self):
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Lookup:
    """What ``Implementation.lookup`` found for one dotted name.

    status: "found", "missing", "error" (its module did not import), "outside" (defined in, or
    depending on, book code outside the implementation). provenance: "layers.py:88" (file
    relative to the implementation's folder) where found."""
    obj: object
    status: str
    message: str = ""
    provenance: str = ""


@dataclass
class Implementation:
    """An implementation of the book's API.

    name: how reports name it ("reference", a dotted module name, or the folder path).
    package: the root module object; its submodules are ``layers``, ``functions``, ...
    root: the folder whose files are the implementation's own (None: a module object with no
        files; then nothing is judged outside).
    problems: the Problems found while loading it.
    internal: top-level module names that resolve to the implementation itself.
    """

    name: str
    package: types.ModuleType
    root: str = None
    problems: list = field(default_factory=list)
    internal: frozenset = frozenset()
    tainted: dict = field(default_factory=dict)   # module -> the OutsideImport that taints it

    def module(self, name):
        """The submodule ``name`` ("layers", "init", ...), or None when it does not exist or did
        not import."""
        mod = getattr(self.package, name, None)
        if isinstance(mod, types.ModuleType):
            return mod
        if self.import_error(name) is not None:
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

    def __str__(self):
        return self.name


def load_implementation(spec="reference"):
    """The implementation named by ``spec``.

    spec: an ``Implementation`` (returned as is), a module object, a folder path (holding a
    book-style package), or a dotted module name ("reference", "mypkg.common").
    Raises ValueError for a name that is neither a folder nor an importable module, or a folder
    that holds none of the book's files.
    """
    if isinstance(spec, Implementation):
        return spec
    if spec is None:
        spec = "reference"
    if isinstance(spec, types.ModuleType):
        return _from_module(spec.__name__, spec)
    spec = os.fspath(spec)
    if os.path.isdir(spec) and not _is_installed_package_here(spec):
        return _load_directory(spec)
    if os.sep in spec or spec.endswith(".py") or not all(p.isidentifier() for p in spec.split(".")):
        raise ValueError(f"implementation {spec!r}: no such directory (give a folder holding layers.py, "
                         f"functions.py, ... or a dotted module name)")
    try:
        module = importlib.import_module(spec)
    except ModuleNotFoundError as e:
        if e.name and spec.startswith(e.name):
            raise ValueError(f"implementation {spec!r}: no folder of that name here and no importable module "
                             f"(give a folder holding layers.py, functions.py, ... or a dotted module name)") from None
        return _unimportable(spec, e)
    except Exception as e:  # noqa: BLE001 -- the package exists but does not import: a Problem
        return _unimportable(spec, e)
    return _from_module(spec, module)


def _is_installed_package_here(path):
    """True where the folder ``path`` is itself an installed package importable by its name
    without the current directory on sys.path (``reference`` from the repository root): the same
    code either way, and its files import themselves by that name."""
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


def _from_module(name, module):
    """An installed package or a module object: its folder is its root (none for a bare module)."""
    root = None
    path = getattr(module, "__file__", None)
    if path and hasattr(module, "__path__"):
        root = os.path.dirname(os.path.abspath(path))
    impl = Implementation(name, module, root=root, internal=frozenset({name.split(".")[0]}))
    if root is not None:
        stems = _stems(root)
        _audit(impl, stems, {s: os.path.join(root, f"{s}.py") for s in stems})
    return impl


def _unimportable(name, error):
    """A module name whose import raised: an implementation with that one Problem."""
    package = types.ModuleType(f"_parity_unimportable_{name}")
    file, line = _failure_location(error, None)
    problem = Problem("import-error", "__init__", file or name, line, f"{type(error).__name__}: {error}",
                      _tail(error))
    return Implementation(name, package, problems=[problem])


def _stems(root):
    return sorted(f[:-3] for f in os.listdir(root) if f.endswith(".py") and f != "__init__.py"
                  and f[:-3].isidentifier())


def _book_dir(path):
    """The folder that holds the book's files: ``path`` itself or ``path/common``."""
    for candidate in (path, os.path.join(path, "common")):
        if any(os.path.isfile(os.path.join(candidate, f"{m}.py")) for m in BOOK_MODULES):
            return os.path.abspath(candidate)
    raise ValueError(f"implementation directory {path!r} holds none of the book's files "
                     f"({', '.join(m + '.py' for m in BOOK_MODULES[:5])}, ...), nor does "
                     f"{os.path.join(path, 'common')!r}")


def _tail(error, lines=6):
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _failure_location(error, root):
    """(file, line) where ``error`` surfaced in the implementation's files: a SyntaxError's own
    position, else the deepest traceback frame inside ``root`` (relative path)."""
    if isinstance(error, SyntaxError) and error.filename and (root is None or provenance.inside(error.filename, root)):
        path = error.filename
        return (os.path.relpath(path, root) if root else path), error.lineno or 0
    found = ("", 0)
    for frame in traceback.extract_tb(error.__traceback__):
        if root is None or provenance.inside(frame.filename, root):
            found = (os.path.relpath(frame.filename, root) if root else frame.filename, frame.lineno or 0)
    return found


_LOADED = {}


def _load_directory(path):
    root = _book_dir(path)
    if root in _LOADED:
        return _LOADED[root]
    pkg_name = "_parity_impl_" + hashlib.sha1(root.encode()).hexdigest()[:12]
    stems = _stems(root)
    init = os.path.join(root, "__init__.py")
    pkg_spec = importlib.util.spec_from_file_location(
        pkg_name, init if os.path.isfile(init) else None, submodule_search_locations=[root])
    if pkg_spec is None or pkg_spec.loader is None:
        pkg_spec = importlib.machinery.ModuleSpec(pkg_name, None, is_package=True)
        pkg_spec.submodule_search_locations = [root]
    package = importlib.util.module_from_spec(pkg_spec)
    sys.modules[pkg_name] = package

    own_name = os.path.basename(root)
    internal = frozenset({"common", pkg_name, *stems} | ({own_name} if own_name.isidentifier() else set()))
    impl = Implementation(root, package, root=root, internal=internal)
    with _aliases(pkg_name, package, stems, root, own_name):
        if pkg_spec.loader is not None:
            try:
                pkg_spec.loader.exec_module(package)
            except Exception as e:  # noqa: BLE001 -- reported, the files are still tried one by one
                impl.problems.append(_import_problem("__init__", e, root))
        for stem in stems:
            try:
                setattr(package, stem, importlib.import_module(f"{pkg_name}.{stem}"))
            except Exception as e:  # noqa: BLE001 -- a file that does not import is an error, named
                impl.problems.append(_import_problem(stem, e, root))
    files = {s: os.path.join(root, f"{s}.py") for s in stems}
    if os.path.isfile(init):
        files["__init__"] = init
    _audit(impl, stems, files)
    _LOADED[root] = impl
    return impl


def _import_problem(stem, error, root):
    """The Problem of a file that did not import: where it failed in that file, and, where the
    cause lies in another file of the folder (an import of it), that file's line and error."""
    file = f"{stem}.py"
    cause_file, cause_line = _failure_location(error, root)
    if isinstance(error, SyntaxError):
        text = f"SyntaxError: {error.msg}"
    else:
        text = f"{type(error).__name__}: {error}"
    if cause_file in (file, ""):
        return Problem("import-error", stem, file, cause_line, text, _tail(error))
    line = 0  # the line of this file that led to the cause (its import statement)
    for frame in traceback.extract_tb(error.__traceback__):
        if provenance.inside(frame.filename, root) and os.path.basename(frame.filename) == file:
            line = frame.lineno or 0
    return Problem("import-error", stem, file, line,
                   f"imports {cause_file}, which does not import ({cause_file}:{cause_line}: {text})", _tail(error))


def _audit(impl, stems, files):
    """Outside imports of every module that imported, and the taint they spread to importers."""
    sources = {}
    for stem, path in files.items():
        if impl.import_error(stem) is not None or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            sources[stem] = f.read()
    direct = {}
    for stem, text in sources.items():
        try:
            found = provenance.outside_imports(stem, text, files[stem], impl.root, impl.internal)
        except SyntaxError:
            continue
        if found:
            direct[stem] = found[0]
            for o in found:
                impl.problems.append(Problem("outside-import", stem, f"{stem}.py", o.line,
                                             f"imports {o.target} from {o.path}, outside the implementation",
                                             o.path))
    deps = {}
    for stem, text in sources.items():
        try:
            deps[stem] = provenance.own_dependencies(text, files[stem], impl.internal, set(stems),
                                                     impl.package.__name__)
        except SyntaxError:
            deps[stem] = set()
    tainted = dict(direct)
    changed = True
    while changed:  # a module that imports a tainted module is tainted, through it
        changed = False
        for stem, uses in deps.items():
            if stem in tainted:
                continue
            for dep in sorted(uses):
                if dep in tainted:
                    tainted[stem] = tainted[dep]
                    changed = True
                    break
    impl.tainted = tainted


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``common``, ``common.x``, the folder's own name and plain ``x`` (a file of the
    folder) to ``pkg.x``; ``common.y`` for a ``y`` the folder lacks is a ModuleNotFoundError."""

    def __init__(self, pkg_name, stems, own_name):
        self.pkg_name = pkg_name
        self.stems = set(stems)
        self.packages = {"common"} | ({own_name} if own_name.isidentifier() and own_name not in self.stems else set())

    def _target(self, fullname):
        head, _, rest = fullname.partition(".")
        if head in self.packages:
            if not rest:
                return self.pkg_name
            return f"{self.pkg_name}.{rest}" if rest in self.stems else ""
        if fullname in self.stems:
            return f"{self.pkg_name}.{fullname}"
        return None

    def find_spec(self, fullname, path=None, target=None):
        target_name = self._target(fullname)
        if target_name is None:
            return None
        if target_name == "":
            raise ModuleNotFoundError(f"No module named {fullname!r} (the implementation's folder has no "
                                      f"{fullname.partition('.')[2].replace('.', '/')}.py)", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=(target_name == self.pkg_name))

    def create_module(self, spec):
        module = importlib.import_module(self._target(spec.name))
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # NOTE: the import system stamped the alias spec on the module; give it its own back.
        module.__spec__ = self._own_spec


class _aliases:
    """Context: the alias finder first on sys.meta_path; sys.modules and sys.path restored after."""

    def __init__(self, pkg_name, package, stems, root, own_name):
        self.finder = _AliasFinder(pkg_name, stems, own_name)
        self.names = {*self.finder.packages, *stems}
        self.root = root

    def _ours(self, name):
        return name in self.names or name.partition(".")[0] in self.finder.packages

    def __enter__(self):
        self.saved_modules = {n: m for n, m in sys.modules.items() if self._ours(n)}
        for n in self.saved_modules:
            del sys.modules[n]
        self.saved_path = list(sys.path)
        sys.path.insert(0, self.root)
        sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc):
        sys.meta_path.remove(self.finder)
        sys.path[:] = self.saved_path
        for n in [n for n in sys.modules if self._ours(n)]:
            del sys.modules[n]
        sys.modules.update(self.saved_modules)
        importlib.invalidate_caches()
        return False
