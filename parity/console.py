"""The ``scratch-parity`` command (``[project.scripts]``): one name for both command lines.

    scratch-parity check|localize|selftest ...      -> python -m parity ...   (parity.verify.cli)
    scratch-parity run|report|list|explain ...      -> python -m harness ...  (harness.cli)
    scratch-parity --version | COMMAND --version

Also the pieces both command lines share: ``version()`` and ``HelpFormatter`` (the help shows
each option's default and keeps the examples and exit codes of the epilog as written).
"""
import argparse
import sys

PROG = "scratch-parity"
# command -> (the command line that has it, one line of help); the table the top-level help prints.
COMMANDS = {
    "check": ("parity", "check an implementation (folder, notebook, script, module) against the frameworks"),
    "localize": ("parity", "per-parameter gradient errors and layer-by-layer forward gaps of a net"),
    "selftest": ("parity", "plant the shipped faults in copies of the reference and check that each is caught"),
    "run": ("harness", "train an experiment in several frameworks and compare the runs"),
    "report": ("harness", "run the parity checks and experiments and write the report"),
    "list": ("harness", "show the experiments and which data sets are available"),
    "explain": ("harness", "find the step where two frameworks' runs part and name its first discrete event"),
}
EXAMPLES = f"""examples:
  {PROG} check ./common                       every check of the book-style folder ./common
  {PROG} check lesson.ipynb --frameworks torch --components Affine,Adam
  {PROG} check ./common --json -               the records as JSON on standard output
  {PROG} selftest                             the shipped faults, each must be caught
  {PROG} run two_layer_relu --iters 500       a short training run in every framework
  {PROG} report --quick --out /tmp/report     a 1-2 minute report
  pytest --impl ./common                        the parity suite as pytest tests (the plugin)

exit status: 0 passed; 1 a check failed (or a run diverged); 2 bad input. `{PROG} COMMAND --help`
for each command's options, defaults and exit status."""


def version():
    """The installed distribution's version (``parity.__version__``)."""
    from parity import __version__

    return __version__


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Epilogs (examples, exit codes) as written; "(default: X)" after each option's help that
    does not already state its default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, "", [], argparse.SUPPRESS) \
                or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def add_version(parser):
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")


def parser():
    p = argparse.ArgumentParser(prog=PROG, formatter_class=HelpFormatter, epilog=EXAMPLES,
                                description="scratch-parity: does an implementation of 'Deep Learning from "
                                            "Scratch' compute what PyTorch, Keras and JAX compute?")
    add_version(p)
    p.add_argument("command", choices=list(COMMANDS), metavar="COMMAND",
                   help="; ".join(f"{name}: {what}" for name, (_, what) in COMMANDS.items()))
    return p


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        parser().parse_args(argv[:1] or argv)  # --help, --version, or a usage error naming the commands
        return 2
    if COMMANDS[argv[0]][0] == "parity":
        from parity.verify.cli import main as parity_main

        return parity_main(argv, prog=PROG)
    import harness.report.cli  # noqa: F401 -- registers `report`
    from harness.cli import main as harness_main

    return harness_main(argv, prog=PROG)


if __name__ == "__main__":
    sys.exit(main())
