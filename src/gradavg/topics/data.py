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


#: the rest of Anscombe's quartet (same source); sets II and III share set I's x values
ANSCOMBE_II_Y = np.array([9.14, 8.14, 8.74, 8.77, 9.26, 8.10, 6.13, 3.10, 9.13, 7.26, 4.74])
ANSCOMBE_III_Y = np.array([7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73])
ANSCOMBE_IV_X = np.array([8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 8.0, 19.0, 8.0, 8.0, 8.0])
ANSCOMBE_IV_Y = np.array([6.58, 5.76, 7.71, 8.84, 8.47, 7.04, 5.25, 12.50, 5.56, 7.91, 6.89])


def anscombe_quartet() -> tuple[np.ndarray, np.ndarray]:
    """All four of Anscombe's sets, I to IV in order, as two arrays ``(x, y)`` of 44 values.

    Example:
        >>> x, y = anscombe_quartet()
        >>> len(x), [round(float(y[11 * k : 11 * k + 11].mean()), 2) for k in range(4)]
        (44, [7.5, 7.5, 7.5, 7.5])
    """
    x = np.concatenate([ANSCOMBE_I_X, ANSCOMBE_I_X, ANSCOMBE_I_X, ANSCOMBE_IV_X])
    return x, np.concatenate([ANSCOMBE_I_Y, ANSCOMBE_II_Y, ANSCOMBE_III_Y, ANSCOMBE_IV_Y])


def zen_of_python() -> list[str]:
    """The nineteen aphorisms of *The Zen of Python* (Tim Peters, PEP 20), read from the standard library.

    The text ships with every Python as the module ``this``, which prints it
    when imported; it is read here from the module's source without running it.

    Example:
        >>> lines = zen_of_python()
        >>> len(lines), lines[0]
        (19, 'Beautiful is better than ugly.')
    """
    import ast
    import codecs
    import importlib.util
    from pathlib import Path

    source = Path(importlib.util.find_spec("this").origin).read_text(encoding="utf-8")
    (encoded,) = [node.value.value for node in ast.parse(source).body
                  if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "s"]
    return codecs.decode(encoded, "rot13").splitlines()[2:]
