"""Which classes of an implementation are nets under test: whatever their name (``OneLayerNet``,
``TwoLayerNet_Sigmoid``, ``MyNet``), a class is a net when its instances have ``loss(x, t)`` and
``gradient(x, t)`` (and, once built, a ``params`` dict: ``parity.verify.netbuild`` checks that).

Only the implementation's own classes count: defined in one of its files or cells, not imported
into a module from another (``from common.multi_layer_net import MultiLayerNet`` in
``multi_layer_net_extend.py`` does not make a second MultiLayerNet); names starting with "_" are
helpers, not nets. Each definition is listed with its provenance, in file / cell order.
"""
import types

from parity.impl import Definition


def is_net_class(obj):
    return (isinstance(obj, type) and not obj.__name__.startswith("_")
            and callable(getattr(obj, "loss", None)) and callable(getattr(obj, "gradient", None)))


def _modules(impl):
    prefix = impl.package.__name__ + "."
    mods = [m for m in vars(impl.package).values()
            if isinstance(m, types.ModuleType) and m.__name__.startswith(prefix)]
    return sorted({id(m): m for m in mods}.values(), key=lambda m: m.__name__)


def nets(impl):
    """{class name: [Definition]} (see the module docstring)."""
    found = {}
    if impl.reads_definitions:
        for name, defs in impl.definitions.items():
            mine = [d for d in defs if is_net_class(d.obj)]
            if mine:
                found[name] = mine
        return found
    for module in _modules(impl):
        for name, obj in vars(module).items():
            if is_net_class(obj) and obj.__module__ == module.__name__ and name == obj.__name__:
                found.setdefault(name, []).append(Definition(obj, impl.provenance(obj)))
    return found
