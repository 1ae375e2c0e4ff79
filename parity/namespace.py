"""A live namespace as an implementation: ``parity.check(globals())`` in Jupyter, Colab or a REPL,
or a dict, a module object, a ``types.SimpleNamespace``. Nothing is read from files: the
components are the callables it holds, found by their book names (``Affine``, ``softmax``,
``Adam``, ...), and the nets among its classes.

Provenance: a class or function typed into a kernel says the cell it came from — IPython keeps
every executed cell in ``In`` (and in ``linecache``), so the cell whose text holds the definition
is named as "In [7]"; an object imported from a file keeps its file and line. Objects of the shipped
packages (``reference``, ``parity``) are reported as outside, never checked as the user's.

Checks of a namespace run in children forked from this process (nothing can be loaded again by a
name), see ``parity.verify.isolate``.
"""
import builtins
import re
import types

from parity import provenance
from parity.impl import Definition, Implementation, _namespace_package


def _cell_of(name, obj, inputs):
    """"In [7]" for a definition typed into IPython: the last executed cell that defines ``name``
    (``def name`` / ``class name`` / ``name = ...``)."""
    kind = "class" if isinstance(obj, type) else "def"
    pattern = re.compile(rf"^\s*(?:{kind}\s+{re.escape(name)}\b|{re.escape(name)}\s*=)", re.MULTILINE)
    for n in range(len(inputs) - 1, 0, -1):
        if pattern.search(inputs[n] or ""):
            return f"In [{n}]"
    return ""


def _where(name, obj, inputs):
    cell = _cell_of(name, obj, inputs) if inputs else ""
    if cell:
        return cell
    path, line = provenance.location(obj)
    return provenance.describe_location(path, line) or getattr(obj, "__module__", "") or "?"


def load_namespace(target, name=None):
    """The Implementation of a dict (``globals()``), module or SimpleNamespace."""
    if isinstance(target, dict):
        values = target
    else:
        values = vars(target)
    inputs = values.get("In") if isinstance(values.get("In"), list) else None
    namespace = types.ModuleType("_parity_namespace")
    namespace.__dict__.update({k: v for k, v in values.items() if not k.startswith("__")})
    label = name or ("<globals>" if isinstance(target, dict) else f"<{getattr(target, '__name__', 'namespace')}>")
    impl = Implementation(label, _namespace_package("_parity_namespace", namespace), kind="namespace")
    for key, obj in values.items():
        if key.startswith("_") or not callable(obj) or isinstance(obj, types.ModuleType):
            continue
        if getattr(builtins, key, None) is obj:
            continue
        impl.definitions[key] = [Definition(obj, _where(key, obj, inputs))]
    return impl
