"""Write a report directory from collected results: PNG plots, CSV tables, results.json.gz,
report.md (GitHub) and index.html (self-contained).

    paths = write_report(results, "reports/latest")          # {"html": ..., "markdown": ..., ...}
    write_report(results, dir, op_only=True)                 # pytest --parity-report: op level only

Size (the committed report stays under ~2 MB, and a regeneration that changes nothing changes
few bytes): the per-iteration curves go to ``loss_<experiment>.csv.gz`` (every iteration; the
reference's loss to 8 significant digits and each framework's difference to it to 2), the op
records to ``op_records.csv.gz`` (gzip without a time stamp), results.json holds neither the
curves nor the per-record versions (``ops.versions``: the distinct ones, each record naming its
index); its records are a table, ``ops.record_table = {"columns": [...], "same": {column: the value
every record has}, "rows": [[...], ...]}``
(one row a line; ``records_of(document)`` gives them back as dicts), passing ones without their
message (the CSV has it) and with errors and tolerances to 4 significant digits; the PNGs carry no time stamp or software version and are linked from
the page, not embedded.
"""
import csv
import gzip
import io
import json
import math
from pathlib import Path

from harness.report import document, html, markdown, summary
from harness.runners.io import jsonable

SCHEMA_FAMILY = "scratch-parity/report/"  # any version of it marks a directory as a report
RECORD_COLUMNS = None  # filled from parity.records.Record on first use
RESULTS = "results.json.gz"  # the whole document, gzipped (a tenth of its size; read_results reads it)


