"""Dataset versus population: swapping the gradient and the expectation, and kinks.

Two routes to the gradient of an expected loss ``R(theta) = E_x L(theta, x)``:
integrate first and differentiate the result, or differentiate each loss and
integrate the derivative. Where the derivative is dominated by an integrable
function they agree; a loss with a jump does not.

Kinks: piecewise-linear losses ``sign * max_k (a_k theta + b_k)``, with the
derivative automatic differentiation reports at a kink (a convention such as
``ReLU'(0) = 0``) and an exact test of the subgradient inequality.

Exact science only, with no NumPy, so the claims re-run in the browser; the
page's Monte Carlo estimate is in :mod:`gradavg.topics.population_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import sympy as sp


def swap_gap(loss: sp.Expr, theta: sp.Symbol, x: sp.Symbol, density: sp.Expr, support: tuple) -> sp.Expr:
    """``d/dtheta E[L] - E[dL/dtheta]``: the gradient of the integral minus the integral of the gradient.

    Example:
        >>> t, x = sp.symbols("theta x", real=True)
        >>> swap_gap((t - x) ** 2, t, x, sp.Integer(1), (0, 1))
        0
    """
    risk = sp.integrate(loss * density, (x, *support))
    averaged = sp.integrate(sp.diff(loss, theta) * density, (x, *support))
    return sp.diff(risk, theta) - averaged


def normal_density(x: sp.Symbol, mean: sp.Expr, std: sp.Expr) -> sp.Expr:
    """The density of a normal distribution with the given mean and standard deviation.

    Example:
        >>> x = sp.Symbol("x", real=True)
        >>> sp.integrate(normal_density(x, 0, 1), (x, -sp.oo, sp.oo))
        1
    """
    return sp.exp(-((x - mean) ** 2) / (2 * std**2)) / (std * sp.sqrt(2 * sp.pi))


@dataclass(frozen=True)
class PiecewiseLinear:
    """``sign * max_k (slopes[k] * theta + intercepts[k])``: convex for ``sign = 1``, concave for ``-1``.

    Example:
        >>> relu = PiecewiseLinear((0, 1), (0, 0))
        >>> relu(Fraction(-2)), relu(Fraction(3))
        (Fraction(0, 1), Fraction(3, 1))
    """

    slopes: tuple
    intercepts: tuple
    sign: int = 1

    def __call__(self, theta):
        return self.sign * max(Fraction(a) * theta + Fraction(b) for a, b in zip(self.slopes, self.intercepts))

    def active_slopes(self, theta) -> list[Fraction]:
        """Slopes of the pieces that attain the max at ``theta``, in the order given (times ``sign``)."""
        values = [Fraction(a) * theta + Fraction(b) for a, b in zip(self.slopes, self.intercepts)]
        top = max(values)
        return [self.sign * Fraction(a) for a, v in zip(self.slopes, values) if v == top]

    def breakpoints(self) -> list[Fraction]:
        """Where two pieces cross."""
        points = set()
        pieces = list(zip(self.slopes, self.intercepts))
        for i, (a, b) in enumerate(pieces):
            for c, d in pieces[i + 1:]:
                if a != c:
                    points.add(Fraction(d - b) / Fraction(a - c))
        return sorted(points)


def relu(scale=1, shift=0, sign: int = 1) -> PiecewiseLinear:
    """``sign * max(0, scale * theta + shift)``; the zero piece comes first.

    Example:
        >>> relu(-1)(Fraction(-3))
        Fraction(3, 1)
    """
    return PiecewiseLinear((0, scale), (0, shift), sign)


def autodiff_derivative(loss: PiecewiseLinear, theta, convention: str = "zero") -> Fraction:
    """The derivative a framework reports at ``theta``: the unique slope off kinks; at a kink, by ``convention``.

    Conventions for a ReLU-type kink: ``"zero"`` takes the first active piece (the
    flat one, so ``ReLU'(0) = 0``), ``"one"`` the last, ``"half"`` their mean.

    Example:
        >>> autodiff_derivative(relu(), Fraction(0)), autodiff_derivative(relu(), Fraction(0), "one")
        (Fraction(0, 1), Fraction(1, 1))
    """
    active = loss.active_slopes(theta)
    if convention == "zero":
        return active[0]
    if convention == "one":
        return active[-1]
    if convention == "half":
        return (active[0] + active[-1]) / 2
    raise ValueError(f"unknown convention {convention!r}")


def subgradient_violation(losses: Sequence[PiecewiseLinear], theta, g) -> tuple | None:
    """Test ``C(t) >= C(theta) + g (t - theta)`` for every real ``t``, with ``C`` the mean of ``losses``.

    The difference of the two sides is piecewise linear in ``t``, so it is
    enough to test it at every breakpoint and on the two outer rays. Returns
    ``None`` when the inequality holds everywhere (``g`` is a subgradient of
    ``C`` at ``theta``), else ``(t, gap)`` with ``gap < 0`` exact.

    Example:
        >>> subgradient_violation([relu(), relu(-1)], Fraction(0), Fraction(1, 4)) is None
        True
        >>> subgradient_violation([relu(), relu(-1)], Fraction(0), Fraction(1))
        (Fraction(1, 1), Fraction(-1, 2))
    """
    theta, g = Fraction(theta), Fraction(g)

    def excess(t):
        cost = sum(loss(t) for loss in losses) / len(losses)
        base = sum(loss(theta) for loss in losses) / len(losses)
        return cost - base - g * (t - theta)

    points = sorted({theta, *(p for loss in losses for p in loss.breakpoints())})
    candidates = [*points, points[0] - 1, points[-1] + 1]
    for t in candidates:
        if excess(t) < 0:
            return t, excess(t)
    for inner, outer in ((points[0], points[0] - 1), (points[-1], points[-1] + 1)):
        drop = excess(inner) - excess(outer)
        if drop > 0:  # the excess decreases along the outer ray: find where it is negative
            t = outer + (outer - inner) * (excess(outer) / drop + 1)
            return t, excess(t)
    return None


# --- kinks, symbolically: a loss written as a program of ReLUs, and the derivative a framework reports ----


def relu_program(theta: sp.Symbol, slope, intercept, terms) -> sp.Expr:
    """``slope * theta + intercept + sum_j c_j * ReLU(s_j * theta)`` for ``terms = [(c_j, s_j), ...]``.

    The loss as a framework evaluates it: every kink sits at ``theta = 0``.
    ``max(a theta, b theta)`` is the program ``a theta + ReLU((b - a) theta)``.

    Example:
        >>> t = sp.Symbol("theta", real=True)
        >>> relu_program(t, 0, 0, [(1, 1), (-1, -1)])  # ReLU(theta) - ReLU(-theta), the function theta
        -Max(0, -theta) + Max(0, theta)
    """
    return slope * theta + intercept + sum((c * sp.Max(0, s * theta) for c, s in terms), sp.S.Zero)


def reported_derivative(slope, terms, relu_prime) -> sp.Expr:
    """The derivative at 0 that the chain rule reports for :func:`relu_program`, with ``ReLU'(0) = relu_prime``.

    Each term ``c ReLU(s theta)`` contributes ``c * ReLU'(0) * s``: the
    framework never looks at the function, only at the program.

    Example:
        >>> reported_derivative(0, [(1, 1), (-1, -1)], 0), reported_derivative(0, [(1, 1), (-1, -1)], 1)
        (0, 2)
    """
    return sp.sympify(slope) + sum((c * relu_prime * s for c, s in terms), sp.S.Zero)


def ray_excesses(loss: sp.Expr, theta: sp.Symbol, g, s: sp.Symbol) -> list[sp.Expr]:
    """``(L(t) - L(0) - g t) / s`` on the two rays ``t = s`` and ``t = -s`` (``s > 0``), expanded.

    ``g`` is a subgradient of ``L`` at 0 exactly when both are ``>= 0`` for every
    ``s > 0``. SymPy resolves each ``Max`` on a ray from the symbols'
    assumptions (an unresolved ``Max`` is left in the result).

    Example:
        >>> t, s = sp.Symbol("theta", real=True), sp.Symbol("s", positive=True)
        >>> ray_excesses(sp.Max(0, t), t, sp.Rational(1, 3), s)
        [2/3, 1/3]
    """
    at_zero = loss.subs(theta, 0)
    return [sp.expand((loss.subs(theta, sign * s) - at_zero - g * sign * s) / s) for sign in (1, -1)]


def nonnegative_by_coefficients(expression: sp.Expr, nonnegative: Sequence[sp.Symbol]) -> bool:
    """True when ``expression`` is a polynomial in ``nonnegative`` alone with every coefficient ``>= 0``.

    That is a certificate that it is ``>= 0`` wherever those symbols are; False
    means only that this certificate is missing (the caller then looks for a witness).

    Example:
        >>> d, lo = sp.Symbol("d", nonnegative=True), sp.Symbol("lo", real=True)
        >>> nonnegative_by_coefficients(d / 2 + d**2, [d]), nonnegative_by_coefficients(lo * d, [d])
        (True, False)
    """
    expression = sp.expand(expression)
    if expression.has(sp.Max, sp.Min) or not expression.free_symbols <= set(nonnegative):
        return False
    if not nonnegative:
        return bool(expression >= 0)
    poly = sp.Poly(expression, *nonnegative)
    return all(c >= 0 for c in poly.coeffs()) if poly.domain.is_Numerical or poly.domain == sp.QQ else False
