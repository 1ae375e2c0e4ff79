"""Where a report was made: interpreter, libraries, BLAS and threads, CPU, device, numerics, git.

    >>> env = environment(); env["python"], env["git_commit"]
    ('3.11.7', '60fab80...')

Frameworks are described only if importable; importing them here is fine (the report runs them
anyway). Every field is a plain string, number, bool, list or dict (JSON-ready).
"""
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment():
    """The environment record of the report (section 7)."""
    import numpy

    from parity import numerics

    env = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "numpy": numpy.__version__,
        "blas": blas(),
        "threadpools": threadpools(),
        "frameworks": frameworks(),
        "numerics": {k: v for k, v in numerics.STATE.items()},
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
    }
    return env


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else platform.processor(), else "unknown"."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas():
    """NumPy's BLAS/LAPACK build information (name, version, openblas configuration)."""
    import numpy

    try:
        config = numpy.show_config(mode="dicts")
    except TypeError:  # NumPy < 1.25 has no mode="dicts"
        return {"info": "unknown (numpy.show_config has no dict mode)"}
    deps = config.get("Build Dependencies", {})
    out = {}
    for key in ("blas", "lapack"):
        d = deps.get(key, {})
        out[key] = {k: d.get(k) for k in ("name", "version", "openblas configuration") if d.get(k) is not None}
    return out


def threadpools():
    """Native thread pools in use (threadpoolctl, if installed): library, api, version, threads."""
    if importlib.util.find_spec("threadpoolctl") is None:
        return [{"info": "threadpoolctl is not installed"}]
    from threadpoolctl import threadpool_info

    return [{k: pool.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads")}
            for pool in threadpool_info()]


def frameworks():
    """Versions of torch, tensorflow and keras (with its backend), and torch's device and threads."""
    out = {}
    if importlib.util.find_spec("torch") is not None:
        import torch

        out["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                        "interop_threads": torch.get_num_interop_threads(),
                        "cuda_available": torch.cuda.is_available(),
                        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
                        "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                        "tf32_cudnn": torch.backends.cudnn.allow_tf32,
                        "deterministic": torch.are_deterministic_algorithms_enabled()}
    else:
        out["torch"] = {"version": None, "missing": "torch is not installed"}
    if importlib.util.find_spec("tensorflow") is not None:
        out["tensorflow"] = {"version": _distribution_version("tensorflow-cpu", "tensorflow"),
                             "imported": "tensorflow" in sys.modules}
        if "tensorflow" in sys.modules:
            tf = sys.modules["tensorflow"]
            out["tensorflow"].update(version=tf.__version__,
                                     tf32=tf.config.experimental.tensor_float_32_execution_enabled(),
                                     gpus=len(tf.config.list_physical_devices("GPU")))
    else:
        out["tensorflow"] = {"version": None, "missing": "tensorflow is not installed"}
    from parity.frameworks import keras_backend, missing_reason

    if importlib.util.find_spec("keras") is not None:
        out["keras"] = {"version": _distribution_version("keras"), "backend": keras_backend(),
                        "missing": missing_reason("keras")}
    else:
        out["keras"] = {"version": None, "missing": "keras is not installed"}
    return out


def _distribution_version(*names):
    from importlib.metadata import PackageNotFoundError, version

    for name in names:
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None


def git_commit():
    """``git rev-parse HEAD`` of the project, or "unknown" outside a git checkout."""
    return _git("rev-parse", "HEAD") or "unknown"


def git_dirty():
    """True if tracked files differ from the commit (None: unknown)."""
    status = _git("status", "--porcelain", "--untracked-files=no")
    return None if status is None else bool(status.strip())


def _git(*args):
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None
