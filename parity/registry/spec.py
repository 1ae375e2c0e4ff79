"""What one registry row holds. Tests, ``run_checks`` and the reports are generated from the rows."""
from dataclasses import dataclass, field
from typing import Callable, Union

from parity.tolerances import Tol


@dataclass(frozen=True)
class Component:
    """One component of the book API and how to check it.

    name: the id used in test ids and reports ("Affine", "BatchNormalization-train").
    kind: "layer", "function", "optimizer" or "initializer"; selects the runner in
        ``parity.runners.<kind>``.
    reference: where the implementation under test holds it ("layers.Affine", "optimizer.Adam").
    builder: the name of its counterpart in every framework plug-in (``parity.backends.plugin``):
        the builder function in the plug-in's ``layers`` / ``initializers``, the book's class name
        among its ``optimizers.BOOK_OPTIMIZERS``. A plug-in that has none reports the component
        as not covered, with ``note``; the row never names a framework.
    cases: the input cases (ids known to the kind's case table) the checks run on.
    checks: which quantities are compared ("forward", "dx", "dW", "db", "running_var", ...).
    dtypes: the dtypes checked.
    reduction: length K of the longest sum behind a value, as an int or a function of the case
        (used to scale tolerances; see ``parity.tolerances``).
    tol: overrides {(dtype, check): Tol(rtol, atol, reason)}; each carries its reason.
    config: the book's semantics as the frameworks must be told them (eps, momentum, ...);
        ``builder_args``: keyword arguments every framework's builder takes for this row (the
        layout matrix's padding and use_bias).
    note: one line for the report.
    known: known differences that no configuration removes, {(framework label, dtype, check):
        reason}; framework label as in records ("torch", "keras[torch]"). Such a check is
        reported with status "known" when it fails (and tests xfail strictly, so a framework that
        starts to agree shows up); they come from the table of known differences (``parity.catalogue.derive.known_for``).
    book_limits: {case id: reason} for cases the book's own published code cannot run (its
        ``Pooling`` ignores ``pad`` when it sizes the output): an implementation that raises on
        exactly such a case gets status "limit" there, a note, not an error.
    """

    name: str
    kind: str
    reference: str
    builder: str
    cases: tuple
    checks: tuple
    dtypes: tuple = ("float64", "float32")
    reduction: Union[int, Callable] = 1
    tol: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    note: str = ""
    known: dict = field(default_factory=dict)
    book_limits: dict = field(default_factory=dict)

    def known_reason(self, framework_label, dtype, check):
        """The reason this (framework, dtype, check) is a known difference, or None."""
        known = self.known_difference(framework_label, dtype, check)
        if not known:
            return None
        return f"{known.reason} (catalogue {known.catalogue_id})" if known.catalogue_id else known.reason

    def known_difference(self, framework_label, dtype, check):
        """The known difference (``parity.catalogue.derive.Known``: reason, catalogue_id) or None; a
        key with framework "*" holds for every framework (a difference of the book's, not a framework's)."""
        return (self.known.get((framework_label, str(dtype), check))
                or self.known.get(("*", str(dtype), check)))

    def override(self, dtype, check):
        return self.tol.get((dtype, check))

    def reduction_for(self, case):
        return self.reduction(case) if callable(self.reduction) else self.reduction


def with_known(rows):
    """The rows with their known differences from the table of known differences
    (``parity.catalogue.derive.known_for``, restricted to each row's checks); a row never lists its own."""
    from dataclasses import replace

    from parity.catalogue.derive import known_for

    out = []
    for row in rows:
        if row.known:
            raise ValueError(f"registry row {row.name}: known differences come from parity.catalogue.table, not the row")
        out.append(replace(row, known={k: v for k, v in known_for(row.name).items() if k[2] in row.checks}))
    return tuple(out)


__all__ = ["Component", "Tol", "with_known"]
