"""The HTML report in a real browser: headless Chromium loads a short --quick report from disk,
the DOM it built holds the tables and every embedded PNG decoded (naturalWidth > 0), and the
screenshot is a rendered page, not a blank one.

Skipped with the reason where Chromium is not installed (scripts/setup.sh SETUP_BROWSER=1
installs Debian's ``chromium``).
"""
import os
from pathlib import Path
import re
import shutil
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--virtual-time-budget=10000"]
# Written into the page copy the test loads: after load, each image's decoded width lands in the DOM.
PROBE = ("<script>window.addEventListener('load', () => document.querySelectorAll('img').forEach("
         "im => im.setAttribute('data-natural-width', im.naturalWidth)));</script>")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh SETUP_BROWSER=1)")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A --quick report cut to two experiments and a few components of each kind."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("report")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "report", "--quick", "--out", str(out), "--no-progress",
         "--experiments", "two_layer_relu,four_layer_bn_adam", "--iters", "60", "--seed-iters", "40",
         "--components", "Affine,BatchNormalization-train,softmax,Adam,AdaGrad,init-he", "--keras-backends", "tensorflow"],
        cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def _chromium(tmp_path, *args):
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_page_loads_with_tables_and_decoded_images(report, tmp_path):
    page = (report / "index.html").read_text()
    probe = report / "probe.html"  # beside the page: its images are files linked by relative paths
    probe.write_text(page.replace("</body>", PROBE + "</body>"))
    dom = _chromium(tmp_path, "--dump-dom", probe.as_uri())
    n_images = page.count("<img ")
    assert n_images == 3  # two experiments and the seeds sweep
    widths = [int(w) for w in re.findall(r'data-natural-width="(\d+)"', dom)]
    assert len(widths) == n_images and all(w > 500 for w in widths), widths
    assert dom.count("<table") == page.count("<table") >= 8
    for heading in ("1. Headline", "2. Op-level parity matrix", "3. Coverage", "4. Known differences",
                    "5. Experiments", "6. Seeds sweep", "7. Environment"):
        assert heading in dom
    assert '<tr class="pass">' in dom


def test_screenshot_is_a_rendered_page(report, tmp_path):
    Image = pytest.importorskip("PIL.Image")
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,4000", (report / "index.html").as_uri())
    image = Image.open(shot).convert("RGB")
    assert image.size == (1400, 4000)
    top = image.crop((0, 0, 1400, 1200))
    colours = top.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # text, table colours, not a blank page
    white = max(count for count, rgb in colours if rgb == (255, 255, 255)) if any(
        rgb == (255, 255, 255) for _, rgb in colours) else 0
    assert white < 0.95 * 1400 * 1200
    # the pass rows' green is on screen (the headline and matrix tables rendered with their style)
    assert any(rgb == (0xee, 0xfb, 0xea) for _, rgb in colours)
    # and the first screen shows the grid: its pass cells' green and the known cells' amber
    first_screen = image.crop((0, 0, 1400, 900)).getcolors(maxcolors=1 << 20)
    assert any(rgb == (0xc9, 0xef, 0xc1) for _, rgb in first_screen)
    assert any(rgb == (0xff, 0xe3, 0x9a) for _, rgb in first_screen)  # AdaGrad's known difference in Keras
    if os.environ.get("REPORT_SCREENSHOT"):  # keep it to look at: REPORT_SCREENSHOT=path
        shutil.copy(shot, os.environ["REPORT_SCREENSHOT"])
