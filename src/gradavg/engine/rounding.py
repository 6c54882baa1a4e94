"""Bounds on floating-point rounding, derived: Higham's gamma_n, a bound per component, and an exact comparison.

A float computation made of ``+``, ``-``, ``*`` and divisions by exact
positive numbers differs from its exact value by at most ``gamma_n`` times
its value on absolute values (:class:`Bound`). :func:`compare` checks results
of any library (JAX, PyTorch, NumPy) against exact rationals within such a
bound, exactly; :func:`softmax_depth` counts a softmax cross-entropy's depth under one stated
assumption about ``exp`` and ``log``; :mod:`gradavg.checks.probe` builds its tolerances on the same
``gamma_n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
import sympy as sp

from .claims import Verdict

#: The unit roundoff u of each floating-point format, by dtype name. A correctly rounded
#: operation returns the exact result times (1 + delta), with delta at most u in size.
UNIT_ROUNDOFF = {
    "float64": Fraction(1, 2**53),
    "float32": Fraction(1, 2**24),
    "float16": Fraction(1, 2**11),
    "bfloat16": Fraction(1, 2**8),
}


def gamma(depth: int, u: Fraction = UNIT_ROUNDOFF["float64"]) -> Fraction:
    """Higham's ``gamma_n = n u / (1 - n u)`` with ``u`` a unit roundoff (float64's by default), exactly.

    ``n`` roundings, each a factor ``(1 + delta)`` with ``|delta| <= u``,
    multiply to ``1 + theta`` with ``|theta| <= gamma_n``.

    Example:
        >>> float(gamma(1)) == 2.0**-53 / (1 - 2.0**-53)
        True
    """
    if depth < 0 or depth * u >= 1:
        raise ValueError(f"depth must be in 0 .. {1 / u - 1} for unit roundoff {u}, got {depth}")
    return depth * u / (1 - depth * u)


#: The assumption about ``exp``, ``log`` and ``1/sqrt`` behind every bound that has them: PyTorch's vectorised
#: CPU kernels use approximations, not correctly rounded functions, the least accurate of them ``exp_u20``, whose
#: header promises 20 ulps; so every float32 and float64 ``exp``, ``log`` and ``1/sqrt`` is assumed within 20
#: ulps of the exact value. One ulp of ``x`` is at most ``2 u |x|``, so that is a relative error of at most
#: ``40 u``, counted as 40 roundings (``gamma_40``).
ELEMENTARY_ROUNDINGS = 40


def softmax_depth(score_error: Fraction, scores: Fraction, lse: Fraction, terms: int, backward: int,
                  u: Fraction = UNIT_ROUNDOFF["float64"]) -> int:
    """The depth of a bound on a gradient through a softmax cross-entropy, the error of ``exp`` and ``log`` folded in.

    Each ``exp`` and ``log`` counts :data:`ELEMENTARY_ROUNDINGS` (``E``)
    roundings. The logits ``s_j`` of a row of ``terms`` reach the log-softmax
    off by at most ``score_error``, at most ``scores`` in size, with
    ``|log sum_j exp(s_j)|`` at most ``lse``. PyTorch computes
    ``s_j - (m + log sum_k exp(s_k - m))`` with ``m = max s``; on absolute
    errors, to first order in ``u``: the inputs' error moves the exact
    log-softmax by at most ``2 score_error`` (it is 1-Lipschitz in each input
    and in their maximum); ``s_k - m`` (``|s_k - m| <= 2 scores``: ``2 u
    scores``), the exponentials and the ``terms - 1`` additions of positive terms
    (a relative error ``gamma_(terms - 1 + E)``, so at most ``(terms + E) u``
    after the ``log``), the ``log`` itself (``E u |log sum| <= E u (lse +
    scores)``), ``m + log sum`` (``u lse``) and ``s_j - lse`` (``u (scores +
    lse)``) add up to ``u ((terms + E) + (3 + E) scores + (2 + E) lse)``. So
    the log-softmax is off by at most ``Delta = 2 score_error + gamma_(terms +
    E + 4) (1 + lse + scores + 2 score_error)``: the ``2 score_error`` inside
    covers the computed logits being that much larger than ``scores`` and
    ``lse``, and the slack of at least ``4 u`` the products of two or more
    errors (at most ``5 T^2`` with ``T`` the ``gamma`` term, below ``u`` when
    ``4 T^2 <= u``, which is checked, as is ``Delta <= 1/2``). The backward
    pass recomputes ``p_j = exp(s_j - lse)``: relatively off by at most
    ``epsilon = (1 + gamma_E) / (1 - Delta) - 1`` (``e^Delta - 1 <= Delta / (1
    - Delta)``), and adds at most ``backward`` roundings on a path. Since ``m
    gamma_1 <= gamma_m`` and ``gamma_a + gamma_b + gamma_a gamma_b <=
    gamma_(a+b)``, each component is within ``gamma_(2 backward +
    ceil(epsilon / gamma_1))`` times its magnitude (``2 backward`` also covers
    the gradient's products with embeddings that carry their own rounding).

    Example:
        >>> softmax_depth(4 * gamma(4), Fraction(4), Fraction(2), 6, 25)  # logits up to 4, off by 4 gamma_4
        473
    """
    rounding = gamma(terms + ELEMENTARY_ROUNDINGS + 4, u) * (1 + lse + scores + 2 * score_error)
    delta = 2 * score_error + rounding
    if delta > Fraction(1, 2):
        raise ArithmeticError(f"the log-softmax error bound {float(delta):.3g} exceeds 1/2: the bound does not apply")
    if 4 * rounding**2 > u:
        raise ArithmeticError(f"the log-softmax rounding term {float(rounding):.3g} is beyond sqrt(u)/2: its "
                              "second-order terms are not covered")
    epsilon = (1 + gamma(ELEMENTARY_ROUNDINGS, u)) / (1 - delta) - 1
    return 2 * backward + math.ceil(epsilon / gamma(1, u))


@dataclass(frozen=True)
class Bound:
    """A bound on rounding: every component within ``gamma(depth, u) * magnitude[j] + reference_error`` of the exact value.

    Attributes:
        magnitude: the computation evaluated exactly on absolute values, with
            every subtraction turned into an addition, one entry per component.
        depth: the largest number of rounded operations on a path from an
            input to the result.
        u: the unit roundoff the roundings are counted in (float64's by
            default; float32's for a computation carried out in float32).
        reference_error: a bound on the reference's own error, per component
            (0 for an exact reference; a reference computed to many digits,
            because it is not rational, says how far off it can be).

    Expanded into a sum of products of inputs, a float computation made of
    ``+``, ``-``, ``*`` and divisions by exact positive numbers gives each
    product at most ``depth`` rounding factors, so the computed value differs
    from the exact one by at most ``gamma(depth)`` times the sum of the
    products' absolute values, which is ``magnitude`` (Higham, *Accuracy and
    Stability of Numerical Algorithms*, section 3.1). It holds in any order of
    summation, and with fused multiply-adds (fewer roundings).

    Example:
        >>> bound = Bound([Fraction(3)], 2)
        >>> bound.tolerance() == [3 * gamma(2)], bound.format
        (True, 'float64')
        >>> Bound([Fraction(1)], 1, UNIT_ROUNDOFF["float32"], Fraction(1, 10**40)).tolerance() == [
        ...     gamma(1, UNIT_ROUNDOFF["float32"]) + Fraction(1, 10**40)]
        True
    """

    magnitude: list
    depth: int
    u: Fraction = UNIT_ROUNDOFF["float64"]
    reference_error: Fraction = Fraction(0)

    @property
    def format(self) -> str:
        """The name of the format whose unit roundoff the bound counts in."""
        return next(name for name, unit in UNIT_ROUNDOFF.items() if unit == self.u)

    def tolerance(self) -> list[Fraction]:
        """``gamma(depth, u) * magnitude + reference_error``, one entry per component."""
        return [gamma(self.depth, self.u) * m + self.reference_error for m in self.magnitude]


def rounding_bound(magnitude: Sequence[Fraction], depth: int, u: Fraction = UNIT_ROUNDOFF["float64"],
                   reference_error: Fraction = Fraction(0)) -> Bound:
    """The :class:`Bound` of a computation with these absolute-value magnitudes and this depth (see :class:`Bound`).

    Example:
        >>> rounding_bound([Fraction(1), Fraction(2)], 10).depth
        10
    """
    if u not in UNIT_ROUNDOFF.values():
        raise ValueError(f"u must be the unit roundoff of one of {', '.join(UNIT_ROUNDOFF)}, got {u}")
    return Bound(list(magnitude), int(depth), u, Fraction(reference_error))


def compare(values: Sequence[float], exact: Sequence[Fraction], bound: Bound, names: Sequence[str],
            method: str, library: str = "JAX") -> Verdict:
    """Compare a library's float64 results with exact values, component by component, within ``bound``.

    ``library`` names what computed them, in a failure's witness. The
    comparison is exact: each float is converted to the rational it
    represents. A failure names the first component outside the bound, its
    value, the exact value and the bound; the gap is exact. ``residual`` is
    the largest ratio ``|value - exact| / tolerance`` over the components.

    Example:
        >>> bound = rounding_bound([Fraction(1)], 1)
        >>> compare([0.5], [Fraction(1, 2)], bound, ["w"], "by hand").holds
        True
        >>> verdict = compare([0.5], [Fraction(1, 3)], bound, ["w"], "by hand")
        >>> verdict.holds, verdict.gap
        (False, (Fraction(1, 6),))
    """
    values = [Fraction(float(v)) for v in np.ravel(np.asarray(values, dtype=float))]
    if not (len(values) == len(exact) == len(bound.magnitude) == len(names)):
        raise ValueError(f"{len(values)} values, {len(exact)} exact values, {len(bound.magnitude)} magnitudes, "
                         f"{len(names)} names")
    tolerance = bound.tolerance()
    ratios = [abs(v - e) / t if t else (0 if v == e else float("inf")) for v, e, t in zip(values, exact, tolerance)]
    worst = float(max(ratios))
    within = f"gamma_{bound.depth}" if bound.format == "float64" else f"gamma_{bound.depth} in {bound.format}'s unit roundoff"
    reference = f", plus {float(bound.reference_error):.0e} for the reference's own error" if bound.reference_error else ""
    text = (f"{method}; {'float64' if bound.format == 'float64' else library + ' results'} compared exactly with "
            f"exact rationals, each component within {within} times its absolute-value magnitude{reference}")
    for name, v, e, t, r in zip(names, values, exact, tolerance, ratios):
        if r > 1:
            return Verdict(False, f"{text}; {name} is off by {float(abs(v - e)):.3g}, beyond its bound {float(t):.3g}",
                           residual=worst, witness={f"{library} {name}": v, f"exact {name}": e}, gap=(v - e,))
    return Verdict(True, text, residual=worst, evidence="float-bound")


def exact(value) -> Fraction:
    """The rational a float64 (or an exact number) stands for.

    Example:
        >>> exact(0.1)
        Fraction(3602879701896397, 36028797018963968)
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, sp.Rational):
        return Fraction(int(value.p), int(value.q))
    return Fraction(float(value))
