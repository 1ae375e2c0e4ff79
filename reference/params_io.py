"""The book's parameter files: a net's ``params`` dict, pickled (``save_params`` / ``load_params``
of ch07's SimpleConvNet and ch08's DeepConvNet).

A file is ``pickle.dump({"W1": array, "b1": array, ...})``, nothing else, so files written by the
book's nets load here and the other way round. Loading copies the values into the net's arrays in
place: the layers hold those same arrays, and the net keeps its dtype (a float64 file loads into
a float32 net as float32).
"""
import pickle

import numpy as np

from reference._checks import check_saved_params


def save_params(params, file_name):
    """Pickle {key: array} for every entry of ``params``."""
    with open(file_name, "wb") as f:
        pickle.dump({key: val for key, val in params.items()}, f)


def load_params(params, file_name, where="load_params"):
    """Copy the arrays pickled in ``file_name`` into ``params`` (same keys, same shapes), in place."""
    try:
        with open(file_name, "rb") as f:
            saved = pickle.load(f)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError) as e:
        raise ValueError(f"{where}: {file_name} is not a pickled dict of parameters ({type(e).__name__}: {e})") from None
    check_saved_params(where, file_name, saved, params)
    for key, val in saved.items():
        params[key][...] = np.asarray(val)
