"""The errors the data package raises.

Every error names the file (or the data set) it is about, so that a user can
find and fix the file; a file that raised an error is never used.
"""


class DataError(ValueError):
    """A data file is wrong: checksum mismatch, truncated gzip, bad IDX header."""


class DataUnavailableError(DataError):
    """A data set is neither present locally nor downloadable right now.

    The message says which files are needed, where to put them, and which
    environment variables point the loader at them.
    """
