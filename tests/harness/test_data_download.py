"""Downloads through pooch against real HTTP servers on 127.0.0.1 serving files the tests write:
mirror order, cache reuse without a request, corrupt and truncated transfers rejected and never
cached, progress output, the offline message, two concurrent downloads."""

import logging
import logging.handlers
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pooch
import pytest

from harness.data import DataError, DataUnavailableError, load_dataset, resolve_dataset
from harness.data import download
from harness.data.checksums import IDX_FILES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS, sha256_hex
from harness.data.download import download_file
from harness.data.idx import write_idx_gz
from harness.data.sources import cache_dir
from harness.data.testing import UNREACHABLE_MIRROR, isolate, write_tiny_idx_set

pytestmark = pytest.mark.network


class Mirror:
    """Serves the files of ``root`` by name; ``short[name] = n`` declares n bytes more than it sends."""

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
def servers(tmp_path, monkeypatch):
    """``servers(n)``: n mirrors serving tmp_path/served-0, -1, ...; closed after the test."""
    isolate(monkeypatch, tmp_path)
    started = []

    def start(n=1):
        started.extend(Mirror(tmp_path / f"served-{len(started)}") for _ in range(n))
        return started[-n:]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def mirror(servers, monkeypatch):
    server, = servers(1)
    monkeypatch.setenv("SCRATCH_PARITY_MIRRORS", server.url)
    return server


