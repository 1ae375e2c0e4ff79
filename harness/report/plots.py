"""The report's PNG plots (matplotlib, Agg backend: no display needed).

- ``experiment_figure(entry, path)``: one 2 x 2 figure per experiment — the frameworks' loss
  curves overlaid; |Δloss| against the reference on a log scale with the tolerance line and a
  marker where a run parted (the forensics' step and event); train
  and test accuracy per evaluation (once per epoch, and at the end of a cut run); the median
  training step per framework after the warm-up, with its p10-p90 spread.
- ``seeds_figure(seeds, path)``: the paired differences of the final test accuracy to the
  reference per seed, their mean and confidence interval, and the equivalence margin as a band.

Each returns the path written, or None when there is nothing to draw.
"""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

# One look per framework; dashes so identical float64 curves stay visible on top of each other.
STYLE = {"numpy": dict(color="#1f77b4", lw=2.2, ls="-"),
         "torch": dict(color="#d62728", lw=1.4, ls="--"),
         "keras": dict(color="#2ca02c", lw=1.2, ls=":")}
ZERO_FLOOR = 1e-18  # |Δloss| == 0 (bit-identical) drawn here on the log axis
# PNG metadata: no software version or time stamp, so an unchanged figure is the same bytes.
SAVE = dict(dpi=72, metadata={"Software": None})
PALETTE_COLOURS = 64  # the plots are flat colours and lines: a 64-colour palette PNG is ~1/3.5 the size


def save(fig, path):
    """Save ``fig`` as a palette PNG (no dithering, so an unchanged figure is the same bytes)."""
    from PIL import Image

    fig.savefig(path, **SAVE)
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT,
                                           dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _style(fw):
    return STYLE.get(fw, dict(color="gray", lw=1, ls="-."))


def _smooth(values, window):
    """Moving average over ``window`` iterations (the raw minibatch loss is noisy)."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    if window <= 1 or v.size < window:
        return np.arange(v.size), v
    kernel = np.ones(window) / window
    return np.arange(window - 1, v.size), np.convolve(v, kernel, mode="valid")


def _block_max(values, window):
    """(start iteration, max) of each block of ``window`` iterations: the envelope of a noisy curve."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    if v.size == 0:
        return np.arange(0), v
    starts = np.arange(0, v.size, max(window, 1))
    return starts, np.maximum.reduceat(np.nan_to_num(v, nan=np.inf), starts)


