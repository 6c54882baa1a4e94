"""The data sets of :mod:`gradavg.topics.data` as NumPy float arrays, for the figures and the numeric pages."""

from __future__ import annotations

import numpy as np

from .data import ANSCOMBE_I_X, ANSCOMBE_I_Y, anscombe_quartet_exact


def anscombe_i() -> tuple[np.ndarray, np.ndarray]:
    """Anscombe's set I as two float arrays ``(x, y)`` (fresh arrays, safe to modify).

    Example:
        >>> x, y = anscombe_i()
        >>> len(x), float(x.mean()), round(float(y.mean()), 2)
        (11, 9.0, 7.5)
    """
    return np.array(ANSCOMBE_I_X, dtype=float), np.array(ANSCOMBE_I_Y, dtype=float)


def anscombe_quartet() -> tuple[np.ndarray, np.ndarray]:
    """All four of Anscombe's sets, I to IV in order, as two float arrays ``(x, y)`` of 44 values.

    Example:
        >>> x, y = anscombe_quartet()
        >>> len(x), [round(float(y[11 * k : 11 * k + 11].mean()), 2) for k in range(4)]
        (44, [7.5, 7.5, 7.5, 7.5])
    """
    x, y = anscombe_quartet_exact()
    return np.array(x, dtype=float), np.array(y, dtype=float)
