"""``python -m parity check PATH | selftest | localize PATH``: see ``parity.verify.cli``."""
import sys

from parity.verify.cli import main

if __name__ == "__main__":
    sys.exit(main())
