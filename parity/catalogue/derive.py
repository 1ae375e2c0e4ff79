"""What the engine reads from the table of known differences (``parity.catalogue.table``):

- ``known_for(component)``: the registry's known differences of a component, {(framework label,
  dtype, check): reason}: every row that leaves a residual under the builder's own configuration
  (the one the registry runs: no ``fix`` for that framework) on the labels its ``residual`` names,
  for the checks that show it, in its ``known_dtypes``;
- ``variants()``: the ``check`` tool's diagnosis variants, each with the row it stands for and the
  registry components it can explain; ``variant_edits(variant)``: its edits as ``Edit`` records.

This module imports only the table, so the registry can import it.
"""
from dataclasses import dataclass

from parity.catalogue.table import ROWS


@dataclass(frozen=True)
class Known:
    """A known difference as the registry holds it: why, and the table row (``catalogue_id``)."""

    reason: str
    catalogue_id: str


def _label_framework(label):
    return label.split("[", 1)[0]


def known_for(component, table=ROWS):
    """{(framework label, dtype, check): Known(reason, catalogue_id)} of ``component``'s known differences."""
    out = {}
    # rows whose fact IS the residual (fix_kind "none") name it first; a row whose band is another
    # row's residual left over (bn-epsilon on keras[torch]) does not take its reason
    for row in sorted(table, key=lambda r: r.fix_kind != "none"):
        if row.component != component or not row.residual:
            continue
        for label in row.residual:
            if row.fix.get(_label_framework(label)):
                continue  # the book configuration is not the builder's default: the registry does not meet it
            for dtype in row.known_dtypes:
                for check in row.checks:
                    out.setdefault((label, dtype, check), Known(row.residual_reason or row.reason, row.id))
    return out


def variants(table=ROWS):
    """[(variant, row, components it explains)] over the table, in table order."""
    return [(v, row, row.explains or (row.component,)) for row in table for v in row.variants]


def variant(key, table=ROWS):
    """The variant named ``key`` and its row."""
    for v, row, _ in variants(table):
        if v.key == key:
            return v, row
    raise ValueError(f"catalogue: no variant {key!r}; known: {[v.key for v, _, _ in variants(table)]}")


def variant_edits(v):
    """The variant's edits as ``parity.verify.patch.Edit`` records."""
    from parity.verify.patch import Edit

    return tuple(Edit(*e) for e in v.edits)
