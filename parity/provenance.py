"""Where the code under test comes from: the file and line of every component, and the imports
of the implementation's modules that reach outside its own folder.

A check means something only if the code it ran is the user's. Two ways it may not be:

- the component itself is defined elsewhere: ``layers.py`` says ``from reference.layers import *``,
  so ``layers.Affine`` is the shipped reference's class (``defined_outside``);
- the component is the user's, but its module imports book code from elsewhere:
  ``multi_layer_net.py`` defines ``MultiLayerNet`` and builds it from ``reference.layers``
  (``outside_imports``). Such a module, and every module of the implementation that imports it,
  is "tainted": its components are reported as ``outside`` instead of being checked.

Only book-like names count as outside: the shipped ``reference``, the engine (``parity``,
``harness``), a ``common`` package, or one of the book's module names (``layers``, ``util``, ...)
that resolved to a file not in the folder. NumPy, the standard library and any other package are
the user's to import.

    >>> location(reference.layers.Affine, root=os.path.dirname(reference.__file__))
    ('layers.py', 88)
"""
import ast
from dataclasses import dataclass
import inspect
import os
import sys

# The book's module names (the files of its common/ package).
BOOK_MODULES = ("functions", "layers", "util", "gradient", "optimizer", "init", "multi_layer_net",
                "multi_layer_net_extend", "two_layer_net", "three_layer_net", "trainer", "simple_convnet",
                "deep_convnet")
# Top-level module names whose code, reached from outside the folder, is not the user's.
BOOKISH = frozenset({"reference", "parity", "harness", "common", *BOOK_MODULES})


@dataclass(frozen=True)
class OutsideImport:
    """An import statement of an implementation module that reaches book code outside its folder."""
    module: str        # the implementation module that imports ("multi_layer_net")
    line: int          # the line of the import statement in that module's file
    target: str        # the module it reached ("reference.layers")
    path: str          # where that module's file is

    def describe(self, file):
        return f"{file}:{self.line} imports {self.target} from {self.path}, outside the implementation"


def inside(path, root):
    """True where ``path`` lies in the folder ``root`` (both made absolute)."""
    if not path or not root:
        return False
    path, root = os.path.realpath(path), os.path.realpath(root)
    return os.path.commonpath([path, root]) == root


def location(obj, root=None):
    """(file, line) where ``obj`` (a class or function) is defined; the file relative to ``root``
    where it lies inside it, absolute otherwise; ("", 0) where it has no Python source."""
    try:
        path = inspect.getsourcefile(obj) or inspect.getfile(obj)
    except (TypeError, OSError):
        return "", 0
    try:
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError, IndexError):
        line = 0
    if root and inside(path, root):
        path = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    return path, line


def describe_location(file, line):
    return f"{file}:{line}" if file and line else (file or "")


def defined_outside(obj, root, internal):
    """The outside path:line of ``obj`` where it is book code from elsewhere, else "".

    internal: top-level module names that are the implementation's own (its package name,
    ``common`` and its file names in folder mode)."""
    module = getattr(obj, "__module__", None) or ""
    top = module.split(".")[0]
    if top not in BOOKISH or top in internal:
        return ""
    path, line = location(obj)
    if path and inside(path, root):
        return ""
    return describe_location(path or module, line)


def _import_statements(tree):
    """Every Import / ImportFrom node, except those under ``if __name__ == "__main__":``."""
    def main_guard(node):
        test = getattr(node, "test", None)
        return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__")

    stack = [tree]
    while stack:
        node = stack.pop()
        if main_guard(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_names(node):
    """[(absolute module name or None for relative, the names imported from it)] of one node."""
    if isinstance(node, ast.Import):
        return [(alias.name, ()) for alias in node.names]
    if node.level:
        return [(None, tuple(a.name for a in node.names))]
    return [(node.module, tuple(a.name for a in node.names))]


def _resolved_file(name, from_names):
    """The file of module ``name`` as imported in this process (a submodule where ``from name
    import sub`` named one), or None where it is not loaded."""
    for candidate in [f"{name}.{n}" for n in from_names if n != "*"] + [name]:
        mod = sys.modules.get(candidate)
        if mod is not None:
            return candidate, getattr(mod, "__file__", None) or "(built in)"
    return name, None


def scan(source, filename):
    """The parsed import statements of ``source``: [(line, module or None, names)]."""
    tree = ast.parse(source, filename)
    out = []
    for node in _import_statements(tree):
        for module, names in imported_names(node):
            out.append((node.lineno, module, names))
    return sorted(out, key=lambda x: x[0])


def outside_imports(stem, source, filename, root, internal):
    """The OutsideImports of one implementation module (its ``source`` text, already executed)."""
    found = []
    for line, module, names in scan(source, filename):
        if module is None:
            continue  # relative: inside the package
        top = module.split(".")[0]
        if top not in BOOKISH or top in internal:
            continue
        target, path = _resolved_file(module, names)
        if path is None or not inside(path, root):
            found.append(OutsideImport(stem, line, target, path or "(not found)"))
    return found


def own_dependencies(source, filename, internal, stems, package=None):
    """The implementation's own modules that ``source`` imports (names from ``stems``)."""
    deps = set()
    for _, module, names in scan(source, filename):
        if module is None:  # from . import layers / from .layers import Affine
            deps |= {n for n in names if n in stems}
            continue
        parts = module.split(".")
        if parts[0] in stems and len(parts) == 1:
            deps.add(parts[0])
        elif parts[0] in internal or parts[0] == package:
            if len(parts) > 1 and parts[1] in stems:
                deps.add(parts[1])
            else:
                deps |= {n for n in names if n in stems}
    return deps
