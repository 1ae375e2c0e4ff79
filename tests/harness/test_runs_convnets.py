"""The convolutional nets trained end to end: every framework's runner builds the book's
SimpleConvNet / DeepConvNet from the plan's weights, batches and (DeepConvNet) dropout masks, and
in float64 follows the NumPy reference's loss curve to rounding; a planted conv-gradient fault in a
user's implementation (``impl``) is caught at the first iteration and named by the forensics.

Small versions keep these fast: a 4-filter SimpleConvNet, and the book's DeepConvNet for two
iterations of batch 5 (its size is fixed by the book's six convolutions).
"""
import pytest

from harness.experiment import parse_experiment
from harness.runners import run_experiment
from harness.compare_runs import LOSS_TOLERANCE
from tests.harness.runs_support import mnist_5k, need
from tests.harness.test_runs import _keras_torch_float64
from tests.harness.test_runs_impl import _replace, user_folder

FRAMEWORKS = ("torch", "keras", "jax")
ADAM = {"name": "Adam", "lr": 0.001, "beta1": 0.9, "beta2": 0.999}
NETS = {
    "SimpleConvNet": ({"kind": "SimpleConvNet", "input_dim": [1, 28, 28], "hidden_size": 16, "output_size": 10,
                       "conv_param": {"filter_num": 4, "filter_size": 5, "pad": 0, "stride": 1},
                       "weight_init_std": 0.01},
                      {"kind": "sample_batches", "batch_size": 20, "iters": 5, "eval_every": 2, "eval_size": 40}),
    "DeepConvNet": ({"kind": "DeepConvNet", "input_dim": [1, 28, 28], "hidden_size": 50, "output_size": 10,
                     "weight_init_std": "he", "dropout_ratio": 0.5},
                    {"kind": "sample_batches", "batch_size": 5, "iters": 2, "eval_every": 1, "eval_size": 10}),
}
# float64: the same numbers computed in a different order (im2col matmul vs direct convolution, a
# 4320-long Affine sum): a few ulps per step, 1e-12 on a loss of ~2.3 leaves a factor > 1000 over
# the largest seen (4.4e-16 to 8.9e-16 over the shipped experiments) and is far below any fault.
LOSS_TOL_FLOAT64 = 1e-12


def _experiment(kind):
    network, schedule = NETS[kind]
    return parse_experiment({"name": f"tiny_{kind}", "seed": {"id": "test"}, "network": network,
                             "optimizer": ADAM, "schedule": schedule}, f"<{kind} test>")


# DeepConvNet on JAX: the XLA compile of its six-convolution step and of the evaluation takes most
# of this test's 19 s (2 shared cores; every other case here takes 0.3-8 s); the report's
# deep_convnet run covers the JAX dropout path by default.
SLOW = {("DeepConvNet", "jax")}


@pytest.mark.parametrize("kind, framework", [
    pytest.param(kind, fw, id=f"{kind}-{fw}-float64", marks=[pytest.mark.slow] if (kind, fw) in SLOW else [])
    for kind in NETS for fw in FRAMEWORKS])
def test_convnet_run_follows_the_reference_float64(kind, framework):
    need(framework)
    result = run_experiment(_experiment(kind), mnist_5k(), ("numpy", framework), "float64", seed=0)
    ref, run = result["runs"]["numpy"], result["runs"][framework]
    assert ref["status"] == "ok" and run["status"] == "ok", run.get("message")
    assert run["init_equal"] and len(run["train_loss"]) == ref["iters_planned"]
    dloss = max(abs(a - b) for a, b in zip(ref["train_loss"], run["train_loss"]))
    if _keras_torch_float64(framework):  # the registry's known difference: float64 matmul at float32 there
        assert dloss <= LOSS_TOLERANCE["float32"], f"{kind} keras[torch]: max |dloss| {dloss:.3e}"
        return
    assert dloss <= LOSS_TOL_FLOAT64, f"{kind} {framework}: max |dloss| {dloss:.3e} over {ref['train_loss']}"
    assert run["test_acc"] == ref["test_acc"] and run["eval_iters"] == ref["eval_iters"]
    assert result["verdict"][framework]["passed"]
    assert run["time_per_iter_s"] > 0


def test_dropout_masks_differ_between_passes_and_repeat_across_frameworks():
    """The plan's masks: the gradient pass and the loss pass of one step draw different masks, and a
    fresh source gives the same sequence again (what every framework's run sees)."""
    from harness.runners.plan import make_plan

    plan = make_plan(_experiment("DeepConvNet"), mnist_5k(), "float64", seed=0)
    first, again = plan.dropout_masks().step(), plan.dropout_masks().step()
    assert [m.shape for m in first] == [(5, 50), (5, 10), (5, 50), (5, 10)]
    assert all((a == b).all() for a, b in zip(first, again))
    assert not (first[0] == first[2]).all()


def _conv_folder(tmp_path, edit=None):
    """``user_folder`` (the reference as a book-style ``common`` folder) whose conv nets' ``from
    reference import params_io`` also points into the folder, with ``edit`` applied."""
    def edits(folder):
        for path in folder.glob("*.py"):
            path.write_text(path.read_text().replace("from reference import", "from common import"))
        if edit is not None:
            edit(folder)
    return user_folder(tmp_path, edit=edits)


def _transposed_filter_gradient(folder):
    """The classic port bug: dW reshaped as (FN, C, FW, FH) and swapped back (a transposed filter)."""
    _replace(folder, "layers.py", "self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)",
             "self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FW, FH).transpose(0, 1, 3, 2)")


def test_planted_conv_gradient_fault_is_caught_at_the_first_iteration(tmp_path):
    need("torch")
    folder = _conv_folder(tmp_path, edit=_transposed_filter_gradient)
    result = run_experiment(_experiment("SimpleConvNet"), mnist_5k(), ("numpy", "torch"), "float64", seed=0,
                            impl=str(folder))
    assert result["runs"]["numpy"]["impl"] == str(folder)
    cmp, verdict = result["comparison"]["torch"], result["verdict"]["torch"]
    assert cmp["first_divergent_iter"] == 0 and verdict["status"] == "parted" and not result["passed"]
    why = result["explanation"]["torch"]
    assert why["from_identical_weights"]["first_over_tolerance"]["name"] == "grad W1"


def test_users_copy_of_the_reference_convnet_trains_exactly_like_it(tmp_path):
    need("torch")
    folder = _conv_folder(tmp_path)
    result = run_experiment(_experiment("SimpleConvNet"), mnist_5k(), ("numpy", "torch"), "float64", seed=0,
                            impl=str(folder))
    assert result["runs"]["numpy"]["impl"] == str(folder) and result["runs"]["numpy"]["status"] == "ok"
    assert result["comparison"]["torch"]["first_divergent_iter"] is None and result["passed"]
