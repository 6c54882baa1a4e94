"""The error surface lives in parameter space: per-example loss surfaces, their mean, and where gradients are taken.

The model is the line ``y = w z + b`` fitted by squared error to Anscombe's set I
with the input standardised, ``z = (x - mean x) / std x`` (population std). Every
example's loss ``L_i(w, b) = (w z_i + b - y_i)**2`` is a surface over the same
``(w, b)`` plane; the data are not an axis.

Exact science only, with no NumPy, so the claims re-run in the browser; the
float data and the page's figures are in :mod:`gradavg.topics.parameter_space_figures`.
"""

from __future__ import annotations

import random

import sympy as sp

from .data import ANSCOMBE_I_X, ANSCOMBE_I_Y


def anscombe_exact() -> tuple[list[sp.Expr], list[sp.Rational]]:
    """Anscombe's set I exactly: ``z_i = (x_i - xbar) / s`` with ``s`` the exact population std, ``y_i`` rational.

    Example:
        >>> z, y = anscombe_exact()
        >>> z[0], y[0]
        (sqrt(10)/10, 201/25)
    """
    x = [sp.Rational(str(v)) for v in ANSCOMBE_I_X]
    y = [sp.Rational(str(v)) for v in ANSCOMBE_I_Y]
    mean = sp.Add(*x) / len(x)
    std = sp.sqrt(sp.Add(*[(v - mean) ** 2 for v in x]) / len(x))
    return [sp.radsimp((v - mean) / std) for v in x], y


def anscombe_centred_exact() -> tuple[list[sp.Rational], list[sp.Rational]]:
    """Anscombe's set I with the input centred but not scaled: ``(x_i - xbar, y_i)``, exact rationals.

    Example:
        >>> x, y = anscombe_centred_exact()
        >>> x[0], sum(x), sum(v * v for v in x) / len(x)
        (1, 0, 10)
    """
    x = [sp.Rational(str(v)) for v in ANSCOMBE_I_X]
    mean = sp.Add(*x) / len(x)
    return [v - mean for v in x], [sp.Rational(str(v)) for v in ANSCOMBE_I_Y]


def mistaken_places(n: int, seed: int = 3) -> list[tuple[sp.Rational, sp.Rational]]:
    """Offsets ``(dw, db)`` that put each of ``n`` examples at "its own place" in the mistaken picture.

    Exact rationals in quarter steps, different for every example, drawn from a fixed seed.

    Example:
        >>> len(set(mistaken_places(11))) == 11
        True
    """
    rng = random.Random(seed)
    places: list[tuple[sp.Rational, sp.Rational]] = []
    while len(places) < n:
        place = (sp.Rational(rng.randint(-6, 6), 4), sp.Rational(rng.randint(-6, 6), 4))
        if place != (0, 0) and place not in places:
            places.append(place)
    return places


# --- Averaging gradients is not averaging directions ----------------------------------------------------------

def example_gradients_exact(theta, standardised: bool = True) -> list[tuple[sp.Expr, sp.Expr]]:
    """Every example's gradient ``2 r_i (z_i, 1)`` at ``theta`` (exact), ``r_i = w z_i + b - y_i``, for Anscombe's set I.

    With ``standardised=False`` the inputs are the raw ``x_i`` (rational, so
    rational points give rational gradients).

    Example:
        >>> example_gradients_exact((0, sp.Rational(13, 2)))[0]
        (-77*sqrt(10)/250, -77/25)
        >>> example_gradients_exact((0, sp.Rational(13, 2)), standardised=False)[0]
        (-154/5, -77/25)
    """
    z, y = _inputs(standardised)
    w, b = theta
    return [(sp.expand(2 * (w * zi + b - yi) * zi), sp.expand(2 * (w * zi + b - yi))) for zi, yi in zip(z, y)]


def _inputs(standardised: bool):
    if standardised:
        return anscombe_exact()
    return [sp.Rational(str(v)) for v in ANSCOMBE_I_X], [sp.Rational(str(v)) for v in ANSCOMBE_I_Y]


def unit_directions(vectors) -> list[tuple[sp.Expr, sp.Expr]]:
    """Each vector divided by its length (exact; a zero vector has no direction and raises ``ZeroDivisionError``).

    Example:
        >>> unit_directions([(3, 4)])
        [(3/5, 4/5)]
    """
    units = []
    for u, v in vectors:
        length = sp.sqrt(sp.expand(u * u + v * v))
        if length == 0:
            raise ZeroDivisionError("a zero gradient has no direction")
        units.append((u / length, v / length))
    return units


def cost_minimum_exact(standardised: bool = True) -> tuple[sp.Expr, sp.Expr]:
    """The least-squares line's ``(w*, b*)`` from the normal equations, for standardised or raw inputs (exact).

    Example:
        >>> cost_minimum_exact()
        (5501*sqrt(10)/11000, 8251/1100)
        >>> cost_minimum_exact(standardised=False)
        (5501/11000, 33001/11000)
    """
    return least_squares_line_exact(*_inputs(standardised))


def least_squares_line_exact(z, y) -> tuple[sp.Expr, sp.Expr]:
    """The slope and intercept of the least-squares line through the points ``(z_i, y_i)``, in closed form (exact).

    Example:
        >>> least_squares_line_exact(*anscombe_centred_exact()) == (sp.Rational(5501, 11000), sp.Rational(8251, 1100))
        True
    """
    n = len(z)
    sz, sy = sp.Add(*z), sp.Add(*y)
    szz, szy = sp.Add(*[v * v for v in z]), sp.Add(*[u * v for u, v in zip(z, y)])
    slope = sp.radsimp((n * szy - sz * sy) / (n * szz - sz * sz))
    return slope, sp.radsimp((sy - slope * sz) / n)
