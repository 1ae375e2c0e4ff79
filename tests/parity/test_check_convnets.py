"""The book's convolutional nets as learners keep them: a chapter folder (``ch07/``) holding
``simple_convnet.py`` and a training script beside it, both importing ``../common``; the check
builds the net small from its signature (or, where the class only runs at the book's sizes, at
those), checks its gradient against central differences and torch autograd and its forward
against the reference, and never runs the training script."""
import os

import pytest

from parity.verify.patch import Edit, book_style, reference_copy
from parity.verify.suite import check

pytestmark = pytest.mark.torch
FAST = ("torch", "numerical")
REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "reference")


@pytest.fixture(autouse=True)
def _torch():
    pytest.importorskip("torch")


def chapter(tmp_path, name, edits=(), marker=None):
    """tmp_path/common (the reference, book-style) and tmp_path/ch/<name>.py beside a training
    script that would write ``marker`` if it ever ran."""
    reference_copy(tmp_path / "common")
    ch = tmp_path / "ch"
    ch.mkdir()
    text = "import sys, os\nsys.path.append(os.pardir)\n" + book_style(open(os.path.join(REFERENCE, f"{name}.py")).read())
    for e in edits:
        assert text.count(e.old) == 1, e.old
        text = text.replace(e.old, e.new)
    (ch / f"{name}.py").write_text(text)
    (ch / "train_convnet.py").write_text(
        "import sys, os\nsys.path.append(os.pardir)\nimport numpy as np\n"
        f"from {name} import *\nfrom dataset.mnist import load_mnist\n\n"
        "(x_train, t_train), (x_test, t_test) = load_mnist(flatten=False)\n"
        f"for i in range(3):\n    open({str(marker)!r}, 'w').write('the training script ran')\n")
    return str(ch)


def test_a_chapter_folder_checks_its_conv_net_and_never_runs_the_training_script(tmp_path):
    marker = tmp_path / "ran"
    folder = chapter(tmp_path, "simple_convnet", marker=marker)
    result = check(folder, frameworks=FAST, dtypes=("float64",), kinds=("net",))
    s = result.summary("SimpleConvNet")
    assert s.status == "pass" and s.provenance.startswith("simple_convnet.py:"), result.render()
    assert {r.check for r in s.records if r.status == "pass"} >= {"W1", "W2", "W3", "forward", "predict", "accuracy"}
    assert not marker.exists()
    assert any(o.where.startswith("train_convnet.py:") and o.why == "a loop" for o in result.left_out)


def test_a_planted_conv_fault_is_named_by_parameter(tmp_path):
    folder = chapter(tmp_path, "simple_convnet")  # the filter gradient without its transpose, in ../common:
    (tmp_path / "common" / "layers.py").write_text((tmp_path / "common" / "layers.py").read_text().replace(
        "np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)", "np.dot(self.col.T, dout).reshape(FN, C, FH, FW)"))
    s = check(folder, frameworks=FAST, dtypes=("float64",), kinds=("net",)).summary("SimpleConvNet")
    assert s.status == "FAIL" and "first divergent in backprop order: W1 (Conv1)" in s.message


def test_a_net_that_only_runs_at_the_books_sizes_is_checked_there(tmp_path):
    """The book's DeepConvNet sizes its first affine as 64*4*4 whatever its input: at the check's
    small sizes its loss raises, so it is checked at 1x28x28 with its own filters, the numerical
    gradient on sampled elements (or, where kinks are unavoidable, torch autograd alone)."""
    folder = chapter(tmp_path, "deep_convnet", [Edit(
        "x", 'self.params["W7"] = init_weight(weight_init_std, (channels * height * width, hidden_size), rng, dtype)',
        'self.params["W7"] = init_weight(weight_init_std, (64 * 4 * 4, hidden_size), rng, dtype)')])
    s = check(folder, frameworks=FAST, dtypes=("float64",), kinds=("net",)).summary("DeepConvNet")
    assert s.status == "pass", s.message
    assert any("checked at the book's own sizes instead" in n and "input_dim=(1, 28, 28)" in n for n in s.notes), s.notes
    assert any(r.framework == "torch" and r.check == "W1" and r.status == "pass" for r in s.records)
    assert {r.check: r.status for r in s.records if r.framework == "reference"} == {"forward": "pass", "predict": "pass"}
