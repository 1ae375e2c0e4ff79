"""Keras 3 adapter (any backend): ``layers``, ``optimizers``, ``initializers`` submodules (import them directly)."""
