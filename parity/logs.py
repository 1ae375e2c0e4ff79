"""Framework log noise off the terminal (TensorFlow's C++ and Python logs, absl, JAX's platform
warning) unless the user asks for it (``--verbose``). Environment variables reach the children
the checks and runs are made in; the Python loggers are set here and in each child that imports a
framework after this (the loggers exist before the frameworks fetch them).
"""
import logging
import os

# environment variable -> value meaning "errors only"; SCRATCH_PARITY_QUIET tells the children
# (loky workers, fork-server children) to quiet their Python loggers too (``apply_if_asked``).
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "ABSL_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR",
             "SCRATCH_PARITY_QUIET": "1"}
QUIET_LOGGERS = ("tensorflow", "absl", "jax._src.xla_bridge", "h5py")


def quiet():
    """Errors only from the frameworks' logs in this process and its children."""
    os.environ.update(QUIET_ENV)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def apply_if_asked():
    """In a child: quiet the Python loggers when the process that started it asked for quiet."""
    if os.environ.get("SCRATCH_PARITY_QUIET") == "1":
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