def in_cache(name="mnist"):
    """Every entry of the cache folder: the data files and any temporary file left behind."""
    cache = cache_dir(name)
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def corrupt(path: Path):
    """Flip one byte in the middle: same size, another SHA-256."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_download_lands_in_cache_and_second_load_makes_no_request(mirror):
    sums = write_tiny_idx_set(mirror.root)
    dataset = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert dataset.source == "download"
    assert in_cache() == sorted(IDX_FILES)
    assert list(dataset.files.values()) == [sums[name] for name in IDX_FILES]
    assert sorted(mirror.requests) == sorted(IDX_FILES)
    mirror.close()  # no network from here on
    again = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert again.source == "cache" and again.files == dataset.files
    (x, t), (xt, tt) = again.load()
    assert x.shape == (20, 784) and xt.shape == (10, 784)
    assert len(mirror.requests) == len(IDX_FILES)


def test_a_cached_good_file_is_used_without_a_request(mirror):
    sums = write_tiny_idx_set(mirror.root)
    cache_dir("mnist").mkdir(parents=True)
    (cache_dir("mnist") / TRAIN_IMAGES).write_bytes((mirror.root / TRAIN_IMAGES).read_bytes())
    dataset = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert dataset.source == "download" and TRAIN_IMAGES not in mirror.requests
    assert sorted(mirror.requests) == sorted(set(IDX_FILES) - {TRAIN_IMAGES})


def test_a_corrupt_cached_file_is_downloaded_again(mirror):
    sums = write_tiny_idx_set(mirror.root)
    cached = cache_dir("mnist") / TRAIN_LABELS
    cached.parent.mkdir(parents=True)
    cached.write_bytes((mirror.root / TRAIN_LABELS).read_bytes())
    corrupt(cached)
    dataset = resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert TRAIN_LABELS in mirror.requests
    assert sha256_hex(cached.read_bytes()) == sums[TRAIN_LABELS] == dataset.files[str(cached.resolve())]


def test_a_mirror_that_404s_then_a_good_one(servers):
    empty, good = servers(2)
    sums = write_tiny_idx_set(good.root)
    dataset = resolve_dataset("mnist", checksums=sums, mirrors=[empty.url, good.url],
                              progress=False, timeout=5)
    assert sorted(empty.requests) == sorted(good.requests) == sorted(IDX_FILES)
    assert dataset.source == "download" and in_cache() == sorted(IDX_FILES)
    assert dataset.load()[0][0].shape == (20, 784)


def test_every_mirror_404_or_unreachable_says_how_to_provide(servers):
    empty, = servers(1)
    with pytest.raises(DataUnavailableError, match="(?s)not available locally.*404") as info:
        resolve_dataset("mnist", checksums=write_tiny_idx_set(empty.root.parent / "unserved"),
                        mirrors=[UNREACHABLE_MIRROR, empty.url], progress=False, timeout=5)
    assert "SCRATCH_PARITY_DATA" in str(info.value) and in_cache() == []


def test_a_served_file_with_a_wrong_hash_is_rejected_and_not_cached(mirror):
    sums = write_tiny_idx_set(mirror.root)
    corrupt(mirror.root / TEST_LABELS)  # the published digest stays that of the good file
    with pytest.raises(DataError, match=f"{TEST_LABELS} from .*SHA-256 mismatch, not used") as info:
        resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert not isinstance(info.value, DataUnavailableError)
    assert in_cache() == sorted(set(IDX_FILES) - {TEST_LABELS})  # the good ones, no temp file


def test_a_bad_mirror_is_passed_over_for_a_good_one(servers):
    bad, good = servers(2)
    sums = write_tiny_idx_set(good.root)
    write_tiny_idx_set(bad.root)
    corrupt(bad.root / TRAIN_IMAGES)
    dataset = resolve_dataset("mnist", checksums=sums, mirrors=[bad.url, good.url],
                              progress=False, timeout=5)
    assert good.requests == [TRAIN_IMAGES]  # the other three were good on the first mirror
    assert list(dataset.files.values()) == [sums[name] for name in IDX_FILES]


def test_a_truncated_download_is_an_error_and_not_cached(mirror):
    sums = write_tiny_idx_set(mirror.root)
    mirror.short[TRAIN_IMAGES] = 1000
    with pytest.raises(DataError, match=f"{TRAIN_IMAGES} from .*transfer interrupted, not used"):
        resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert in_cache() == []  # train images come first: nothing at all was written


def test_no_published_checksum_means_no_download(mirror):
    sums = write_tiny_idx_set(mirror.root)
    sums[TEST_LABELS] = ()
    with pytest.raises(DataError, match=f"no published SHA-256 for {TEST_LABELS}; nothing downloaded"):
        resolve_dataset("mnist", checksums=sums, progress=False, timeout=5)
    assert mirror.requests == [] and in_cache() == []


@pytest.mark.parametrize("progress, have_tqdm, bar", [
    (True, True, True), (False, True, False), (True, False, False)],
    ids=["progress", "no-progress", "progress-without-tqdm"])
def test_progress_output(mirror, monkeypatch, capfd, progress, have_tqdm, bar):
    monkeypatch.setattr(download, "HAVE_TQDM", have_tqdm)
    logged = logging.handlers.BufferingHandler(capacity=100)
    pooch.get_logger().addHandler(logged)
    try:
        sums = write_tiny_idx_set(mirror.root)
        (x, _), _ = load_dataset("mnist", checksums=sums, progress=progress, timeout=5)
    finally:
        pooch.get_logger().removeHandler(logged)
    err = capfd.readouterr().err
    assert len(x) == 20
    assert err.count("100%") == (len(IDX_FILES) if bar else 0), err  # one finished tqdm bar per file
    lines = "\n".join(record.getMessage() for record in logged.buffer)
    for name in IDX_FILES:  # pooch's log line: which URL went to which file
        assert f"{mirror.url}{name}' to file '{cache_dir('mnist') / name}'" in lines


def test_offline_and_absent_says_how_to_provide_the_data(tmp_path, monkeypatch):
    isolate(monkeypatch, tmp_path)  # mirrors point at a closed port
    with pytest.raises(DataUnavailableError) as info:
        resolve_dataset("fashion-mnist", progress=False, timeout=5)
    message = str(info.value)
    for needed in (*IDX_FILES, "SCRATCH_PARITY_DATA", "SCRATCH_PARITY_CACHE",
                   "SCRATCH_PARITY_MIRRORS", "dataset-fashion-mnist", "mnist-5k", UNREACHABLE_MIRROR):
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
            results.append(download_file(TRAIN_IMAGES, target, [mirror.url], sha256_hex(body),
                                         progress=False, timeout=5))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == [] and results == [target / TRAIN_IMAGES] * 2
    assert sorted(p.name for p in target.iterdir()) == [TRAIN_IMAGES]
    assert (target / TRAIN_IMAGES).read_bytes() == body
    assert 1 <= mirror.requests.count(TRAIN_IMAGES) <= 2  # the second may find the first's file
