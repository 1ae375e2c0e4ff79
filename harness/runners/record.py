"""What one framework's run records, and the loop the framework runners share.

A run result is a plain JSON-able dict (see ``RunRecorder.result``)::

    framework, backend, dtype, seed, status ("ok" | "diverged"), message (None or why it stopped),
    iters_planned, iters_done, init_sha256, init_equal (bit-identical to the plan),
    optimizer_impl, perturbation (None or the planted change),
    train_loss [iters_done floats], eval_iters, train_acc, test_acc [per evaluation],
    final_train_acc, final_test_acc (the last evaluation; None if none),
    wall_s (whole loop), eval_s (accuracy evaluations), train_s = wall_s - eval_s,
    time_per_iter_s: the median step time after the warm-up (``step_timing``), with
    time_per_iter_p10_s / time_per_iter_p90_s (the spread) and warmup_iters (steps left out)
    first_iter_s (the first step: a compiled step's tracing and compile happen here)

A non-finite loss stops the run: status "diverged", the message names the iteration and the
value, and the curves recorded so far are kept.
"""
import math
import statistics
import time


class Diverged(Exception):
    """The loss became NaN or infinite (or the net refused non-finite values); the run stops here.
    ``located``: the message already names the iteration (else ``drive`` adds it)."""

    def __init__(self, message, located=False):
        super().__init__(message)
        self.located = located


class RunRecorder:
    """Collects the curves and the timings of one framework's run."""

    def __init__(self, framework, backend, plan, progress=None):
        self.framework = framework
        self.backend = backend
        self.plan = plan
        self.progress = progress
        self.train_loss, self.eval_iters, self.train_acc, self.test_acc = [], [], [], []
        self.eval_s = 0.0
        self.step_s = []  # seconds of each training step (evaluations excluded)
        self.init_sha256 = None
        self.optimizer_impl = None

    def loss(self, i, value):
        """Record iteration ``i``'s loss; raise Diverged if it is not finite."""
        value = float(value)
        if not math.isfinite(value):
            raise Diverged(f"{self.framework}: loss is {value} at iteration {i} "
                           f"(lr {self.plan.lr:g}); run stopped, {i} finite losses kept", located=True)
        self.train_loss.append(value)
        if self.progress is not None:
            self.progress.update(1)

    def accuracies(self, i, train_acc, test_acc):
        self.eval_iters.append(i)
        self.train_acc.append(float(train_acc))
        self.test_acc.append(float(test_acc))

    def timed_eval(self, fn):
        """Wrap an accuracy function so the time spent in it counts as evaluation time."""
        def wrapped(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.eval_s += time.perf_counter() - start
        return wrapped

    def step_time(self, seconds):
        self.step_s.append(seconds)

    def result(self, wall_s, message=None):
        done = len(self.train_loss)
        train_s = max(wall_s - self.eval_s, 0.0)
        timing = step_timing(self.step_s)
        perturbation = self.plan.perturbation
        return {
            "framework": self.framework,
            "backend": self.backend,
            "dtype": self.plan.dtype,
            "seed": self.plan.seed,
            "status": "ok" if message is None else "diverged",
            "message": message,
            "iters_planned": self.plan.iters,
            "iters_done": done,
            "init_sha256": self.init_sha256,
            "init_equal": self.init_sha256 is not None,
            "optimizer_impl": self.optimizer_impl,
            "perturbation": None if perturbation is None else perturbation.as_record(),
            "train_loss": list(self.train_loss),
            "eval_iters": list(self.eval_iters),
            "train_acc": list(self.train_acc),
            "test_acc": list(self.test_acc),
            "final_train_acc": self.train_acc[-1] if self.train_acc else None,
            "final_test_acc": self.test_acc[-1] if self.test_acc else None,
            "wall_s": wall_s,
            "eval_s": self.eval_s,
            "train_s": train_s,
            "time_per_iter_s": timing["median"],
            "time_per_iter_p10_s": timing["p10"],
            "time_per_iter_p90_s": timing["p90"],
            "warmup_iters": timing["warmup"],
            "first_iter_s": self.step_s[0] if self.step_s else None,
        }


WARMUP_SHARE, WARMUP_MAX = 0.1, 20  # steps left out of the timing: compilation, caches, allocator


def step_timing(step_s):
    """Median and 10th / 90th percentiles of the step times after the warm-up (the first 10% of
    the steps, at most 20; none when fewer than 5 steps ran): what one step costs once running."""
    import numpy as np

    warmup = min(WARMUP_MAX, int(len(step_s) * WARMUP_SHARE)) if len(step_s) >= 5 else 0
    steady = np.asarray(step_s[warmup:], dtype=float)
    if steady.size == 0:
        return {"median": None, "p10": None, "p90": None, "warmup": warmup}
    p10, median, p90 = (float(v) for v in np.percentile(steady, [10, 50, 90]))
    return {"median": median, "p10": p10, "p90": p90, "warmup": warmup}


def drive(plan, recorder, step, accuracy):
    """The reference trainer's loop for a framework: for each iteration i, ``step(batch_mask)``
    updates the weights and returns the loss on the same batch after the update; at
    ``i % iter_per_epoch == 0`` record ``accuracy("train")`` and ``accuracy("test")``.
    Returns the result dict (status "diverged" if a loss was not finite)."""
    accuracy = recorder.timed_eval(accuracy)
    message, i = None, 0
    start = time.perf_counter()
    try:
        for i in range(plan.iters):
            t0 = time.perf_counter()
            value = float(step(plan.batch_indices[i]))  # float(): waits for an asynchronous framework's step
            recorder.step_time(time.perf_counter() - t0)
            recorder.loss(i, value)
            if plan.evaluates_at(i):
                recorder.accuracies(i, accuracy("train"), accuracy("test"))
    except Diverged as exc:
        message = str(exc) if exc.located else f"{exc} at iteration {i}; run stopped, {i} finite losses kept"
    return recorder.result(time.perf_counter() - start, message)
