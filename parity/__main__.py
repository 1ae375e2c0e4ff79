"""``python -m parity check PATH | selftest | localize PATH``: see ``parity.check.cli``."""
import sys

from parity.check.cli import main

if __name__ == "__main__":
    sys.exit(main())
