"""The SimpleConvNet benchmark compares like with like: its torch net, built from the reference
net's weights, computes the reference's loss and gradients (float64), and a net built from other
weights does not (the comparison can fail)."""
import numpy as np
import pytest

from harness.bench import make_convnet, torch_convnet

torch = pytest.importorskip("torch", reason="the benchmark's counterpart is a torch net")

# float64 convolutions and matmuls summed in other orders: relative differences ~1e-15 * sqrt(K)
# for K <= 4320 terms; 1e-10 leaves a wide margin and still catches any wrong weight or layout.
RTOL = 1e-10


def torch_loss_and_grads(model, x, t):
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(t))
    loss.backward()
    grads = {"W1": model[0].weight.grad.numpy(), "b1": model[0].bias.grad.numpy(),
             "W2": model[4].weight.grad.numpy().T, "b2": model[4].bias.grad.numpy(),
             "W3": model[6].weight.grad.numpy().T, "b3": model[6].bias.grad.numpy()}
    return float(loss.detach()), grads


def batch():
    rng = np.random.default_rng(0)
    return rng.random((8, 1, 28, 28)), rng.integers(0, 10, 8)


def relative_error(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300))


def guard_free_loss(net, x, t):
    """The reference's loss without cross_entropy_error's 1e-7 inside the log (torch has none; the
    guard moves the loss by about 1e-7 / y_t, while backprop, both sides, ignores it)."""
    net.loss(x, t)
    y = net.last_layer.y
    return float(-np.mean(np.log(y[np.arange(len(t)), t])))


def test_torch_convnet_matches_the_reference_step():
    net = make_convnet(np.float64)
    x, t = batch()
    loss, grads = torch_loss_and_grads(torch_convnet(torch, net), x, t)
    assert loss == pytest.approx(guard_free_loss(net, x, t), rel=RTOL)
    ref = net.gradient(x, t)
    errors = {k: relative_error(grads[k], ref[k]) for k in ref}
    assert max(errors.values()) < RTOL, errors


def test_torch_convnet_from_other_weights_differs():
    x, t = batch()
    loss, _ = torch_loss_and_grads(torch_convnet(torch, make_convnet(np.float64, seed=1)), x, t)
    assert loss != pytest.approx(guard_free_loss(make_convnet(np.float64), x, t), rel=RTOL)
