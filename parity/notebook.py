"""A Jupyter notebook (read with ``nbformat``) or a plain script, read for its definitions and
never run: the kept statements of ``parity.definitions`` are executed into one namespace, cell by
cell, and everything else is listed as left out.

- Path set-up is honoured relative to the notebook's folder: after ``sys.path.append(os.pardir)``,
  ``from common.layers import *`` resolves to the learner's own ``common/`` in the parent folder
  (loaded as a folder implementation, ``parity.folder``, so it never mixes with another one), and
  ``from layers import *`` to a ``layers.py`` in any of the added folders. Other imports see the
  added folders on ``sys.path`` while they run, and only then.
- Every definition (def, class, a lambda or other callable bound at top level) is recorded with
  its cell ("cell 7"); a name defined in several cells keeps every definition, in order.
- An object imported from the learner's folders keeps its file and line, relative to the notebook
  ("../common/layers.py:112").
- Problems: a notebook that cannot be read (not JSON, not a notebook), a cell that does not parse
  (its number and the error), a kept statement that raised (the cell, line and error: an import
  the definitions need that is not there). Each fails the check.

Cells are numbered 1, 2, ... over all cells of the notebook, markdown included, as a reader
counts them in the notebook's own order.
"""
import ast
import contextlib
import hashlib
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import traceback
import types

from parity import definitions as defs_
from parity import provenance
from parity.impl import Definition, Implementation, Problem, _namespace_package

_LOADED = {}


def cells_of(path):
    """[Cell] of a notebook (its code cells, numbered among all cells) or a script (one cell)."""
    if path.endswith(".py"):
        with open(path, encoding="utf-8", errors="replace") as f:
            return [defs_.Cell(1, f.read(), label=os.path.basename(path), filename=path)]
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    base = os.path.basename(path)
    return [defs_.Cell(i, cell.source, filename=f"{base} [cell {i}]")
            for i, cell in enumerate(notebook.cells, start=1) if cell.cell_type == "code"]


class _PathSetup:
    """The folders the notebook adds to its import path, evaluated as if it ran in its own folder."""

    def __init__(self, folder):
        self.folder = folder
        self.cwd = folder
        self.dirs = []

    def apply(self, node, where):
        """Evaluate ``sys.path.append(...)`` / ``insert`` / ``os.chdir`` (one kept statement);
        returns a note."""
        call = node.value
        arg = call.args[-1] if call.args else None
        code = compile(ast.Expression(arg), "<path set-up>", "eval")
        previous = os.getcwd()
        try:
            os.chdir(self.cwd)  # os.getcwd() and os.path.abspath in the expression see the notebook's folder
            value = eval(code, {"os": os, "sys": sys, "__file__": os.path.join(self.folder, "x")})  # noqa: S307
            value = os.path.abspath(os.fspath(value))
        finally:
            os.chdir(previous)
        if call.func.attr == "chdir":
            self.cwd = value
            return f"{where}: os.chdir honoured: relative paths now from {value}"
        if value not in self.dirs:
            self.dirs.append(value)
        exists = "" if os.path.isdir(value) else " (no such folder here)"
        return f"{where}: sys.path.{call.func.attr} honoured: {os.path.relpath(value, self.folder)}{exists}"


class _LearnerImports:
    """Context for one kept import: ``common`` / ``common.x`` and the book's file names resolve to
    the learner's folders among the added ones (each loaded as a folder implementation); other
    imports see the added folders at the end of ``sys.path``."""

    def __init__(self, setup, problems, notebook):
        self.setup = setup
        self.problems = problems
        self.notebook = notebook
        self.finder = None

    def _folders(self):
        """[(folder implementation, the package name it stands for)] in sys.path order."""
        from parity import folder as folder_loader

        out = []
        for d in [self.setup.cwd, *self.setup.dirs]:
            for candidate, alias in ((os.path.join(d, "common"), "common"), (d, None)):
                try:
                    impl = folder_loader.load_folder(candidate) if os.path.isdir(candidate) and any(
                        os.path.isfile(os.path.join(candidate, f"{m}.py")) for m in provenance.BOOK_MODULES) else None
                except ValueError:
                    impl = None
                if impl is not None:
                    out.append((impl, alias))
                    self._adopt(impl)
        return out

    def _adopt(self, impl):
        """The learner's folder's own problems become the notebook's (paths relative to it)."""
        for p in impl.problems:
            rel = os.path.relpath(os.path.join(impl.root, p.file), self.notebook)
            moved = Problem(p.kind, p.module, rel, p.line, p.message, p.detail)
            if moved not in self.problems:
                self.problems.append(moved)

    def __enter__(self):
        self.finder = _LearnerFinder(self._folders())
        self.saved_path = list(sys.path)
        self.saved = {n: sys.modules.pop(n) for n in list(sys.modules) if self._aliased(n)}
        sys.path.extend(d for d in self.setup.dirs if d not in sys.path)
        sys.meta_path.insert(0, self.finder)
        return self

    def _aliased(self, name):
        return name == "common" or name.startswith("common.") or name in provenance.BOOK_MODULES

    def __exit__(self, *exc):
        sys.meta_path.remove(self.finder)
        sys.path[:] = self.saved_path
        for n in [n for n in sys.modules if self._aliased(n)]:
            del sys.modules[n]
        sys.modules.update(self.saved)
        importlib.invalidate_caches()
        return False


