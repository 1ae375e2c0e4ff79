"""The layout matrix as data: convolution and max-pooling cases as users port them between
frameworks, each run in every tensor layout a framework's layer takes.

Each ``Layout`` is one case (input size, kernel, stride, the framework's padding argument, bias on
or off); ``parity.registry.layouts`` makes one registry row per case x data format
(``DATA_FORMATS``) and ``parity.cases`` makes its input arrays. The reference (the book's
``Convolution`` / ``Pooling``, NCHW with a symmetric integer ``pad``) runs with ``book_pad``: the
explicit pad, 0 for "valid", and for "same" the pad that gives the framework's output size.
Frameworks compute "same" as total = max((ceil(H / s) - 1) * s + k - H, 0) zeros per axis; where
that total is odd, "same" pads unevenly (the extra row / column at the bottom / right), which the
book's one ``pad`` cannot express (``symmetric`` False): such a case is a difference of the book
for every framework, declared in ``known`` under "*" with the checks it changes.

``known``: {framework label or "*": (reason, checks)}: measured differences and refusals (a
framework that raises for the case), with the framework version they were measured with; the
runner reports them with status "known" and the tests xfail them strictly, so a framework that
starts to agree (or to accept the case) shows up.

    >>> LAYOUTS[0].id, LAYOUTS[0].book_pad
    ('valid-s1-odd', 0)
"""
from dataclasses import dataclass, field
import math

# The tensor layouts of a framework's conv / pool layer argument (``data_format`` in Keras); a
# framework plug-in lists the ones its layers take in ``Plugin.layouts``.
DATA_FORMATS = {
    "channels_first": "NCHW input, the book's own layout",
    "channels_last": "NHWC input (the book's NCHW transposed in and out inside the counterpart)",
}

_SAME_UNEVEN = ("'same' pads unevenly here (the extra zero row/column at the bottom/right); the book's "
                "symmetric pad cannot express it, so compared with the book's pad = ceil(total / 2) (the same "
                "output size) every window is shifted by one pixel (measured |diff| up to 4.1 forward, 16 in dW)")
_SAME_EVEN_KERNEL = ("'same' with a 4x4 kernel at stride 1 pads 3 zeros per axis (1 before, 2 after: output 5x5); "
                     "the book's symmetric pad gives 4x4 (pad 1) or 6x6 (pad 2), never 5x5, so the shapes differ "
                     "(torch 2.13 accepts it with a UserWarning that it copies the input zero-padded)")
_POOL_SAME_INF = ("max pooling 'same' ignores the padded positions (pads with -inf, the reduce_window "
                  "init value); the book's im2col pads with zeros, so a window whose real values are "
                  "all negative gives 0 in the book")
_TF_NCHW = ("TensorFlow 2.21's CPU kernels refuse NCHW: 'The Conv2D op currently only supports the NHWC "
            "tensor format on the CPU' (keras 3.15 passes channels_first through to tf.nn.convolution; its "
            "MaxPooling2D transposes to NHWC itself and works)")
_TORCH_SAME_STRIDED = "torch 2.13 Conv2d raises \"padding='same' is not supported for strided convolutions\""
_TORCH_POOL_SAME = "torch 2.13 max_pool2d takes integer padding only (padding='same': TypeError)"

# The table of known differences' row that measures a reason on the book's shapes, where it has one
# (``parity.catalogue.table``); the refusals and the even-kernel shape have none: the record's reason
# is all there is to it.
CATALOGUE_ROW = {_SAME_UNEVEN: "padding-same-stride2", _POOL_SAME_INF: "pooling-pad-value"}

CONV_CHECKS = ("forward", "dx", "dW", "db")
POOL_CHECKS = ("forward", "dx")


