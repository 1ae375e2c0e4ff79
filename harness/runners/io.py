"""Results on disk: one JSON file with everything, and CSV tables of the curves.

``save_results(results, out_dir, stem)`` writes, for a list of run_experiment results (one per
seed) and an optional seed summary:

- ``{stem}.json``: {"schema": "scratch-parity/results/2", "runs": [...], "seed_summary": ...}
  (NaN and infinities written as null, so the file is strict JSON; nested values are JSON objects)
- ``{stem}_loss.csv``: seed, iter, loss_<framework>..., dloss_<framework>... (vs the reference)
- ``{stem}_accuracy.csv``: seed, framework, eval_index, iter, train_acc, test_acc
- ``{stem}_summary.csv``: seed, framework, status, final_train_acc, final_test_acc, wall_s,
  time_per_iter_s, max_abs_dloss, first_divergent_iter, message
"""
import csv
import json
import math
from pathlib import Path
import sys

SCHEMA = "scratch-parity/results/2"


def jsonable(obj):
    """Replace non-finite floats by None, recursively (json would write NaN, which is not JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def write_json(document, path):
    """Strict JSON of ``document`` to ``path``; "-" writes to standard output."""
    text = json.dumps(jsonable(document), indent=1, allow_nan=False, default=str)
    if str(path) == "-":
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return "-"
    Path(path).write_text(text)
    return str(path)


def save_results(results, out_dir, stem, seed_summary=None):
    """Write the JSON and CSV files; return {"json": path, "loss_csv": ..., ...}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / f"{stem}.json", "loss_csv": out / f"{stem}_loss.csv",
             "accuracy_csv": out / f"{stem}_accuracy.csv", "summary_csv": out / f"{stem}_summary.csv"}
    document = {"schema": SCHEMA, "runs": results, "seed_summary": seed_summary}
    write_json(document, paths["json"])
    _write_loss_csv(results, paths["loss_csv"])
    _write_accuracy_csv(results, paths["accuracy_csv"])
    _write_summary_csv(results, paths["summary_csv"])
    return {k: str(v) for k, v in paths.items()}


def _ran(result):
    return [fw for fw in result["frameworks"] if result["runs"][fw].get("status") != "skipped"]


def _write_loss_csv(results, path):
    frameworks = sorted({fw for r in results for fw in _ran(r)}, key=lambda f: results[0]["frameworks"].index(f))
    compared = [fw for fw in frameworks if any(fw in r["comparison"] for r in results)]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["seed", "iter", *(f"loss_{fw}" for fw in frameworks), *(f"dloss_{fw}" for fw in compared)])
        for r in results:
            losses = {fw: r["runs"][fw].get("train_loss", []) if fw in r["runs"] else [] for fw in frameworks}
            dloss = {fw: r["comparison"].get(fw, {}).get("dloss", []) for fw in compared}
            for i in range(max((len(v) for v in losses.values()), default=0)):
                writer.writerow([r["seed"], i, *(_cell(losses[fw], i) for fw in frameworks),
                                 *(_cell(dloss[fw], i) for fw in compared)])


def _write_accuracy_csv(results, path):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["seed", "framework", "eval_index", "iter", "train_acc", "test_acc"])
        for r in results:
            for fw in _ran(r):
                run = r["runs"][fw]
                # a run that failed before its first evaluation has no accuracies (its status says why)
                evals = zip(run.get("eval_iters", []), run.get("train_acc", []), run.get("test_acc", []))
                for k, (i, a, b) in enumerate(evals):
                    writer.writerow([r["seed"], fw, k, i, repr(a), repr(b)])


def _write_summary_csv(results, path):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["seed", "framework", "status", "final_train_acc", "final_test_acc", "wall_s",
                         "time_per_iter_s", "max_abs_dloss", "first_divergent_iter", "message"])
        for r in results:
            for fw in r["frameworks"]:
                run, cmp = r["runs"][fw], r["comparison"].get(fw, {})
                writer.writerow([r["seed"], fw, run.get("status"), run.get("final_train_acc"),
                                 run.get("final_test_acc"), run.get("wall_s"), run.get("time_per_iter_s"),
                                 cmp.get("max_abs_dloss"), cmp.get("first_divergent_iter"), run.get("message") or ""])


def _cell(values, i):
    return repr(values[i]) if i < len(values) else ""
