"""The report's PNG plots (matplotlib, Agg backend: no display needed).

- ``experiment_figure(entry, path)``: one 2 x 2 figure per experiment — the frameworks' loss
  curves overlaid; |Δloss| against the reference on a log scale with the tolerance line and a
  marker where a run parted (the forensics' step and event); train
  and test accuracy per evaluation (once per epoch); training time per iteration per framework.
- ``seeds_figure(seeds, path)``: final test accuracy per seed and framework, mean ± std.

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
    bars = ax_t.bar(names, tpi, color=[_style(fw)["color"] for fw in names])
    for bar, fw, v in zip(bars, names, tpi):
        status = result["runs"][fw].get("status")
        ax_t.annotate(f"{v:.2f} ms" if status in ("ok", "diverged") else status, (bar.get_x() + bar.get_width() / 2, v),
                      ha="center", va="bottom", fontsize=9)
    ax_t.set(title="training time per iteration (evaluations excluded)", ylabel="ms / iteration")
    fig.suptitle(f"{entry['name']} — {result['dtype']}, seed {result['seed']}, {entry.get('iters_note', '')}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, **SAVE)
    plt.close(fig)
    return path


def seeds_figure(seeds, path):
    """Final test accuracy per seed (points) and mean ± std (error bar) per framework."""
    summary = seeds.get("summary")
    if not summary:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8))
    frameworks = list(summary["final_test_acc"])
    for k, fw in enumerate(frameworks):
        values = [v for v in summary["final_test_acc"][fw] if v is not None]
        ax.scatter([k] * len(values), values, color=_style(fw)["color"], alpha=0.6, label=f"{fw} (per seed)")
        s = summary["summary"][fw]
        if s["mean"] is not None:
            ax.errorbar(k + 0.15, s["mean"], yerr=s["std"] if s["std"] is not None and not math.isnan(s["std"]) else 0,
                        fmt="D", color="black", capsize=5)
    ax.set_xticks(range(len(frameworks)), frameworks)
    ax.set(ylabel="final test accuracy",
           title=f"{seeds['experiment']}: {len(seeds['seeds'])} seeds × {seeds['iters']:,} iterations (◆ mean ± std)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, **SAVE)
    plt.close(fig)
    return path
