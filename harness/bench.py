"""The foundation benchmark: ``python -m harness.bench [--repeat N] [--json FILE]``.

Measures in one run, on the book's 784-50-10 ReLU net (TwoLayerNet, weight_init_std 0.01) and one
batch of 100 MNIST digits (mnist-5k; uniform random pixels if that is unavailable, said so):

(a) one training step (``net.gradient`` + ``SGD.update``) of the reference against the same step in
    torch eager (nn.Linear/ReLU/nn.Linear + CrossEntropyLoss + optim.SGD, same weights), float32
    and float64: median of ``--repeat`` timed steps after warm-up, and the ratio reference/torch.
    torch runs with as many threads as NumPy's BLAS (read with threadpoolctl when installed).
(b) the full numerical gradient, float64: the book's loop (``reference.gradient.numerical_gradient``)
    timed on b1, W2, b2 and a sample of W1 rows and extrapolated per element to all 39,760
    parameters, against ``numerical_gradient_vectorized`` run in full; and their largest difference
    on the elements the loop computed.

(c) one training step of the book's SimpleConvNet (conv 30@5x5 - ReLU - pool 2x2 - affine 100 - ReLU -
    affine 10, weight_init_std 0.01) on 100 digits shaped 1x28x28: the reference against torch eager
    (nn.Conv2d/ReLU/MaxPool2d/Linear + CrossEntropyLoss + optim.SGD on the same weights), float32 and
    float64, with torch at NumPy's BLAS thread count and at one thread (NumPy's element-wise work is
    single-threaded); the same reference step with the book's loop im2col/col2im (``im2col_loop``,
    ``col2im_loop`` here, the baseline, swapped into ``reference.layers`` for that step only); the
    part of the step that computes the input images' gradient (torch skips it); and where the
    reference step's time goes, layer by layer. Each figure is given as the median and as
    the fastest call, which on a shared machine is the one least disturbed by other work.

torch is optional: without it, (a) and (c) report the reference alone and say why.
"""
import contextlib
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from reference.gradient import numerical_gradient
from reference.gradient_vectorized import numerical_gradient_vectorized
import reference.layers
from reference.optimizer import SGD
from reference.simple_convnet import SimpleConvNet
from reference.two_layer_net import TwoLayerNet
from reference.util import col2im

INPUT, HIDDEN, OUTPUT, BATCH, LR = 784, 50, 10, 100, 0.1
WARMUP = 10
ROUNDS = 5
GOAL_RATIO = 0.8  # reference step time / torch step time
W1_SAMPLE_ROWS = (0, 150, 300, 450, 600, 783)  # rows of W1 the loop is timed on (border and inked pixels)
CONV_GOAL_RATIO = 2.0  # SimpleConvNet step, reference time / torch time (issue 13)


def blas_threads():
    """(threads NumPy's BLAS uses, how that was found)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None, "threadpoolctl not installed"
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not blas:
        return None, "threadpoolctl found no BLAS"
    return blas[0]["num_threads"], f"{blas[0].get('internal_api', 'blas')} via threadpoolctl"


def load_batch(rng):
    """(x (100, 784) float64 in [0, 1], labels (100,), description)."""
    try:
        from harness.data.loaders import load_dataset
        (x_train, t_train), _ = load_dataset("mnist-5k")
        idx = rng.choice(len(x_train), BATCH, replace=False)
        return x_train[idx].astype(np.float64), t_train[idx].astype(np.int64), "mnist-5k, 100 digits (seed 0)"
    except Exception as exc:  # noqa: BLE001 - any failure to load falls back, and is reported
        x = rng.random((BATCH, INPUT))
        return x, rng.integers(0, OUTPUT, BATCH), f"uniform random pixels (mnist-5k unavailable: {exc})"


def make_net(dtype, seed=0):
    return TwoLayerNet(INPUT, HIDDEN, OUTPUT, weight_init_std=0.01, rng=np.random.default_rng(seed), dtype=dtype)


def median_step_seconds(steps, repeat):
    """{name: median seconds per call} for each step function (see ``step_seconds``)."""
    return {name: statistics.median(t) for name, t in step_seconds(steps, repeat).items()}


def step_seconds(steps, repeat):
    """{name: [seconds of each timed call]} for each step function.

    The steps take turns in ROUNDS blocks, so a load change on the (shared) machine hits them
    alike; each block starts with WARMUP untimed calls, because switching between NumPy's BLAS
    threads and torch's threads right after the other ran is slow (both spin a while after work).
    """
    times = {name: [] for name in steps}
    per_block = -(-repeat // ROUNDS)
    for _ in range(ROUNDS):
        for name, step in steps.items():
            for _ in range(WARMUP):
                step()
            for _ in range(per_block):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    return times


def reference_step(net, x, t):
    optimizer = SGD(lr=LR)

    def step():
        optimizer.update(net.params, net.gradient(x, t))
    return step


def torch_step(torch, net, x, t):
    """The same step in torch eager, on a copy of the reference net's weights."""
    dtype = {np.float32: torch.float32, np.float64: torch.float64}[net.params["W1"].dtype.type]
    model = torch.nn.Sequential(torch.nn.Linear(INPUT, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, OUTPUT))
    model = model.to(dtype)
    with torch.no_grad():
        for layer, k in ((model[0], 1), (model[2], 2)):
            layer.weight.copy_(torch.from_numpy(net.params[f"W{k}"].T.copy()))
            layer.bias.copy_(torch.from_numpy(net.params[f"b{k}"]))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    def step():
        optimizer.zero_grad()
        loss_fn(model(xt), tt).backward()
        optimizer.step()
    return step


