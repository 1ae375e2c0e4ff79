"""The layer sequence of an experiment's network, named as the book names its layers.

Every framework's trainer builds this sequence and its ``trace`` (one forward and backward pass,
see ``harness.forensics``) names each intermediate after it, so two frameworks' traces line up
name by name:

    >>> layer_names({"hidden_size_list": [50], "activation": "relu", "use_batchnorm": False})
    [('Affine1', 'affine'), ('Relu1', 'relu'), ('Affine2', 'affine')]

A trace holds, in this order: each layer's output under its name (the last Affine's output is the
scores), ``softmax``, then ``d<name>`` (the gradient of the training loss with respect to that
output, last layer first), ``grad <key>`` per parameter (book layout), and for batch norm
``<name>.mean`` / ``<name>.var`` (the batch statistics it normalized with).
"""

ACTIVATION_LAYER = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}


def layer_names(network):
    """[(name, kind)] in forward order for an experiment's ``network`` table."""
    hidden = network["hidden_size_list"]
    names = []
    for idx in range(1, len(hidden) + 2):
        names.append((f"Affine{idx}", "affine"))
        if idx <= len(hidden):
            if network.get("use_batchnorm"):
                names.append((f"BatchNorm{idx}", "batchnorm"))
            names.append((f"{ACTIVATION_LAYER[network['activation']]}{idx}", network["activation"]))
    return names


def input_of(names):
    """{layer name: the name of the layer whose output it takes} (the first takes "x")."""
    return {name: (names[i - 1][0] if i else "x") for i, (name, _) in enumerate(names)}
