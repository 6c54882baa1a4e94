"""Small real datasets, typed in with their source."""

from __future__ import annotations

import numpy as np

#: Anscombe's quartet, set I (Anscombe 1973, "Graphs in statistical analysis",
#: The American Statistician 27(1), 17-21): eleven (x, y) pairs.
ANSCOMBE_I_X = np.array([10.0, 8.0, 13.0, 9.0, 11.0, 14.0, 6.0, 4.0, 12.0, 7.0, 5.0])
ANSCOMBE_I_Y = np.array([8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68])


def anscombe_i() -> tuple[np.ndarray, np.ndarray]:
    """Anscombe's set I as two arrays ``(x, y)`` (copies, safe to modify).

    Example:
        >>> x, y = anscombe_i()
        >>> len(x), float(x.mean()), round(float(y.mean()), 2)
        (11, 9.0, 7.5)
    """
    return ANSCOMBE_I_X.copy(), ANSCOMBE_I_Y.copy()