@dataclass(frozen=True)
class Layout:
    """One case of the matrix.

    id: readable case id ("same-s2-even"); op: "Conv" or "Pool"; size: (H, W) of the input;
    kernel: (FH, FW) of the filter / pooling window; stride; padding: the framework's argument,
    "valid", "same" or an int (explicit zeros on each side); bias: whether the convolution has one
    (off: the book's b is zeros and the framework's layer has none); channels, filters, batch:
    C, FN, N; known: see the module doc.
    """

    id: str
    op: str
    size: tuple
    kernel: tuple
    stride: int
    padding: object
    bias: bool = True
    channels: int = 2
    filters: int = 3
    batch: int = 2
    known: dict = field(default_factory=dict)

    def total_pad(self):
        """Zeros added per axis by the framework (H axis, W axis)."""
        if isinstance(self.padding, int):
            return (2 * self.padding,) * 2
        if self.padding == "valid":
            return (0, 0)
        return tuple(max((math.ceil(n / self.stride) - 1) * self.stride + k - n, 0)
                     for n, k in zip(self.size, self.kernel))

    @property
    def symmetric(self):
        th, tw = self.total_pad()
        return th == tw and th % 2 == 0

    @property
    def book_pad(self):
        """The book's pad: the explicit one, 0 for valid, ceil(total / 2) for same (equal output size)."""
        return math.ceil(max(self.total_pad()) / 2)

    @property
    def checks(self):
        if self.op == "Pool":
            return POOL_CHECKS
        return CONV_CHECKS if self.bias else tuple(c for c in CONV_CHECKS if c != "db")

    @property
    def case_id(self):
        return f"layout-{self.op.lower()}-{self.id}"

    def output_size(self):
        pad = self.book_pad
        return tuple((n + 2 * pad - k) // self.stride + 1 for n, k in zip(self.size, self.kernel))


# A representative grid: padding valid / same / explicit, strides 1 and 2, odd and even sizes
# (which decide whether "same" is symmetric), bias on and off.
LAYOUTS = (
    Layout("valid-s1-odd", "Conv", (5, 5), (3, 3), 1, "valid"),
    Layout("valid-s2-even-nobias", "Conv", (6, 6), (3, 3), 2, "valid", bias=False),
    Layout("same-s1-odd", "Conv", (5, 5), (3, 3), 1, "same"),
    Layout("same-s1-k4-nobias", "Conv", (5, 5), (4, 4), 1, "same", bias=False,
           known={"*": (_SAME_EVEN_KERNEL, ("forward", "dx", "dW"))}),
    Layout("same-s2-odd", "Conv", (7, 7), (3, 3), 2, "same",
           known={"torch": (_TORCH_SAME_STRIDED, CONV_CHECKS)}),
    Layout("same-s2-even", "Conv", (6, 6), (3, 3), 2, "same",
           known={"*": (_SAME_UNEVEN, ("forward", "dx", "dW")), "torch": (_TORCH_SAME_STRIDED, CONV_CHECKS)}),
    Layout("pad2-s2-even-nobias", "Conv", (6, 6), (3, 3), 2, 2, bias=False),
    Layout("valid-s2-even", "Pool", (4, 4), (2, 2), 2, "valid"),
    Layout("valid-s1-odd-3x3", "Pool", (5, 5), (3, 3), 1, "valid"),
    Layout("same-s1-odd-3x3", "Pool", (5, 5), (3, 3), 1, "same",
           known={"*": (_POOL_SAME_INF, POOL_CHECKS), "torch": (_TORCH_POOL_SAME, POOL_CHECKS)}),
    Layout("same-s2-odd", "Pool", (5, 5), (2, 2), 2, "same",
           known={"*": (_SAME_UNEVEN, POOL_CHECKS), "torch": (_TORCH_POOL_SAME, POOL_CHECKS)}),
)

# Refusals that depend on the data format (TensorFlow's CPU kernels), {data format: {label: reason}}.
FORMAT_KNOWN = {
    "channels_first": {"Conv": {"keras[tensorflow]": _TF_NCHW}},
}


def get(layout_id, op):
    for layout in LAYOUTS:
        if layout.id == layout_id and layout.op == op:
            return layout
    raise ValueError(f"no {op} layout {layout_id!r}; known: {[f'{x.op}-{x.id}' for x in LAYOUTS]}")