def write_report(results, out, op_only=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clear_previous(out)
    pictures = {} if op_only else make_plots(results, out)
    paths = {"records_csv": _records_csv(results["ops"]["records"], out / "op_records.csv.gz"),
             "matrix_csv": _dicts_csv(summary.matrix(results["ops"]["records"]), out / "op_matrix.csv.gz")}
    if not op_only:
        paths["catalogue_csv"] = _dicts_csv(results["catalogue"]["rows"], out / "catalogue.csv")
        paths["experiments_csv"] = _experiments_csv(results, out / "experiments.csv")
        paths["accuracy_csv"] = _accuracy_csv(results, out / "experiments_accuracy.csv")
        paths["seeds_csv"] = _seeds_csv(results, out / "seeds.csv")
        for x in results["experiments"]:
            if x.get("result"):
                paths[f"loss_{x['name']}"] = _loss_csv(x["result"], out / f"loss_{x['name']}.csv.gz")
    paths["json"] = gzip_text(results_json(trimmed(results)), out / RESULTS)
    blocks = document.build(results, pictures, op_only)
    paths["markdown"] = out / "report.md"
    paths["markdown"].write_text(markdown.render(blocks))
    paths["html"] = out / "index.html"
    paths["html"].write_text(html.render(blocks, out))
    paths.update({f"png_{k}": out / v for k, v in pictures.items()})
    return {k: str(v) for k, v in paths.items()}


def read_results(directory):
    """The results document of the report in ``directory`` (``results.json.gz``)."""
    return json.loads(gzip.decompress((Path(directory) / RESULTS).read_bytes()))


def _clear_previous(out):
    """Remove the PNG, CSV and results files of an earlier report in ``out`` (only if it holds one:
    ``results.json.gz``, or the plain ``results.json`` earlier versions wrote)."""
    gz, plain = out / RESULTS, out / "results.json"
    head = (gzip.decompress(gz.read_bytes())[:200].decode() if gz.exists() else
            plain.read_text()[:200] if plain.exists() else "")
    if SCHEMA_FAMILY in head:
        for path in [*out.glob("*.png"), *out.glob("*.csv"), *out.glob("*.csv.gz"), *out.glob("results.json")]:
            path.unlink()


def make_plots(results, out):
    """{experiment name or "seeds": png file name} for what could be drawn."""
    from harness.report import plots  # matplotlib only when there is something to draw

    pictures = {}
    for x in results.get("experiments", []):
        if x.get("result") and plots.experiment_figure(x, out / f"{x['name']}.png"):
            pictures[x["name"]] = f"{x['name']}.png"
    if results.get("seeds") and plots.seeds_figure(results["seeds"], out / "seeds.png"):
        pictures["seeds"] = "seeds.png"
    return pictures


def results_json(document):
    """Strict JSON, one op record's row a line (a regeneration's diff is per record), the rest
    without indentation (a quarter of its size)."""
    document = jsonable(document)
    table = document.get("ops", {}).get("record_table")
    if not table or not table["rows"]:
        return json.dumps(document, allow_nan=False, default=str, separators=(",", ":"))
    marker = "\u0000rows\u0000"
    rows, table["rows"] = table["rows"], marker
    text = json.dumps(document, allow_nan=False, default=str, separators=(",", ":"))
    lines = ",\n".join("  " + json.dumps(r, allow_nan=False, default=str, separators=(",", ":")) for r in rows)
    return text.replace(json.dumps(marker), "[\n" + lines + "\n ]")


def records_of(document):
    """The op records of a results.json document as dicts (``ops.record_table``), ``versions`` as
    the objects (from ``ops.versions``); passing records have no ``message``."""
    ops = document.get("ops", {})
    table = ops.get("record_table") or {"columns": [], "rows": []}
    versions = ops.get("versions", [])
    out = []
    for row in table["rows"]:
        record = {**table.get("same", {}), **dict(zip(table["columns"], row))}
        if record.get("message", "") is None:
            del record["message"]
        if isinstance(record.get("versions"), int):
            record["versions"] = versions[record["versions"]]
        out.append(record)
    return out


# Record fields results.json gives to ROUNDED_DIGITS significant digits (op_records.csv.gz: every digit).
ROUNDED, ROUNDED_DIGITS = ("max_abs_err", "max_rel_err", "rtol", "atol", "err_vs_float64", "ref_rounding"), 4


def trimmed(results):
    """results without the per-iteration curves (train_loss, dloss: they are in the loss CSVs),
    the records' versions as indices into ``ops.versions`` and passing records without their
    message (op_records.csv.gz has every field of every record)."""
    import copy

    slim = copy.deepcopy(results)
    ops = slim.get("ops", {})
    distinct = []
    for record in ops.get("records", []):
        versions = nested(record.get("versions"))
        if versions not in distinct:
            distinct.append(versions)
        record["versions"] = distinct.index(versions)
        if record.get("status") == "pass":
            record["message"] = None
        for name in ROUNDED:
            if isinstance(record.get(name), float) and math.isfinite(record[name]):
                record[name] = float(f"{record[name]:.{ROUNDED_DIGITS}g}")
    if "records" in ops:
        records = ops.pop("records")
        columns = list(records[0]) if records else []
        same = {c: records[0].get(c) for c in columns if all(r.get(c) == records[0].get(c) for r in records)}
        columns = [c for c in columns if c not in same]
        ops["versions"] = distinct
        ops["record_table"] = {"columns": columns, "same": same, "rows": [[r.get(c) for c in columns] for r in records]}
    for x in slim.get("experiments", []):
        res = x.get("result")
        if not res:
            continue
        for run in res["runs"].values():
            run.pop("train_loss", None)
        for cmp in res["comparison"].values():
            cmp.pop("dloss", None)
        x["curves_csv"] = f"loss_{x['name']}.csv.gz"
    return slim


def nested(value):
    """A value that arrived as text holding a JSON object (or a Python dict's repr) as that object;
    anything else unchanged. Records carry their ``versions`` as a string; the JSON gets the object."""
    if not isinstance(value, str) or not value.startswith("{"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        import ast

        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value


def gzip_text(text, path):
    """``text`` gzipped to ``path`` with no time stamp or file name inside: the same text, the same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())
    return path


def _records_csv(records, path):
    from parity.records import Record

    columns = list(Record.__dataclass_fields__)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return gzip_text(buffer.getvalue(), path)


def _dicts_csv(rows, path):
    columns = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns or ["empty"])
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list, tuple)) else v for k, v in row.items()})
    if str(path).endswith(".gz"):
        return gzip_text(buffer.getvalue(), path)
    Path(path).write_text(buffer.getvalue(), newline="")
    return path


def _experiments_csv(results, path):
    rows = []
    for x in results["experiments"]:
        res = x.get("result") or {}
        if not res:
            rows.append({"experiment": x["name"], "status": x["status"], "message": (x.get("error") or {}).get("error")})
            continue
        for fw in res["frameworks"]:
            run, cmp = res["runs"][fw], res["comparison"].get(fw, {})
            rows.append({"experiment": x["name"], "dataset": (res.get("dataset") or {}).get("name"), "dtype": res["dtype"],
                         "seed": res["seed"], "iters": res["iters"], "full_iters": x.get("full_iters"),
                         "framework": fw, "backend": run.get("backend"), "status": run.get("status"),
                         "final_train_acc": run.get("final_train_acc"), "final_test_acc": run.get("final_test_acc"),
                         "max_abs_dloss": cmp.get("max_abs_dloss"), "first_divergent_iter": cmp.get("first_divergent_iter"),
                         "tolerance": cmp.get("tolerance"), "time_per_iter_s": run.get("time_per_iter_s"),
                         "wall_s": run.get("wall_s"), "message": run.get("message")})
    return _dicts_csv(rows, path)


def _accuracy_csv(results, path):
    rows = []
    for x in results["experiments"]:
        for fw, run in ((x.get("result") or {}).get("runs") or {}).items():
            for k, (i, a, b) in enumerate(zip(run.get("eval_iters", []), run.get("train_acc", []), run.get("test_acc", []))):
                rows.append({"experiment": x["name"], "framework": fw, "eval_index": k, "iter": i, "train_acc": a,
                             "test_acc": b})
    return _dicts_csv(rows, path)


def _seeds_csv(results, path):
    s = results.get("seeds") or {}
    rows = []
    for r in s.get("runs", []):
        for fw in results["options"]["frameworks"]:
            run = r.get(fw) or {}
            rows.append({"experiment": s["experiment"], "iters": s["iters"], "seed": r["seed"], "framework": fw,
                         "status": run.get("status"), "final_train_acc": run.get("final_train_acc"),
                         "final_test_acc": run.get("final_test_acc"), "message": run.get("message")})
    return _dicts_csv(rows, path)


LOSS_DIGITS, DLOSS_DIGITS = 8, 2  # significant digits of the reference's loss and of each difference to it


def _loss_csv(result, path):
    """Gzipped CSV, every iteration: iter, loss_<reference> (8 significant digits) and
    dloss_<framework> = loss_<framework> - loss_<reference> in float64 (2 significant digits: the
    size of the difference, down to 1e-16, is what the comparison reads). Full-precision losses
    are in the JSON ``harness run`` writes."""
    runs = {fw: r["train_loss"] for fw, r in result["runs"].items() if r.get("train_loss")}
    if not runs:
        return gzip_text("iter\n", path)
    ref_name = "numpy" if "numpy" in runs else next(iter(runs))
    ref = runs[ref_name]
    others = [fw for fw in runs if fw != ref_name]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["iter", f"loss_{ref_name}", *(f"dloss_{fw}" for fw in others)])

    def cell(value, digits):
        return "" if value is None else format(value, f".{digits}g")

    for i in range(max(len(v) for v in runs.values())):
        base = ref[i] if i < len(ref) else None
        diffs = [runs[fw][i] - base if base is not None and i < len(runs[fw]) and runs[fw][i] is not None else None
                 for fw in others]
        writer.writerow([i, cell(base, LOSS_DIGITS), *(cell(d, DLOSS_DIGITS) for d in diffs)])
    return gzip_text(buffer.getvalue(), path)
