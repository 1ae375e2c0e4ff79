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
    """Each framework plug-in's versions, devices and switches (``Plugin.describe``), or why it
    cannot run here."""
    from parity.backends import plugin

    return {p.name: p.describe() for p in plugin.plugins()}


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
