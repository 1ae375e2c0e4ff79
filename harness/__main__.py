"""``python -m harness``: see harness.cli."""
import sys

from harness.cli import main
import harness.report.cli  # noqa: F401 - registers the `report` subcommand

sys.exit(main())
