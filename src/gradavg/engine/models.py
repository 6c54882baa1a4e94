"""Per-example loss families, as SymPy expressions in parameter and data symbols."""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Model:
    """One example's loss with the symbols it depends on.

    Attributes:
        name: what the family is called on the pages.
        loss: the loss of one example.
        params: the trainable parameters, in gradient order.
        data: one example's fields (inputs and label).

    Example:
        >>> w, x, y = sp.symbols("w x y", real=True)
        >>> model = Model("a line through the origin", (w * x - y) ** 2, (w,), (x, y))
        >>> sp.diff(model.loss, model.params[0])
        2*x*(w*x - y)
    """

    name: str
    loss: sp.Expr
    params: tuple[sp.Symbol, ...]
    data: tuple[sp.Symbol, ...]


def linear_regression(features: int = 1) -> Model:
    """Squared error of an affine model: ``(w . x + b - y)**2``.

    Example:
        >>> linear_regression(1).loss
        (b + w_1*x_1 - y)**2
    """
    if features < 1:
        raise ValueError(f"need at least one feature, got {features}")
    w = sp.symbols(f"w_1:{features + 1}", real=True)
    x = sp.symbols(f"x_1:{features + 1}", real=True)
    b, y = sp.symbols("b y", real=True)
    prediction = sum((wi * xi for wi, xi in zip(w, x)), b)
    return Model(f"linear regression, {features} feature(s)", (prediction - y) ** 2, (*w, b), (*x, y))
