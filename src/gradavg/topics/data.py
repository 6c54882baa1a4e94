"""Small real datasets, typed in with their source, as exact values.

The values are :class:`fractions.Fraction` of the printed decimals, so exact
checks read them with no rounding and no NumPy (the in-browser engine has none);
``float(v)`` gives the same double as the printed decimal.
:mod:`gradavg.topics.data_arrays` serves them as NumPy arrays to the figures
and the numeric pages.
"""

from __future__ import annotations

from fractions import Fraction


def _decimals(text: str) -> tuple[Fraction, ...]:
    """The whitespace-separated decimals in ``text``, each as its exact fraction."""
    return tuple(Fraction(value) for value in text.split())


#: Anscombe's quartet, set I (Anscombe 1973, "Graphs in statistical analysis",
#: The American Statistician 27(1), 17-21): eleven (x, y) pairs.
ANSCOMBE_I_X = _decimals("10 8 13 9 11 14 6 4 12 7 5")
ANSCOMBE_I_Y = _decimals("8.04 6.95 7.58 8.81 8.33 9.96 7.24 4.26 10.84 4.82 5.68")

#: the rest of Anscombe's quartet (same source); sets II and III share set I's x values
ANSCOMBE_II_Y = _decimals("9.14 8.14 8.74 8.77 9.26 8.10 6.13 3.10 9.13 7.26 4.74")
ANSCOMBE_III_Y = _decimals("7.46 6.77 12.74 7.11 7.81 8.84 6.08 5.39 8.15 6.42 5.73")
ANSCOMBE_IV_X = _decimals("8 8 8 8 8 8 8 19 8 8 8")
ANSCOMBE_IV_Y = _decimals("6.58 5.76 7.71 8.84 8.47 7.04 5.25 12.50 5.56 7.91 6.89")


def anscombe_quartet_exact() -> tuple[tuple[Fraction, ...], tuple[Fraction, ...]]:
    """All four of Anscombe's sets, I to IV in order, as two tuples ``(x, y)`` of 44 exact values.

    Example:
        >>> x, y = anscombe_quartet_exact()
        >>> len(x), sum(x) / 44, [str(sum(y[11 * k : 11 * k + 11]) / 11) for k in range(4)]
        (44, Fraction(9, 1), ['8251/1100', '8251/1100', '15/2', '8251/1100'])
    """
    return (ANSCOMBE_I_X * 3 + ANSCOMBE_IV_X,
            ANSCOMBE_I_Y + ANSCOMBE_II_Y + ANSCOMBE_III_Y + ANSCOMBE_IV_Y)


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