def bench_training_step(x, t, repeat, threads):
    try:
        import torch
    except ImportError as exc:
        torch, torch_reason = None, f"torch not installed ({exc})"
    else:
        torch_reason = None
        if threads is not None:
            torch.set_num_threads(threads)
    rows = []
    for dtype in (np.float32, np.float64):
        xd = x.astype(dtype)
        net = make_net(dtype)
        dout = np.ones((BATCH, HIDDEN), dtype=dtype)
        # the book's Affine.backward also computes dx for the input layer, which training never uses
        steps = {"reference": reference_step(net, xd, t), "input_dx": lambda: np.dot(dout, net.params["W1"].T)}
        if torch is not None:
            steps["torch"] = torch_step(torch, make_net(dtype), xd, t)
        median = median_step_seconds(steps, repeat)
        row = {"dtype": np.dtype(dtype).name, "reference_s": median["reference"], "torch_s": median.get("torch"),
               "reference_input_dx_s": median["input_dx"]}
        row["ratio"] = row["reference_s"] / row["torch_s"] if row["torch_s"] else None
        rows.append(row)
    return {"rows": rows, "torch_threads": torch.get_num_threads() if torch else None,
            "torch_version": torch.__version__ if torch else None, "torch_missing": torch_reason}


def bench_numerical_gradient(x, t, repeat):
    """Loop on b1, W2, b2 and W1_SAMPLE_ROWS, extrapolated; vectorized in full; their difference."""
    net = make_net(np.float64)
    loss = lambda _: net.loss(x, t)  # noqa: E731  (the book's closure)
    loop = {}
    start = time.perf_counter()
    for key in ("b1", "W2", "b2"):
        loop[key] = numerical_gradient(loss, net.params[key])
    loop["W1_rows"] = np.stack([numerical_gradient(loss, net.params["W1"][i:i + 1])[0] for i in W1_SAMPLE_ROWS])
    loop_s = time.perf_counter() - start
    timed = sum(g.size for g in loop.values())
    n_params = sum(p.size for p in net.params.values())
    vec_times = []
    for _ in range(max(1, min(repeat, 3))):
        start = time.perf_counter()
        vec = numerical_gradient_vectorized(net, x, t)
        vec_times.append(time.perf_counter() - start)
    vec["W1_rows"] = vec["W1"][list(W1_SAMPLE_ROWS)]
    # The vectorized method skips samples a perturbation leaves unchanged (zero pixels, inactive
    # ReLUs), so its time depends on the data: also time it on dense pixels with no zeros.
    dense = np.random.default_rng(1).uniform(0.01, 1.0, x.shape)
    start = time.perf_counter()
    numerical_gradient_vectorized(net, dense, t)
    dense_s = time.perf_counter() - start
    max_diff = max(float(np.max(np.abs(loop[k] - vec[k]))) for k in loop)
    loop_full_s = loop_s / timed * n_params
    vec_s = statistics.median(vec_times)
    return {"params": n_params, "loop_timed_elements": timed, "loop_timed_s": loop_s,
            "loop_per_element_s": loop_s / timed, "loop_extrapolated_s": loop_full_s,
            "vectorized_s": vec_s, "vectorized_runs": len(vec_times), "speedup": loop_full_s / vec_s,
            "vectorized_dense_pixels_s": dense_s, "zero_pixel_fraction": float(np.mean(x == 0)),
            "max_abs_diff": max_diff, "w1_sample_rows": list(W1_SAMPLE_ROWS)}