def experiment_figure(entry, path):
    """The 2 x 2 figure of one experiment entry (``collect.collect_experiment``)."""
    import numpy as np

    result = entry.get("result")
    if not result:
        return None
    runs = {fw: r for fw, r in result["runs"].items() if r.get("train_loss")}
    if not runs:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    (ax_loss, ax_d), (ax_acc, ax_t) = axes
    window = max(1, min(100, result["iters"] // 20))
    for fw, run in runs.items():
        x, y = _smooth(run["train_loss"], window)
        ax_loss.plot(x, y, label=fw, **_style(fw))
    ax_loss.set(title=f"training loss (moving average over {window} iterations)", xlabel="iteration", ylabel="loss")
    ax_loss.legend()

    tol = None
    for fw, cmp in result.get("comparison", {}).items():
        x, d = _block_max(cmp["dloss"], window)
        ax_d.plot(x, np.maximum(d, ZERO_FLOOR), label=f"{fw} vs numpy", drawstyle="steps-post", **_style(fw))
        tol = cmp["tolerance"]
    for fw, v in (result.get("verdict") or {}).items():
        if v.get("parted_at") is None:
            continue
        what = ((result.get("explanation") or {}).get(fw) or {}).get("event") or {}
        label = f"{fw} parted at {v['parted_at']:,}" + (f": {what['type']} at {what['layer']}" if what else "")
        for ax in (ax_loss, ax_d):
            ax.axvline(v["parted_at"], color=_style(fw)["color"], ls="-.", lw=1, alpha=0.8,
                       label=label if ax is ax_d else None)
    if tol is not None:
        ax_d.axhline(tol, color="black", ls="--", lw=1, label=f"tolerance {tol:g} ({result['dtype']})")
        ax_d.set_yscale("log")
        ax_d.legend(fontsize=8)
    else:
        ax_d.text(0.5, 0.5, "no comparison (reference or frameworks did not run)", ha="center",
                  transform=ax_d.transAxes)
    ax_d.set(title=f"max |Δloss| vs numpy per {window} iterations (0 drawn at {ZERO_FLOOR:g})",
             xlabel="iteration")

    ipe = result.get("iter_per_epoch") or 1
    for fw, run in runs.items():
        epochs = [i / ipe for i in run["eval_iters"]]
        st = _style(fw)
        ax_acc.plot(epochs, run["train_acc"], marker="o", ms=4, label=f"{fw} train", **st)
        ax_acc.plot(epochs, run["test_acc"], marker="s", ms=4, mfc="none", label=f"{fw} test", **st)
    ax_acc.set(title="accuracy at each evaluation", xlabel="epoch", ylabel="accuracy")
    ax_acc.legend(fontsize=8, ncol=2)

    names = list(result["runs"])
    tpi = [(result["runs"][fw].get("time_per_iter_s") or 0) * 1e3 for fw in names]
    low = [max(v - (result["runs"][fw].get("time_per_iter_p10_s") or v / 1e3) * 1e3, 0) for fw, v in zip(names, tpi)]
    high = [max((result["runs"][fw].get("time_per_iter_p90_s") or v / 1e3) * 1e3 - v, 0) for fw, v in zip(names, tpi)]
    bars = ax_t.bar(names, tpi, yerr=[low, high], capsize=4, color=[_style(fw)["color"] for fw in names])
    for bar, fw, v, up in zip(bars, names, tpi, high):
        status = result["runs"][fw].get("status")
        ax_t.annotate(f"{v:.2f} ms" if status in ("ok", "diverged") else status,
                      (bar.get_x() + bar.get_width() / 2, v + up), ha="center", va="bottom", fontsize=9)
    ax_t.set_ylim(0, max([v + up for v, up in zip(tpi, high)] + [1e-3]) * 1.18)  # room for the labels
    ax_t.set(title="ms / iteration: median after warm-up, p10–p90 bar", ylabel="ms / iteration")
    fig.suptitle(f"{entry['name']} — {result['dtype']}, seed {result['seed']}, {entry.get('iters_note', '')}", fontsize=11)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)
    return path


def seeds_figure(seeds, path):
    """What the seeds' verdict is computed on: per framework, the paired differences of the final
    test accuracy to the reference's, seed by seed (points, in percentage points), their mean and
    the test's 1 - 2 alpha confidence interval (diamond and bar), and the equivalence margin as a
    band: a framework is shown equivalent when its interval lies inside the band."""
    summary = seeds.get("summary")
    if not summary or not summary.get("equivalence"):
        return None
    acc, reference = summary["final_test_acc"], "numpy"
    margin = summary["margin"] * 100
    frameworks = list(summary["equivalence"])
    fig, ax = plt.subplots(figsize=(7, 3.8))
    reach = [margin * 1.6]
    ax.axhspan(-margin, margin, color="#2ca02c", alpha=0.12, label=f"equivalence margin ±{margin:g} pp")
    ax.axhline(0, color="black", lw=0.8)
    for k, fw in enumerate(frameworks):
        diffs = [(o - r) * 100 for r, o in zip(acc[reference], acc[fw]) if r is not None and o is not None]
        ax.scatter([k] * len(diffs), diffs, color=_style(fw)["color"], alpha=0.7, zorder=3)
        reach += [abs(d) * 1.15 for d in diffs]
        t = summary["equivalence"][fw]
        if t.get("mean_diff") is not None:
            ci = t.get("ci") or [t["mean_diff"], t["mean_diff"]]
            low, high = (t["mean_diff"] - ci[0]) * 100, (ci[1] - t["mean_diff"]) * 100
            reach += [abs(c) * 100 * 1.15 for c in ci]
            ax.errorbar(k + 0.18, t["mean_diff"] * 100, yerr=[[low], [high]], fmt="D", color="black", capsize=5,
                        zorder=4)
            ax.annotate("equivalent" if t["equivalent"] else "not shown equivalent", (k + 0.25, t["mean_diff"] * 100),
                        fontsize=8, va="center")
    ax.set_xticks(range(len(frameworks)), [f"{fw} − {reference}" for fw in frameworks])
    ax.set_xlim(-0.5, len(frameworks) - 0.2)
    ax.set_ylim(-max(reach), max(reach))
    ax.set_ylabel("Δ final test accuracy (pp)")
    ax.set_title(f"{seeds['experiment']}: {len(seeds['seeds'])} seeds × {seeds['iters']:,} iterations, paired by seed\n"
                 f"(● each seed, ◆ mean and {100 - 200 * summary['alpha']:g}% confidence interval)", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save(fig, path)
    plt.close(fig)
    return path