class _LearnerFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``common`` / ``common.x`` to the first learner folder named common (a ``common.y`` it lacks
    is a ModuleNotFoundError); a plain book file name (``layers``) to the first flat folder that
    has it."""

    def __init__(self, folders):
        self.folders = [(impl.package.__name__, {n for n, m in vars(impl.package).items()
                                                 if isinstance(m, types.ModuleType)}, alias == "common")
                        for impl, alias in folders]

    def _target(self, fullname):
        head, _, rest = fullname.partition(".")
        for package, stems, is_common in self.folders:
            if is_common and head == "common":
                if not rest:
                    return package
                return f"{package}.{rest}" if rest in stems else ""
            if not is_common and not rest and head in stems:
                return f"{package}.{head}"
        return None

    def find_spec(self, fullname, path=None, target=None):
        target_name = self._target(fullname)
        if target_name is None:
            return None
        if target_name == "":
            raise ModuleNotFoundError(f"No module named {fullname!r} (the learner's common/ has no "
                                      f"{fullname.partition('.')[2]}.py)", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package="." not in target_name)

    def create_module(self, spec):
        module = importlib.import_module(self._target(spec.name))
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._own_spec  # NOTE: as parity.folder.AliasFinder: keep the module's own spec


def _error_line(error, filename, default):
    line = default
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno or line
    return line


def load_scripts(folder):
    """A folder of scripts (the book's chapter folders: ``simple_convnet.py`` beside
    ``train_convnet.py``, both importing ``../common``): every ``.py`` file read as a script, one
    namespace, each definition labelled with its file and line."""
    return load_notebook(folder, scripts=True)


def load_notebook(path, scripts=False):
    """The Implementation of the notebook or script at ``path`` (read once per process); with
    ``scripts``, of every script in the folder ``path``."""
    path = os.path.abspath(path)
    if path in _LOADED:
        return _LOADED[path]
    folder = path if scripts else os.path.dirname(path)
    kind = "script" if scripts or path.endswith(".py") else "notebook"
    name = "_parity_nb_" + hashlib.sha1(path.encode()).hexdigest()[:12]
    namespace = types.ModuleType(name)
    namespace.__file__ = path
    sys.modules[name] = namespace
    impl = Implementation(path, _namespace_package(name, namespace), kind=kind, own_dirs=(folder,))
    try:
        cells = [c for f in sorted(os.listdir(path)) if f.endswith(".py") and not f.startswith(".")
                 for c in cells_of(os.path.join(path, f))] if scripts else cells_of(path)
    except Exception as e:  # noqa: BLE001 -- not JSON, not a notebook, unreadable: named, not raised
        impl.problems.append(Problem("read-error", "", os.path.basename(path), 0,
                                     f"cannot be read as a {kind}: {type(e).__name__}: {e}"))
        _LOADED[path] = impl
        return impl
    reading = defs_.read(cells)
    impl.left_out = reading.left_out
    for err in reading.errors:
        impl.problems.append(Problem("read-error", err.cell, _cell_file(err.where), _cell_line(err.where), err.message))
    setup = _PathSetup(folder)
    for s in reading.kept:
        if s.kind == "path":
            try:
                impl.notes.append(setup.apply(s.node, s.where))
            except Exception as e:  # noqa: BLE001
                impl.problems.append(Problem("definition-error", s.cell.name, _cell_file(s.where), s.line,
                                             f"path set-up {type(e).__name__}: {e}"))
            continue
        filename = s.cell.filename or s.cell.name
        code = compile(ast.Module([s.node], type_ignores=[]), filename, "exec")
        context = _LearnerImports(setup, impl.problems, folder) if s.kind in ("import", "block") \
            else contextlib.nullcontext()
        try:
            with context:
                exec(code, namespace.__dict__)  # noqa: S102 -- a kept definition, never top-level work
        except Exception as e:  # noqa: BLE001 -- the cell, line and error, then the next statement
            line = _error_line(e, filename, s.line)
            where = _cell_file(s.cell.where(line))
            impl.problems.append(Problem("definition-error", s.cell.name, where, _cell_line(s.cell.where(line)),
                                         f"{type(e).__name__}: {e}", defs_._first_line(s.cell, s.node)))
            continue
        for bound in s.names:
            obj = namespace.__dict__.get(bound)
            if callable(obj) and s.kind in ("def", "class", "constant", "block"):
                impl.definitions.setdefault(bound, []).append(Definition(obj, s.cell.name if kind == "notebook"
                                                                         else f"{s.cell.label}:{s.line}"))
    for where, defined, names in reading.unbound:  # star imports bind names no reading can see: ask the namespace
        names = [n for n in names if n not in namespace.__dict__]
        if names:
            impl.notes.append(f"{where}: {defined} uses {', '.join(names)}, which no kept cell defines or imports "
                              f"(calling it will raise NameError)")
    _adopt_imported(impl, namespace, folder, setup)
    impl.own_dirs = tuple(dict.fromkeys([folder, *setup.dirs]))
    _LOADED[path] = impl
    return impl


def _adopt_imported(impl, namespace, folder, setup):
    """Names the notebook imported from the learner's folders (``from common.layers import *``)
    become definitions too, with their file and line relative to the notebook's folder."""
    for name, obj in vars(namespace).items():
        if name in impl.definitions or name.startswith("_") or not callable(obj):
            continue
        module = getattr(obj, "__module__", "") or ""
        if not module.startswith("_parity_impl_"):
            if module.split(".")[0] in ("reference", "parity", "harness"):
                impl.definitions[name] = [Definition(obj, provenance.describe_location(*provenance.location(obj)))]
            continue
        path, line = provenance.location(obj)
        where = provenance.describe_location(os.path.relpath(path, folder) if path else "", line)
        impl.definitions[name] = [Definition(obj, where)]


def _cell_file(where):
    """"cell 7" from "cell 7, line 3"; "train.py" from "train.py:12"."""
    return where.split(", line")[0] if where.startswith("cell ") else where.rpartition(":")[0]


def _cell_line(where):
    tail = where.rpartition(" ")[2] if where.startswith("cell ") else where.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