# --- (c) SimpleConvNet ---------------------------------------------------------------------------

def im2col_loop(input_data, filter_h, filter_w, stride=1, pad=0):
    """The book's im2col algorithm, the baseline of (c) and the oracle of the reference's im2col
    tests: a zero buffer (N, C, filter_h, filter_w, out_h, out_w) filled one filter position at a
    time from strided slices of the padded image, then transposed into rows (N*out_h*out_w, C*fh*fw)."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    buf = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=img.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            buf[:, :, i, j] = img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride]
    return buf.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im_loop(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The book's col2im algorithm (im2col_loop's adjoint): each filter position's slice of the rows
    added into a zero padded image, one position at a time, then the padding cut off."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    buf = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for i in range(filter_h):
        for j in range(filter_w):
            img[:, :, i:i + stride * out_h:stride, j:j + stride * out_w:stride] += buf[:, :, i, j]
    return img[:, :, pad:H + pad, pad:W + pad]


@contextlib.contextmanager
def loop_im2col():
    """reference.layers with the loop im2col/col2im for the duration (the baseline step only)."""
    saved = reference.layers.im2col, reference.layers.col2im
    reference.layers.im2col, reference.layers.col2im = im2col_loop, col2im_loop
    try:
        yield
    finally:
        reference.layers.im2col, reference.layers.col2im = saved


def make_convnet(dtype, seed=0):
    return SimpleConvNet(weight_init_std=0.01, rng=np.random.default_rng(seed), dtype=dtype)


def torch_convnet(torch, net):
    """torch's SimpleConvNet holding a copy of the reference net's weights (Conv2d.weight = W1 as is,
    OIHW; Linear.weight = W.T); Flatten of NCHW maps orders features as the book's Affine does."""
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    model = model.to({np.float32: torch.float32, np.float64: torch.float64}[net.params["W1"].dtype.type])
    with torch.no_grad():
        for layer, k, transpose in ((model[0], 1, False), (model[4], 2, True), (model[6], 3, True)):
            w = net.params[f"W{k}"]
            layer.weight.copy_(torch.from_numpy((w.T if transpose else w).copy()))
            layer.bias.copy_(torch.from_numpy(net.params[f"b{k}"]))
    return model


def torch_convnet_step(torch, net, x, t, threads):
    model = torch_convnet(torch, net)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    def step():
        torch.set_num_threads(threads)
        optimizer.zero_grad()
        loss_fn(model(xt), tt).backward()
        optimizer.step()
    return step


def layer_seconds(net, x, t, repeat):
    """{"Conv1 forward": seconds, ...} for each layer's forward and backward in a step: the fastest
    of ``repeat`` calls after WARMUP, the figure least disturbed by other load on the machine."""
    times = {}
    for _ in range(WARMUP + repeat):
        h = x
        for name, layer in net.layers.items():
            start = time.perf_counter()
            h = layer.forward(h)
            times.setdefault(f"{name} forward", []).append(time.perf_counter() - start)
        net.last_layer.forward(h, t)
        dout = net.last_layer.backward(1)
        for name, layer in reversed(net.layers.items()):
            start = time.perf_counter()
            dout = layer.backward(dout)
            times.setdefault(f"{name} backward", []).append(time.perf_counter() - start)
    return {name: min(v[WARMUP:]) for name, v in times.items()}


