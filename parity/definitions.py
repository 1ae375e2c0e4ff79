"""Reading code the way learners write it — notebook cells or a script with definitions mixed with
data loading, training loops and plots — for its definitions only. Nothing that does work at top
level runs.

Each top-level statement of each cell is sorted (``classify``):

- kept: ``def`` / ``class``; imports; constants (a name bound to literals, names, attributes,
  lambdas and arithmetic on them: ``h = 1e-4``, ``activations = {"relu": Relu}``); an ``if`` /
  ``try`` block made only of those (``try: import cupy as np`` ...);
- path set-up, honoured: ``sys.path.append(...)`` / ``sys.path.insert(i, ...)`` and ``os.chdir``,
  evaluated as if the code ran in the notebook's folder (``os.pardir`` is the notebook's parent);
- left out, each with its place and the reason: calls (``drive.mount(...)``, ``plt.plot(...)``),
  assignments from calls (``network = TwoLayerNet(...)``, ``(x, t), _ = load_mnist()``), loops,
  ``with`` blocks, the script's main block, IPython magics (``%matplotlib inline``) and shell lines
  (``!pip install``), cell magics (``%%time``), and imports that only left-out code uses
  (``from dataset.mnist import load_mnist``, ``from google.colab import drive``).

``execute`` runs the kept statements one by one, in order, into one namespace (as the notebook
would have it after running every cell: a function defined in cell 3 sees the globals of the last
cell), recording each definition with its cell, and each statement that raised as a Problem
(cell, line, error). A cell that does not parse is a Problem with its number and the error.

    >>> cells = [Cell(1, "import numpy as np\\nx = np.zeros(3)\\ndef f(y):\\n    return np.sum(y)\\n")]
    >>> reading = read(cells)
    >>> [s.kind for s in reading.kept], [o.why for o in reading.left_out]
    (['import', 'def'], ['an assignment from a call: x = np.zeros(3)'])
"""
import ast
import builtins
from dataclasses import dataclass, field
import linecache
import os
import symtable

MAGIC_PREFIXES = {"%": "an IPython magic", "!": "a shell command"}


@dataclass(frozen=True)
class Cell:
    """One unit of source: a notebook code cell (``index``: its 1-based place among all cells) or a
    whole script (``label`` its file name)."""
    index: int
    source: str
    label: str = ""
    filename: str = ""

    @property
    def name(self):
        return self.label or f"cell {self.index}"

    def where(self, line):
        """"cell 7, line 3" / "train.py:12"."""
        if self.label:
            return f"{self.label}:{line}"
        return f"cell {self.index}, line {line}"


@dataclass(frozen=True)
class Statement:
    cell: Cell
    node: ast.stmt
    kind: str            # "def", "class", "import", "constant", "block", "path"
    names: tuple = ()

    @property
    def line(self):
        return self.node.lineno

    @property
    def where(self):
        return self.cell.where(self.line)


@dataclass(frozen=True)
class LeftOut:
    where: str
    what: str
    why: str


@dataclass(frozen=True)
class ReadError:
    """A cell that does not parse, or a kept statement that raised when executed."""
    where: str
    message: str
    cell: str = ""


@dataclass
class Reading:
    kept: list = field(default_factory=list)        # Statements, in order
    left_out: list = field(default_factory=list)    # LeftOut
    errors: list = field(default_factory=list)      # ReadError (parse errors)
    unbound: list = field(default_factory=list)     # (where, definition, [names no kept statement binds])


def _first_line(cell, node):
    text = ast.get_source_segment(cell.source, node) or ""
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


def strip_magics(cell):
    """(source with IPython magic / shell lines blanked, [LeftOut]); a cell magic (``%%``) leaves
    the whole cell out (None as the source)."""
    lines = cell.source.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.startswith("%%"):
        return None, [LeftOut(cell.where(1), first[:70], f"a cell magic ({first.split()[0]}): the whole cell")]
    out, left = [], []
    for i, line in enumerate(lines, start=1):
        stripped = line.strip()
        kind = MAGIC_PREFIXES.get(stripped[:1]) if stripped else None
        if kind:
            left.append(LeftOut(cell.where(i), stripped[:70], kind))
            out.append("")
        else:
            out.append(line)
    return "\n".join(out) + "\n", left


