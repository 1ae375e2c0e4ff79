"""PyTorch adapter: ``layers``, ``optimizers``, ``initializers`` submodules (import them directly)."""
