"""The book's output conventions (``dataset/mnist.py`` of *Deep Learning from Scratch*).

- ``normalize=True``: images ``astype(float32)`` then ``/= 255.0`` (values in [0, 1]);
  ``False``: uint8 0-255.
- ``flatten=True``: images (N, 784); ``False``: (N, 1, 28, 28).
- ``one_hot_label=True``: labels (N, 10) from ``np.zeros`` (float64) with a 1 at the
  label; ``False``: labels (N,) uint8.
- ``dtype`` (not in the book) overrides the image dtype, and the one-hot dtype.
"""

from __future__ import annotations

import numpy as np

NUM_CLASSES = 10
IMAGE_SHAPE = (1, 28, 28)


def to_book_format(images: np.ndarray, labels: np.ndarray, *, normalize: bool = True,
                   flatten: bool = True, one_hot_label: bool = False,
                   dtype: np.dtype | type | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Convert uint8 images (N, 28, 28) and uint8 labels (N,) to the book's ``(x, t)``.

    Example::

        >>> x, t = to_book_format(np.zeros((2, 28, 28), np.uint8), np.array([3, 1], np.uint8),
        ...                       one_hot_label=True)
        >>> x.shape, x.dtype, t.shape, t.dtype
        ((2, 784), dtype('float32'), (2, 10), dtype('float64'))
    """
    n = len(images)
    if normalize:
        x = images.astype(np.float32 if dtype is None else dtype)
        x /= 255.0
    else:
        x = images.astype(np.uint8 if dtype is None else dtype, copy=True)
    x = x.reshape(n, -1) if flatten else x.reshape((n, *IMAGE_SHAPE))
    if one_hot_label:
        t = np.zeros((n, NUM_CLASSES), dtype=np.float64 if dtype is None else dtype)
        t[np.arange(n), labels] = 1
    else:
        t = labels.astype(np.uint8, copy=True)
    return x, t
