"""Deciding whether an identity holds, with certificates.

:func:`decide` first looks for a witness: it substitutes random rational points
and evaluates the difference of the two sides exactly. A nonzero value there is
a certificate that the identity is false. Only if no witness turns up does it
try to prove the identity, by reducing the difference to a canonical zero.
A simplifier failing to reach zero is never taken as evidence either way: in
that case the verdict rests on evaluation at the random points and its method
says so.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Callable, Sequence

import mpmath
import sympy as sp
from mpmath.libmp import dps_to_prec

from .claims import Verdict

#: digits used when a value at a point cannot be decided exactly
DIGITS = 200


def random_point(symbols: Sequence[sp.Symbol], rng: random.Random) -> dict:
    """Nonzero small rationals p/q for every symbol, drawn from ``rng``.

    Example:
        >>> a, b = sp.symbols("a b")
        >>> random_point([a, b], random.Random(0))
        {a: 4/7, b: 5}
    """
    point = {}
    for symbol in symbols:
        numerator = rng.choice([n for n in range(-9, 10) if n != 0])
        point[symbol] = sp.Rational(numerator, rng.randint(1, 7))
    return point


def is_nonzero(value: sp.Expr) -> bool | None:
    """Decide whether a closed number is nonzero.

    Rationals are decided exactly. Other closed forms (``exp(1/3)`` and so on)
    are evaluated to :data:`DIGITS` digits: a magnitude above ``10**-(DIGITS-5)``
    is nonzero, so a gap of ``1e-60`` is seen. A smaller magnitude, or an
    evaluation that did not reach the digits asked for (a sum of huge terms that
    cancel, where no digit of the result is known), returns ``None``: zero as
    far as the arithmetic can tell, unproved.

    Example:
        >>> is_nonzero(sp.Rational(1, 3)), is_nonzero(sp.Integer(0))
        (True, False)
        >>> is_nonzero(sp.exp(sp.Rational(1, 3)) - 1), is_nonzero(sp.exp(sp.Rational(1, 10**60)) - 1)
        (True, True)
        >>> print(is_nonzero(sp.cos(sp.pi / 7) - sp.cos(2 * sp.pi / 7) + sp.cos(3 * sp.pi / 7) - sp.Rational(1, 2)))
        None
    """
    value = sp.sympify(value)
    if value.free_symbols:
        raise ValueError(f"value still has free symbols {sorted(map(str, value.free_symbols))}")
    if value.is_Rational:
        return value != 0
    if value.is_zero:
        return False
    magnitude = abs(value.evalf(DIGITS + 10))
    if not magnitude.is_finite:
        raise ValueError(f"value is not finite: {value}")
    if not magnitude.is_Float or magnitude._prec < dps_to_prec(DIGITS):
        return None  # no digit of the value is known (catastrophic cancellation): undecided
    return True if magnitude > sp.Float(10) ** -(DIGITS - 5) else None


#: an interval-arithmetic context of its own (outward rounding, 300 bits), so no other code's precision is changed
_INTERVALS = mpmath.iv.__class__()
_INTERVALS.prec = 300


def enclosure(value: sp.Expr):
    """An interval certain to contain a closed number built from rationals by ``+``, ``*`` and integer or half-integer
    powers (such as the algebraic numbers of the parameter-space claims), computed with outward rounding (mpmath's interval context).

    Raises:
        ValueError: the number has another form (a function, a symbol).

    Example:
        >>> box = enclosure(sp.sqrt(2) - sp.Rational(7, 5))
        >>> bool(box.a > 0), float(box.delta) < 1e-80
        (True, True)
    """
    value = sp.sympify(value)
    if value.is_Rational:
        return _INTERVALS.mpf(int(value.p)) / _INTERVALS.mpf(int(value.q))
    if value.is_Add or value.is_Mul:
        parts = [enclosure(term) for term in value.args]
        total = parts[0]
        for part in parts[1:]:
            total = total + part if value.is_Add else total * part
        return total
    if value.is_Pow and value.exp.is_Rational and value.exp.q in (1, 2):
        base = enclosure(value.base)
        root = _INTERVALS.sqrt(base) if value.exp.q == 2 else base
        power = int(value.exp.p)
        return root ** power if power > 0 else 1 / root ** (-power)
    raise ValueError(f"no interval enclosure for {value}")


def certified_sign(value) -> int:
    """The sign of a closed number: 0 only for an exact symbolic 0; a rational's sign exactly; otherwise the sign of an
    outward-rounded interval enclosure (:func:`enclosure`) that excludes 0: a certificate, not a float's digits.

    Unlike :func:`is_nonzero`, which reads digits of a high-precision value, the
    sign comes with an interval that is sure to contain the number.

    Example:
        >>> certified_sign(sp.sqrt(2) - sp.Rational(1414, 1000)), certified_sign(sp.Rational(-1, 3))
        (1, -1)
    """
    value = sp.radsimp(sp.expand(value))
    if value == 0:
        return 0
    if value.is_Rational:
        return 1 if value > 0 else -1
    box = enclosure(value)
    if box.a > 0:
        return 1
    if box.b < 0:
        return -1
    raise ArithmeticError(f"cannot certify the sign of {value}: its enclosure {box} contains 0")


def decide(
    difference_at: Callable[[dict], Sequence[sp.Expr]],
    symbols: Sequence[sp.Symbol],
    prove: Callable[[], tuple[Sequence[sp.Expr], str]] | None = None,
    *,
    points: int = 4,
    seed: int = 0,
    max_points: int = 60,
    fixed: dict | None = None,
) -> Verdict:
    """Decide an identity ``lhs == rhs`` given their difference.

    Args:
        difference_at: returns the components of ``lhs - rhs`` at an exact point
            (a mapping from every symbol in ``symbols`` to a rational).
        symbols: the free symbols of the identity.
        prove: returns ``(residual, how)`` where ``residual`` are the components
            of ``lhs - rhs`` reduced to a canonical form (zero exactly when the
            identity holds) and ``how`` names the reduction. ``None`` when no
            canonical form exists; the verdict then rests on the points.
        points: how many random points to try before proving. A point where
            the difference is undefined (a division by zero, an infinity) is
            skipped.
        seed: seeds the random points, so verdicts are reproducible.
        max_points: how many points to try when the canonical residual is
            nonzero but the first points all gave zero.
        fixed: values added to every point unchanged (for example ``{N: 2}``
            when a symbolic count is made concrete to find a witness).

    Returns:
        A :class:`~gradavg.engine.claims.Verdict`. ``holds=False`` always carries ``witness`` and
        ``gap`` (the difference at the witness, nonzero, one entry per
        component), with evidence ``"proof"`` (a counterexample settles it).
        ``holds=True`` comes only from the proof (a residual that is exactly 0
        in every component: evidence ``"proof"``) or, without ``prove``, from
        agreement at the points: evidence ``"sampled"``, and the method says
        "not a proof".

    Raises:
        ArithmeticError: undecided: the residual is not 0 but no point gives a
            witness, or there is no proof and the difference is undefined at
            every point.

    Example:
        A false identity, ``(a + b)**2 == a**2 + b**2``, gets a witness:

        >>> a, b = sp.symbols("a b")
        >>> verdict = decide(lambda p: [(p[a] + p[b]) ** 2 - (p[a] ** 2 + p[b] ** 2)], [a, b])
        >>> verdict.holds, verdict.witness, verdict.gap
        (False, {a: 4/7, b: 5}, (40/7,))

        A true one is proved when a canonical form is given:

        >>> difference = (a + b) ** 2 - (a**2 + 2 * a * b + b**2)
        >>> verdict = decide(lambda p: [difference.xreplace(p)], [a, b], lambda: ([sp.expand(difference)], "expand"))
        >>> verdict.holds, verdict.method, verdict.evidence
        (True, 'symbolic: expand', 'proof')
    """
    rng = random.Random(seed)
    undecided = defined = False

    def try_point() -> Verdict | None:
        nonlocal undecided, defined
        point = {**random_point(symbols, rng), **(fixed or {})}
        try:
            gap = [sp.nsimplify(v) if isinstance(v, float) else sp.sympify(v) for v in difference_at(point)]
        except ZeroDivisionError:
            return None
        if any(g.has(sp.zoo, sp.nan, sp.oo) for g in gap):
            return None
        defined = True
        decisions = [is_nonzero(g) for g in gap]
        if any(decisions):
            return Verdict(False, "exact evaluation at a witness point", witness=point, gap=tuple(gap), evidence="proof")
        if None in decisions:
            undecided = True
        return None

    for _ in range(points):
        if (failed := try_point()) is not None:
            return failed

    if prove is not None:
        residual, how = prove()
        residual = tuple(sp.sympify(r) for r in residual)
        if all(r == 0 for r in residual):
            return Verdict(True, f"symbolic: {how}", residual=residual, evidence="proof")
        for _ in range(max_points):
            if (failed := try_point()) is not None:
                return dataclasses.replace(failed, residual=residual)
        raise ArithmeticError(
            f"the residual did not reduce to 0 ({how}) and no witness turned up "
            f"in {points + max_points} points; the identity is undecided"
        )

    if not defined:
        raise ArithmeticError(f"the difference is undefined at all {points} random points and there is no proof; "
                              "the identity is undecided")
    if undecided:
        method = f"numeric: zero to {DIGITS} digits at {points} random rational points (not a proof)"
    else:
        method = f"exact evaluation: zero at {points} random rational points (not a proof)"
    return Verdict(True, method, evidence="sampled")


def decide_polynomial(differences: Sequence[sp.Expr], how: str, symbols: Sequence[sp.Symbol] = ()) -> Verdict:
    """Decide that polynomial differences with rational coefficients are 0, by reduction in the ring over QQ.

    The ring's canonical form is the proof; random rational points give the
    witness when a difference is not 0. ``symbols`` adds variables that may have
    cancelled out of every difference, so a witness still names them.

    Example:
        >>> a, b = sp.symbols("a b")
        >>> decide_polynomial([(a + b) ** 2 - a**2 - 2 * a * b - b**2], "expanded").method
        'symbolic: expanded in the polynomial ring over QQ'
        >>> decide_polynomial([(a + b) ** 2 - a**2 - b**2], "expanded").gap
        (40/7,)
    """
    variables = sorted(set().union(*(sp.sympify(d).free_symbols for d in differences)) | set(symbols), key=str)
    ring, *_ = sp.ring(variables, sp.QQ)
    reduced = [ring(sp.expand(d)).as_expr() for d in differences]
    return decide(lambda at: [d.xreplace(at) for d in reduced], variables,
                  lambda: (reduced, f"{how} in the polynomial ring over QQ"))
