"""Downloads against a local HTTP server on 127.0.0.1: success, cache reuse,
corrupt file, interrupted transfer, two concurrent downloads."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from harness.data import DataError, DataUnavailableError, load_dataset, resolve_dataset
from harness.data.checksums import IDX_FILES, TEST_LABELS, TRAIN_IMAGES, sha256_hex
from harness.data.download import download_file
from harness.data.idx import write_idx_gz
from harness.data.sources import cache_dir
from harness.data.testing import isolate, write_tiny_idx_set

pytestmark = pytest.mark.network


class Mirror:
    """Serves files from a folder; ``short[name] = n`` declares n extra bytes then hangs up."""

    def __init__(self, root: Path):
        self.root, self.short, self.requests = root, {}, []
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                mirror.requests.append(name)
                path = mirror.root / name
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + mirror.short.get(name, 0)))
                self.end_headers()
                self.wfile.write(body)  # HTTP/1.0: the connection closes after this

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/files/"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)
    server = Mirror(tmp_path / "served")
    monkeypatch.setenv("SCRATCH_PARITY_MIRRORS", server.url)
    yield server
    server.close()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob("*.part")) if directory.exists() else []


def test_download_lands_in_cache_and_second_load_uses_it(mirror):
    sums = write_tiny_idx_set(mirror.root)
    dataset = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    cache = cache_dir("mnist")
    assert dataset.source == "download"
    assert sorted(p.name for p in cache.iterdir()) == sorted(IDX_FILES)
    assert list(dataset.files.values()) == [sums[name] for name in IDX_FILES]
    assert sorted(mirror.requests) == sorted(IDX_FILES)
    mirror.close()  # no network from here on
    again = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert again.source == "cache"
    (x, t), (xt, tt) = again.load()
    assert x.shape == (20, 784) and xt.shape == (10, 784)


@pytest.mark.parametrize("have_tqdm", [True, False])
def test_progress_bar_with_or_without_tqdm(mirror, monkeypatch, have_tqdm):
    if not have_tqdm:
        monkeypatch.setattr("harness.data.download.tqdm", None)
    sums = write_tiny_idx_set(mirror.root)
    (x, _), _ = load_dataset("mnist", checksums=sums, progress=True, timeout=5)
    assert len(x) == 20


def test_corrupt_file_is_not_placed_in_cache(mirror):
    sums = write_tiny_idx_set(mirror.root)
    sums[TEST_LABELS] = "f" * 64
    with pytest.raises(DataError, match=f"{TEST_LABELS}.*SHA-256 mismatch") as info:
        resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert not isinstance(info.value, DataUnavailableError)
    cache = cache_dir("mnist")
    assert not (cache / TEST_LABELS).exists()
    assert leftovers(cache) == []


def test_interrupted_transfer_leaves_nothing(mirror):
    sums = write_tiny_idx_set(mirror.root)
    mirror.short[TRAIN_IMAGES] = 1000
    with pytest.raises(DataError, match=f"{TRAIN_IMAGES}.*interrupted"):
        resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    cache = cache_dir("mnist")
    assert not (cache / TRAIN_IMAGES).exists()
    assert leftovers(cache) == []


def test_next_mirror_is_tried_after_a_bad_one(mirror, tmp_path):
    sums = write_tiny_idx_set(mirror.root)
    path, digest = download_file(TRAIN_IMAGES, tmp_path / "out",
                                 ["http://127.0.0.1:9/", mirror.url.replace("/files/", "/other/")],
                                 [sums[TRAIN_IMAGES]], progress=False, timeout=5)
    assert digest == sums[TRAIN_IMAGES] and path.read_bytes() == (mirror.root / TRAIN_IMAGES).read_bytes()


def test_offline_and_absent_says_how_to_provide_the_data(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)  # mirrors point at a closed port
    with pytest.raises(DataUnavailableError) as info:
        resolve_dataset("fashion-mnist", progress=False, timeout=5)
    message = str(info.value)
    for needed in (*IDX_FILES, "SCRATCH_PARITY_DATA", "SCRATCH_PARITY_CACHE",
                   "SCRATCH_PARITY_MIRRORS", "dataset-fashion-mnist", "mnist-5k"):
        assert needed in message


def test_two_concurrent_downloads_end_with_one_valid_file(mirror, tmp_path):
    big = np.random.default_rng(0).integers(0, 256, (3000, 28, 28), dtype=np.uint8)
    mirror.root.mkdir()
    body = write_idx_gz(mirror.root / TRAIN_IMAGES, big).read_bytes()
    target = tmp_path / "cache"
    results, errors = [], []
    barrier = threading.Barrier(2)

    def fetch():
        try:
            barrier.wait(timeout=5)
            results.append(download_file(TRAIN_IMAGES, target, [mirror.url], [sha256_hex(body)],
                                         progress=False, timeout=5))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == [] and len(results) == 2
    assert sorted(p.name for p in target.iterdir()) == [TRAIN_IMAGES]
    assert (target / TRAIN_IMAGES).read_bytes() == body
    assert mirror.requests.count(TRAIN_IMAGES) == 2
