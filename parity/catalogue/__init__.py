"""The one table of known differences between the book and the frameworks, and its measurement.

- ``table``: the rows, as data: the framework(s) and Keras backend(s) concerned, the registry
  component, the framework's default configuration and the book-matching one as builder
  arguments, the residual band no configuration removes, its reason, the fact's source, and the
  reference edited to compute the framework's default (the ``check`` tool's diagnosis variants).
- ``measure``: each row measured by the component's own runner (``parity.runners``) under both
  configurations; ``audit`` names the rows that no longer hold (stale, fix-failed, residual moved).
- ``derive``: what the rest of the engine reads from the table: the registry's known differences
  (``known_for``) and the diagnosis variants (``variants``).

    >>> from parity.catalogue import measure
    >>> [r["status"] for r in measure.measure_all(frameworks=("torch",), ids=("sgd-lr",))]
    ['removed']
"""
