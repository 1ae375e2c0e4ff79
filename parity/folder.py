"""Loading a folder (a book-style ``common/``) or an installed package as an Implementation.

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

A file that does top-level work (a training script beside the book's modules) is read for its
definitions and never run, as a script is (``parity.definitions``); what it left out is listed.
A file that does not import is a Problem ("import-error": the file, the line, and where the
cause is another file of the folder, that file's line and error); an import that reaches book code
outside the folder is a Problem too ("outside-import", ``parity.provenance``), and taints its
module and every module that imports it.
"""
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
from parity.impl import Implementation, Problem
from parity.provenance import BOOK_MODULES


def load_folder(path):
    """The Implementation of the folder ``path`` (loaded once per process)."""
    return _load_directory(path)


def load_module(name, module):
    """An installed package or a module object as an Implementation."""
    return _from_module(name, module)


def unimportable(name, error):
    return _unimportable(name, error)


def _from_module(name, module):
    """An installed package or a module object: its folder is its root (none for a bare module)."""
    root = None
    path = getattr(module, "__file__", None)
    if path and hasattr(module, "__path__"):
        root = os.path.dirname(os.path.abspath(path))
    impl = Implementation(name, module, root=root, internal=frozenset({name.split(".")[0]}), kind="module")
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
    return Implementation(name, package, problems=[problem], kind="module")


def _stems(root):
    return sorted(f[:-3] for f in os.listdir(root) if f.endswith(".py") and f != "__init__.py"
                  and f[:-3].isidentifier())


# The files that make a folder a book-style common/ package (a chapter folder has only scripts).
CORE_MODULES = ("layers", "functions", "optimizer", "gradient", "util")


def book_dir(path):
    """The folder that holds the book's files: ``path`` itself or ``path/common``; None where
    neither holds one of the book's core files (``CORE_MODULES``)."""
    for candidate in (path, os.path.join(path, "common")):
        if any(os.path.isfile(os.path.join(candidate, f"{m}.py")) for m in CORE_MODULES):
            return os.path.abspath(candidate)
    return None


SCRIPT_WORK = ("a loop", "a call", "a with block")  # importing never runs a main block anyway


def _does_work(path):
    """The definitions reading of a file (``parity.definitions``) where it does work at top level
    (a training script in the folder), else None: such a file is read, never run."""
    from parity import definitions

    with open(path, encoding="utf-8", errors="replace") as f:
        source = f.read()
    cell = definitions.Cell(1, source, label=os.path.basename(path), filename=path)
    reading = definitions.read([cell])
    # a script: a top-level loop, call or with block (a module may compute its constants with calls)
    work = [o for o in reading.left_out if o.why in SCRIPT_WORK]
    return reading if work and not reading.errors else None


class _DefinitionsLoader(importlib.abc.Loader):
    """Loads a folder's file that does top-level work by running only its kept statements."""

    def __init__(self, reading):
        self.reading = reading

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        import ast

        for s in self.reading.kept:
            if s.kind == "path":
                continue  # the folder's own modules resolve through the aliases already
            exec(compile(ast.Module([s.node], type_ignores=[]), module.__file__, "exec"), module.__dict__)  # noqa: S102


class _WorkFiles(importlib.abc.MetaPathFinder):
    def __init__(self, pkg_name, readings, root):
        self.pkg_name, self.readings, self.root = pkg_name, readings, root

    def find_spec(self, fullname, path=None, target=None):
        head, _, stem = fullname.rpartition(".")
        if head != self.pkg_name or stem not in self.readings:
            return None
        return importlib.util.spec_from_file_location(fullname, os.path.join(self.root, f"{stem}.py"),
                                                      loader=_DefinitionsLoader(self.readings[stem]))


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
    root = book_dir(path)
    if root is None:
        raise ValueError(f"implementation directory {path!r} holds none of the book's files "
                         f"({', '.join(m + '.py' for m in CORE_MODULES)}), nor does {os.path.join(path, 'common')!r}")
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
    impl = Implementation(root, package, root=root, internal=internal, kind="folder")
    readings = {stem: r for stem in stems if (r := _does_work(os.path.join(root, f"{stem}.py"))) is not None}
    for r in readings.values():
        impl.left_out += [o for o in r.left_out]
    work_files = _WorkFiles(pkg_name, readings, root)
    sys.meta_path.insert(0, work_files)
    with aliases(pkg_name, package, stems, root, own_name):
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
    sys.meta_path.remove(work_files)
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


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
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


class aliases:
    """Context: the alias finder first on sys.meta_path; sys.modules and sys.path restored after."""

    def __init__(self, pkg_name, package, stems, root, own_name):
        self.finder = AliasFinder(pkg_name, stems, own_name)
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
