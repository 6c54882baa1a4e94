"""Per-example gradients as fast NumPy functions (SymPy -> NumPy via lambdify)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp

from .models import Model


def per_example_gradients(model: Model) -> Callable[..., np.ndarray]:
    """A function ``(params, *data_columns) -> array of shape (N, len(params))``.

    ``params`` is a sequence of parameter values; each data column is an array
    with one entry per example. Entries of the gradient that are identically
    zero come back from lambdify as a scalar; they are broadcast to N rows.

    Example:
        >>> from gradavg.engine.models import linear_regression
        >>> grad = per_example_gradients(linear_regression(1))
        >>> grad([1.0, 0.0], np.array([1.0, 2.0]), np.array([1.0, 0.0]))
        array([[0., 0.],
               [8., 4.]])
    """
    gradient = [sp.diff(model.loss, p) for p in model.params]
    compiled = sp.lambdify([model.params, *model.data], gradient, modules="numpy", cse=True)

    def evaluate(params, *columns) -> np.ndarray:
        if len(columns) != len(model.data):
            raise ValueError(f"expected {len(model.data)} data columns ({', '.join(map(str, model.data))}), got {len(columns)}")
        n = len(np.asarray(columns[0]))
        values = compiled(list(params), *(np.asarray(c, dtype=float) for c in columns))
        return np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in values])

    return evaluate


def least_squares_gradient(params, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of the mean squared error of ``w x + b`` from the normal-equation form ``(2/N) A^T (A theta - y)``.

    A route that never forms per-example gradients: used to confirm their mean.

    Example:
        >>> from gradavg.engine.models import linear_regression
        >>> x, y = np.array([1.0, 2.0]), np.array([1.0, 0.0])
        >>> least_squares_gradient([1.0, 0.0], x, y)
        array([4., 2.])
        >>> per_example_gradients(linear_regression(1))([1.0, 0.0], x, y).mean(axis=0)
        array([4., 2.])
    """
    design = np.column_stack([x, np.ones_like(x)])
    return 2.0 / len(x) * design.T @ (design @ np.asarray(params, dtype=float) - y)
