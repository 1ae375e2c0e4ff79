"""``parity.run_checks``: the table it returns, framework skips as records, the numerical
framework, unknown names as ValueErrors, implementations given as folders."""
import pandas as pd
import pytest

import parity
from parity.records import Record


def test_table_has_one_row_per_case_and_check():
    df = parity.run_checks(frameworks=("numerical",), components=["Affine", "softmax"])
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(Record.__dataclass_fields__)
    affine = df[(df.component == "Affine") & (df.dtype == "float64") & (df.status != "skipped")]
    assert set(affine.check) == {"dx", "dW", "db"} and (affine.status == "pass").all()
    assert df[df.component == "softmax"].empty  # no numerical gradient for functions


def test_missing_framework_gives_skipped_records_with_reason(monkeypatch):
    from parity.runners import runner

    monkeypatch.setattr(runner, "missing_reason", lambda fw, device="cpu": f"{fw} is not installed")
    df = parity.run_checks(frameworks=("torch",), dtypes=("float64",), components=["Relu"])
    assert len(df) == 3 * 2 and (df.status == "skipped").all()
    assert df.message.str.contains("torch is not installed").all()


def test_cuda_without_gpu_is_skipped_not_raised():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: nothing to skip")
    df = parity.run_checks(frameworks=("torch",), dtypes=("float64",), components=["Tanh"], device="cuda")
    assert (df.status == "skipped").all() and df.message.str.contains("CUDA").all()


def test_unknown_component_or_framework_is_a_value_error():
    with pytest.raises(ValueError, match="NoSuchLayer"):
        parity.run_checks(components=["NoSuchLayer"])
    with pytest.raises(ValueError, match="mxnet"):
        parity.run_checks(frameworks=("mxnet",), components=["Relu"])


def test_folder_implementation_is_accepted(tmp_path):
    folder = tmp_path / "common"
    folder.mkdir()
    (folder / "functions.py").write_text(
        "import numpy as np\n"
        "def softmax(x):\n"
        "    x = x - x.max(axis=-1, keepdims=True)\n"
        "    return np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)\n")
    (folder / "layers.py").write_text(
        "from common.functions import softmax\n"
        "class Relu:\n"
        "    def forward(self, x):\n"
        "        self.mask = x <= 0\n"
        "        out = x.copy(); out[self.mask] = 0\n"
        "        return out\n"
        "    def backward(self, dout):\n"
        "        dx = dout.copy(); dx[self.mask] = 0\n"
        "        return dx\n")
    pytest.importorskip("torch")
    df = parity.run_checks(impl=str(tmp_path), frameworks=("torch",), components=["Relu", "softmax", "Affine"])
    assert (df[df.component.isin(["Relu", "softmax"])].status == "pass").all()
    assert (df[df.component == "Affine"].status == "missing").all()
    assert (df.impl == str(folder)).all()