def bench_convnet_step(x, t, repeat, threads):
    try:
        import torch
    except ImportError as exc:
        torch, torch_reason = None, f"torch not installed ({exc})"
    else:
        torch_reason = None
    threads = threads or (torch.get_num_threads() if torch else None)
    images = x.reshape(-1, 1, 28, 28)
    rows = []
    for dtype in (np.float32, np.float64):
        xd = images.astype(dtype)
        net, baseline = make_convnet(dtype), make_convnet(dtype)
        reference_step_fn, baseline_step_fn = reference_step(net, xd, t), reference_step(baseline, xd, t)

        def loop_step():
            with loop_im2col():
                baseline_step_fn()
        conv = net.layers["Conv1"]
        conv_dout = np.ones((BATCH * 24 * 24, 30), dtype=dtype)
        # the book's Convolution.backward also computes dx for the input images, which training never uses
        steps = {"reference": reference_step_fn, "loop_im2col": loop_step,
                 "input_dx": lambda: col2im(np.dot(conv.col_W, conv_dout.T).T, xd.shape, 5, 5)}
        if torch is not None:
            steps["torch"] = torch_convnet_step(torch, make_convnet(dtype), xd, t, threads)
            steps["torch_1_thread"] = torch_convnet_step(torch, make_convnet(dtype), xd, t, 1)
        times = step_seconds(steps, repeat)
        if torch is not None:
            torch.set_num_threads(threads)
        row = {"dtype": np.dtype(dtype).name, "layers_s": layer_seconds(make_convnet(dtype), xd, t, max(5, repeat // 5))}
        for stat, fn in (("", statistics.median), ("best_", min)):
            value = {name: fn(v) for name, v in times.items()}
            row.update({f"{stat}reference_s": value["reference"], f"{stat}loop_im2col_s": value["loop_im2col"],
                        f"{stat}reference_input_dx_s": value["input_dx"],
                        f"{stat}torch_s": value.get("torch"), f"{stat}torch_1_thread_s": value.get("torch_1_thread")})
            torch_s = value.get("torch")
            row[f"{stat}ratio"] = value["reference"] / torch_s if torch_s else None
            row[f"{stat}ratio_1_thread"] = value["reference"] / value["torch_1_thread"] if torch_s else None
            row[f"{stat}loop_ratio"] = value["loop_im2col"] / torch_s if torch_s else None
        rows.append(row)
    return {"rows": rows, "torch_threads": threads if torch else None,
            "torch_version": torch.__version__ if torch else None, "torch_missing": torch_reason}


def render_training_step(a, result):
    lines = [
        f"(a) one training step (gradient + SGD update), 784-50-10 ReLU, std 0.01, batch {BATCH}, "
        f"median of {result['repeat']} in {ROUNDS} alternating blocks, each after {WARMUP} warm-up steps",
        f"    {'dtype':<8} {'reference ms':>13} {'torch ms':>10} {'ref/torch':>10}  {'goal <= ' + str(GOAL_RATIO):<12}"
        f"{'of ref: unused input dx ms':>27}",
    ]
    for row in a["rows"]:
        torch_ms = f"{row['torch_s'] * 1e3:10.3f}" if row["torch_s"] else f"{'-':>10}"
        ratio = f"{row['ratio']:10.2f}" if row["ratio"] else f"{'-':>10}"
        goal = "" if row["ratio"] is None else ("met" if row["ratio"] <= GOAL_RATIO else "not met")
        lines.append(f"    {row['dtype']:<8} {row['reference_s'] * 1e3:13.3f} {torch_ms} {ratio}  {goal:<12}"
                     f"{row['reference_input_dx_s'] * 1e3:27.3f}")
    if a["torch_missing"]:
        lines.append(f"    torch: {a['torch_missing']}")
    return lines


def render_numerical_gradient(b, result):
    return [
        f"(b) full numerical gradient, 784-50-10, batch {BATCH}, float64, {b['params']:,} parameters",
        f"    loop (book, one element at a time): {b['loop_timed_elements']} elements timed (b1, W2, b2, "
        f"W1 rows {b['w1_sample_rows']}) in {b['loop_timed_s']:.2f} s = {b['loop_per_element_s'] * 1e3:.3f} ms/element"
        f" -> {b['loop_extrapolated_s']:.1f} s extrapolated to all",
        f"    vectorized: {b['vectorized_s']:.3f} s (median of {b['vectorized_runs']}) -> {b['speedup']:.0f}x faster",
        f"    vectorized on dense uniform pixels instead ({b['zero_pixel_fraction']:.0%} of the digits' pixels are 0): "
        f"{b['vectorized_dense_pixels_s']:.3f} s",
        f"    max |loop - vectorized| on the timed elements: {b['max_abs_diff']:.1e}",
    ]


def _ms(seconds):
    return f"{seconds * 1e3:.2f}" if seconds else "-"


def _ratio(value):
    return f"{value:.2f}" if value else "-"


def render_convnet_step(c, result):
    lines = [
        f"(c) one training step of SimpleConvNet (conv 30@5x5 - relu - pool 2x2 - affine 100 - relu - affine 10, "
        f"std 0.01), batch {BATCH} x 1x28x28, SGD, timed as (a); torch at {c['torch_threads']} threads and at 1",
        f"    {'dtype':<8} {'reference ms':>13} {'torch ms':>9} {'ref/torch':>10}  {'goal <= ' + str(CONV_GOAL_RATIO):<12}"
        f"{'torch 1-thread ms':>18} {'ref/torch1':>11} {'loop im2col ms':>15} {'loop/torch':>11}"
        f"{'of ref: unused input dx ms':>27}",
    ]
    for stat, what in (("", "median"), ("best_", "fastest call (the least disturbed by other load)")):
        lines.append(f"    {what}:")
        for row in c["rows"]:
            ratio = row[f"{stat}ratio"]
            goal = "" if ratio is None else ("met" if ratio <= CONV_GOAL_RATIO else "not met")
            lines.append(f"    {row['dtype']:<8} {_ms(row[f'{stat}reference_s']):>13} {_ms(row[f'{stat}torch_s']):>9} "
                         f"{_ratio(ratio):>10}  {goal:<12}{_ms(row[f'{stat}torch_1_thread_s']):>18} "
                         f"{_ratio(row[f'{stat}ratio_1_thread']):>11} {_ms(row[f'{stat}loop_im2col_s']):>15} "
                         f"{_ratio(row[f'{stat}loop_ratio']):>11}{_ms(row[f'{stat}reference_input_dx_s']):>27}")
    if c["torch_missing"]:
        lines.append(f"    torch: {c['torch_missing']}")
    lines.append("    where the reference step's time goes, ms per call, fastest of several (float32 / float64):")
    f32, f64 = (row["layers_s"] for row in c["rows"])
    for name in f32:
        lines.append(f"      {name:<18} {f32[name] * 1e3:7.2f} / {f64[name] * 1e3:7.2f}")
    return lines


RENDERERS = (("training_step", render_training_step), ("numerical_gradient", render_numerical_gradient),
             ("convnet_step", render_convnet_step))


def render(result):
    torch_version = next((result[k]["torch_version"] for k in ("training_step", "convnet_step")
                          if result.get(k) and result[k]["torch_version"]), None)
    lines = [
        "scratch-parity foundation benchmark",
        f"machine: {result['cpu_count']} CPUs; numpy {result['numpy']}; torch {torch_version or '-'}; "
        f"load average before the run {result['load_average']}",
        f"threads: NumPy BLAS {result['blas_threads']} ({result['blas_threads_how']})",
        f"data: {result['data']}",
    ]
    for key, renderer in RENDERERS:
        if key in result:
            lines += [""] + renderer(result[key], result)
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m harness.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50, help="timed repetitions per figure (default 50)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--parts", default="abc", help="which of (a), (b), (c) to run, e.g. 'c' (default abc)")
    args = parser.parse_args(argv)
    if not args.parts or set(args.parts) - set("abc"):
        parser.error("--parts takes letters among a, b, c")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    threads, how = blas_threads()
    rng = np.random.default_rng(0)
    x, t, data = load_batch(rng)
    result = {"repeat": args.repeat, "cpu_count": os.cpu_count(), "numpy": np.__version__,
              "blas_threads": threads, "blas_threads_how": how, "data": data,
              "load_average": " ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "-"}
    for part, key, bench in (("a", "training_step", bench_training_step), ("c", "convnet_step", bench_convnet_step)):
        if part in args.parts:
            result[key] = bench(x, t, args.repeat, threads)
    if "b" in args.parts:
        result["numerical_gradient"] = bench_numerical_gradient(x, t, args.repeat)
    print(render(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
