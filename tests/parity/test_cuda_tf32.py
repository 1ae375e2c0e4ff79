"""On a CUDA GPU, float32 matmul and convolution may run in TF32. The suite runs with TF32 off
(tests/conftest.py); here the float32 torch checks of the matmul/conv rows run on the GPU with TF32
off (they must pass at the float32 tolerances) and on (their errors are reported next to the
TF32-off ones: TF32 rounds the operands to 10 mantissa bits, so it can only lose accuracy).
Skipped where no GPU is visible."""
import pytest

from parity import numerics
from parity.runners.runner import run
from parity.registry import get

MATMUL_ROWS = ("Affine", "Convolution")


def _gpu():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU visible (torch.cuda.is_available() is False)")
    return torch


def _worst(records):
    return max(r.max_abs_err for r in records if r.check != "dtype")


@pytest.mark.cuda
@pytest.mark.torch
@pytest.mark.parametrize("name", MATMUL_ROWS)
def test_float32_on_gpu_with_tf32_off_and_on(name, record_property):
    _gpu()
    row = get(name)
    with numerics.torch_tf32(False):
        off = run(row, "torch", "float32", "reference", "cuda")
        assert numerics.STATE["torch_tf32_matmul"] is False
    with numerics.torch_tf32(True):
        on = run(row, "torch", "float32", "reference", "cuda")
        assert numerics.STATE["torch_tf32_matmul"] is True
    assert numerics.STATE["torch_tf32_matmul"] is False  # restored for the rest of the run
    bad = [r.message for r in off if r.status != "pass"]
    assert not bad, "\n".join(bad)
    record_property("worst_abs_err_tf32_off", _worst(off))
    record_property("worst_abs_err_tf32_on", _worst(on))
    print(f"{name} float32 on cuda: worst abs err TF32 off {_worst(off):.3g}, TF32 on {_worst(on):.3g}; "
          f"TF32-on failures: {sum(r.status == 'fail' for r in on)} of {len(on)}")


def test_tf32_switch_restores_the_state():
    pytest.importorskip("torch")
    import torch

    before = torch.backends.cuda.matmul.allow_tf32
    with numerics.torch_tf32(not before):
        assert torch.backends.cuda.matmul.allow_tf32 is (not before)
        assert torch.backends.cudnn.allow_tf32 is (not before)
    assert torch.backends.cuda.matmul.allow_tf32 is before