def _is_static(node):
    """True for an expression that computes nothing: literals, names, attributes, lambdas,
    containers and arithmetic of those."""
    if isinstance(node, (ast.Constant, ast.Name, ast.Lambda)):
        return True
    if isinstance(node, ast.Attribute):
        return _is_static(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_static(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is None or _is_static(k) for k in node.keys) and all(_is_static(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_static(node.left) and _is_static(node.right)
    if isinstance(node, ast.UnaryOp):
        return _is_static(node.operand)
    if isinstance(node, ast.Subscript):
        return _is_static(node.value) and _is_static(node.slice)
    return False


def _targets_are_names(targets):
    def names(t):
        return isinstance(t, ast.Name) or isinstance(t, (ast.Tuple, ast.List)) and all(names(e) for e in t.elts)
    return all(names(t) for t in targets)


def _bound(node):
    """The names a kept statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    if isinstance(node, ast.Import):
        return tuple((a.asname or a.name.split(".")[0]) for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return tuple((a.asname or a.name) for a in node.names)
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return tuple(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    if isinstance(node, (ast.If, ast.Try)):
        return tuple(name for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt)
                     for name in _bound(child))
    return ()


def _path_setup(node):
    """True for ``sys.path.append(...)``, ``sys.path.insert(...)``, ``os.chdir(...)``."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    f = node.value.func
    if not isinstance(f, ast.Attribute):
        return False
    if f.attr in ("append", "insert") and isinstance(f.value, ast.Attribute) and f.value.attr == "path" \
            and isinstance(f.value.value, ast.Name) and f.value.value.id == "sys":
        return True
    return f.attr == "chdir" and isinstance(f.value, ast.Name) and f.value.id == "os"


def _main_guard(node):
    t = getattr(node, "test", None)
    return isinstance(node, ast.If) and isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) \
        and t.left.id == "__name__"


def _why_left_out(node):
    if _main_guard(node):
        return "the main block (if __name__ == '__main__')"
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        return "a loop"
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return "a with block"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return "a call"
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return "an assignment from a call" if any(isinstance(n, ast.Call) for n in ast.walk(node)) \
            else "an assignment to an attribute or item"
    if isinstance(node, (ast.If, ast.Try)):
        return f"an {'if' if isinstance(node, ast.If) else 'try'} block that does work"
    return f"top-level work ({type(node).__name__})"


def classify(node):
    """The kind of a top-level statement ("def", "class", "import", "constant", "block", "path")
    or None where it does work (it is left out)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return "def"
    if isinstance(node, ast.ClassDef):
        return "class"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return "docstring"
    if isinstance(node, ast.Pass):
        return "docstring"
    if _path_setup(node):
        return "path"
    if isinstance(node, ast.Assign) and _targets_are_names(node.targets) and _is_static(node.value):
        return "constant"
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None \
            and _is_static(node.value):
        return "constant"
    if isinstance(node, (ast.If, ast.Try)) and not _main_guard(node):
        children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt)]
        handlers = [s for h in getattr(node, "handlers", ()) for s in h.body]
        if all(classify(c) in ("def", "class", "import", "constant", "docstring", "block") for c in children + handlers):
            return "block"
    return None


def _used_names(nodes):
    """Every name read anywhere inside ``nodes`` (function bodies, defaults, bases, decorators)."""
    used = set()
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                used.add(n.id)
            elif isinstance(n, ast.Attribute):
                base = n
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name):
                    used.add(base.id)
    return used


def read(cells):
    """The Reading of ``cells``: kept statements in order, what was left out and why, parse errors."""
    reading = Reading()
    candidates = []
    for cell in cells:
        source, left = strip_magics(cell)
        reading.left_out += left
        if source is None:
            continue
        try:
            tree = ast.parse(source, filename=cell.filename or cell.name)
        except SyntaxError as e:
            reading.errors.append(ReadError(cell.where(e.lineno or 0), f"SyntaxError: {e.msg}", cell.name))
            continue
        register_source(cell, source)
        for node in tree.body:
            kind = classify(node)
            if kind == "docstring":
                continue
            if kind is None:
                reading.left_out.append(LeftOut(cell.where(node.lineno), _first_line(cell, node), _why_left_out(node)))
            else:
                candidates.append(Statement(cell, node, kind, _bound(node)))
    candidates = _drop_data_constants(candidates, reading)
    used = _used_names([s.node for s in candidates if s.kind not in ("import", "path")])
    for s in candidates:
        star = isinstance(s.node, ast.ImportFrom) and any(a.name == "*" for a in s.node.names)
        future = isinstance(s.node, ast.ImportFrom) and s.node.module == "__future__"
        if s.kind == "import" and not star and not future and not set(s.names) & used:
            reading.left_out.append(LeftOut(s.where, _first_line(s.cell, s.node),
                                            "an import that only left-out code uses"))
        else:
            reading.kept.append(s)
    order = {c.name: i for i, c in enumerate(cells)}
    reading.left_out.sort(key=lambda o: _place(o.where, order))
    reading.unbound = _unbound(reading.kept)
    return reading


_BUILTINS = frozenset(dir(builtins)) | {"__name__", "__file__", "__doc__", "get_ipython", "display"}


def _drop_data_constants(candidates, reading):
    """Constants that read a name no earlier kept statement binds (``train_size = x_train.shape[0]``
    after a left-out ``load_mnist``) depend on top-level work: they are left out too."""
    kept, bound = [], set()
    for s in candidates:
        if s.kind == "constant":
            free = _used_names([s.node.value]) - bound - _BUILTINS
            if free:
                reading.left_out.append(LeftOut(s.where, _first_line(s.cell, s.node),
                                                f"a value computed from left-out work ({', '.join(sorted(free))})"))
                continue
        kept.append(s)
        bound |= set(s.names)
    return kept


def _globals_of(table):
    names = set()
    if table.get_type() == "function":
        names |= set(table.get_globals())
    for child in table.get_children():
        names |= _globals_of(child)
    return names


def _unbound(kept):
    """[(where, name, [global names it reads that no kept statement binds])] for kept defs and classes."""
    bound = {n for s in kept for n in s.names}
    out = []
    for s in kept:
        if s.kind not in ("def", "class"):
            continue
        try:
            source = ast.unparse(s.node)
            table = symtable.symtable(source, s.where, "exec")
        except (SyntaxError, ValueError):
            continue
        free = set()
        for child in table.get_children():
            free |= _globals_of(child)
            if child.get_type() == "class":
                free |= {sym.get_name() for sym in child.get_symbols() if sym.is_global() or
                         (sym.is_referenced() and not sym.is_assigned() and not sym.is_imported())}
        missing = sorted(free - bound - _BUILTINS)
        if missing:
            out.append((s.where, s.names[0], missing))
    return out


def _place(where, order):
    """A sort key for "cell 7, line 3" / "train.py:12"."""
    if where.startswith("cell "):
        cell, _, line = where.partition(", line ")
        return order.get(cell, 0), int(line or 0)
    return 0, int(where.rpartition(":")[2] or 0)


def register_source(cell, source):
    """Put the cell's text in ``linecache`` under its file name, so that ``inspect.getsource`` and
    tracebacks show the learner's code."""
    name = cell.filename or cell.name
    if name and not os.path.isfile(name):
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)


def filename(cell, notebook):
    """The file name a cell's code is compiled under: ``work.ipynb [cell 7]``."""
    return f"{notebook} [{cell.name}]" if notebook else cell.name
