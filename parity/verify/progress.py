"""What ``parity check`` shows while it works, on stderr.

- on a terminal (or with ``--progress``): a tqdm bar ``[n/N]`` with the elapsed time, the time
  left and the component running; a component that does not pass is written above the bar;
- otherwise (a log, a pipe): one line per finished component, ``[n/N] layer Affine pass``;
- ``--quiet``: nothing.
"""
import sys

BAR_FORMAT = "{desc:<34} [{n_fmt}/{total_fmt}] {bar:20} {elapsed}<{remaining}"


class CheckProgress:
    """The callbacks ``parity.verify.suite.check`` takes: ``start`` (on_start), ``begin`` (on_unit),
    ``done`` (progress)."""

    def __init__(self, bar, stream=None):
        self.bar_wanted, self.stream = bar, stream or sys.stderr
        self.bar, self.total, self.n = None, 0, 0

    def start(self, units):
        self.total = len(units)
        if self.bar_wanted:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, file=self.stream, bar_format=BAR_FORMAT, dynamic_ncols=True)
        else:
            print(f"parity check: {self.total} components to check", file=self.stream, flush=True)

    def begin(self, unit):
        if self.bar is not None:
            self.bar.set_description_str(f"{unit.kind} {unit.name}")

    def done(self, summary):
        self.n += 1
        line = f"[{self.n}/{self.total}] {summary.kind:<11} {summary.component:<26} {summary.status}"
        if self.bar is None:
            print(line, file=self.stream, flush=True)
            return
        if summary.status != "pass":
            self.bar.write(line, file=self.stream)
        self.bar.update(1)
        if self.n == self.total:
            self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def wants_bar(stream, forced):
    """A bar where ``stream`` is a terminal, or where ``--progress`` asks for one."""
    return forced or bool(getattr(stream, "isatty", lambda: False)())
