"""Registry rows: the layout matrix (``parity.layouts``), one row per case x data format.

Row "Conv-channels_last-same-s2-even" compares the book's ``Convolution`` (NCHW, its symmetric
``pad``) with each framework's convolution layer given that data format and the framework's own
padding argument ("same", "valid" or explicit zeros) and bias switch, on the case's input; the
builder, ``convolution_<data format>`` / ``pooling_<data format>`` in a framework plug-in's
``layers``, takes ``padding`` and ``use_bias`` (``config["builder_args"]``) and translates the
book's NCHW arrays to its layout and back. A plug-in without that builder (its layer takes no
such layout) has no counterpart for the row.

Kind "layout" (runner ``parity.runners.layouts``, the layer runner): the report runs these rows;
``check`` of a user's implementation runs them only when asked (``--kinds layout``), since they
compare the frameworks' layouts more than the user's layer (its own rows are ``Convolution`` and
``Pooling``).

Known differences and refusals come from the table (``Layout.known``, "*" for every framework,
and ``FORMAT_KNOWN`` per data format), expanded over the dtypes and the checks they change.
"""
from parity.catalogue.derive import Known
from parity.layouts import CATALOGUE_ROW, DATA_FORMATS, FORMAT_KNOWN, LAYOUTS
from parity.registry.layers import _conv_k, _pool_k
from parity.registry.spec import Component

# float64 only: what the matrix varies (padding positions, layouts, bias) does not depend on the
# dtype, and float32 convolution / pooling numerics are the Convolution and Pooling rows' (both
# dtypes); one dtype halves the matrix's cost (measured ~70 s for both over the five framework
# columns on 2 shared cores).
DTYPES = ("float64",)
_BOOK_POOL_PAD = "the book's Pooling sizes its output without pad, so any pad > 0 fails to reshape"


def _known(layout, data_format):
    entries = dict(layout.known)
    for label, reason in FORMAT_KNOWN.get(data_format, {}).get(layout.op, {}).items():
        entries[label] = (reason, layout.checks)  # a refusal: every check
    return {(label, dtype, check): Known(reason, CATALOGUE_ROW.get(reason, ""))
            for label, (reason, checks) in entries.items()
            for dtype in DTYPES for check in checks}


def _row(layout, data_format):
    conv = layout.op == "Conv"
    args = {"padding": layout.padding, **({"use_bias": layout.bias} if conv else {})}
    return Component(
        name=f"{layout.op}-{data_format}-{layout.id}", kind="layout",
        reference="layers.Convolution" if conv else "layers.Pooling",
        builder=f"{'convolution' if conv else 'pooling'}_{data_format}",
        cases=(layout.case_id,), checks=layout.checks, dtypes=DTYPES,
        reduction=_conv_k if conv else _pool_k,
        config={"protocol": "layer", "inputs": ("x",), "params": ("W", "b") if conv else (),
                "builder_args": args, "layout": layout.id, "data_format": data_format, "op": layout.op},
        note=f"{DATA_FORMATS[data_format]}; framework padding={layout.padding!r}, the book's pad={layout.book_pad}"
             + ("" if layout.symmetric else " (the framework's padding is uneven)")
             + ("" if not conv or layout.bias else "; no bias (the book's b = 0)"),
        known=_known(layout, data_format),
        book_limits={layout.case_id: _BOOK_POOL_PAD} if not conv and layout.book_pad else {},
    )


ROWS = tuple(_row(layout, fmt) for layout in LAYOUTS for fmt in DATA_FORMATS)
