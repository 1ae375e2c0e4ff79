"""What a framework builder hands the check runner: the framework's version of one book component.

Every builder (``parity.backends.<framework>.layers.<name>``) is called as
``builder(arrays, hyper, dtype, device) -> Counterpart``: ``arrays`` are the book's parameters (and,
for dropout, the mask) in the dtype under test and the book's layout, ``hyper`` the book
constructor's arguments (stride, pad, ...). The functions take and return book-layout tensors
(NCHW, W as (in, out)); layout changes happen inside them with framework ops, so autodiff gives
the input gradient in the book's layout. Parameter gradients come back in the framework's layout
and ``to_book[name]`` maps them to the book's.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional


def _same(a):
    return a


@dataclass
class Counterpart:
    """fn(*inputs, *constants) -> output: the forward pass (training mode).
    params: book name ("W", "b", "gamma", "beta") -> the framework's parameter object.
    to_book: book name -> function from the framework-layout gradient (NumPy) to the book's layout.
    grad_fn: the function whose autodiff gives the gradients, where the book's backward is the
        gradient of something other than its forward (SoftmaxWithLoss); default ``fn``.
    eval_fn: the inference-mode forward (batch norm, dropout), or None.
    state: () -> {name: NumPy array in book layout}: running statistics after the calls so far.
    stored: () -> {name: dtype string} of every parameter/buffer/hyper-parameter the framework holds.
    """

    fn: Callable
    params: dict = field(default_factory=dict)
    to_book: dict = field(default_factory=dict)
    grad_fn: Optional[Callable] = None
    eval_fn: Optional[Callable] = None
    state: Optional[Callable] = None
    stored: Optional[Callable] = None
    module: Any = None

    def book_layout(self, name, grad):
        return self.to_book.get(name, _same)(grad)
