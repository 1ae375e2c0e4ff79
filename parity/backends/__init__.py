"""One adapter package per framework, imported lazily (only when its checks run).

- ``parity.backends.torch``: ``layers`` (torch counterparts of the book's layers, configured to the
  book's semantics), ``optimizers`` (``make_optimizer``), ``initializers``.
- ``parity.backends.keras``: the same for Keras 3 on whichever backend ``KERAS_BACKEND`` selects.
"""
