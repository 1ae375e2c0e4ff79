"""Check runners, one module per component kind: layers, functions, optimizers, initializers."""
