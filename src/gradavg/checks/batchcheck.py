"""Checking identities about minibatches for every dataset size and batch size in a range.

An identity about minibatches (the expected batch mean is the full gradient,
the variance of the batch mean is a formula) is checked at each ``(N, B)``:
first at random exact rational gradients, where a nonzero difference is a
certificate that it fails, then, when asked, with symbolic gradients, where
the difference must expand to 0 for every value of the gradients.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterable, Sequence

import sympy as sp

from ..engine.claims import Verdict, over_cases
from ..engine.exact import decide

#: the symbols naming the dataset size and the batch size in a witness
N_SYMBOL, B_SYMBOL = sp.Symbol("N"), sp.Symbol("B")


def gradient_symbols(n: int, dim: int = 2) -> list[list[sp.Symbol]]:
    """Symbols ``g_{i,j}`` for component ``j`` of example ``i``'s gradient (1-based), one row per example.

    Example:
        >>> gradient_symbols(2, 1)
        [[g_1,1], [g_2,1]]
    """
    return [[sp.Symbol(f"g_{i},{j}", real=True) for j in range(1, dim + 1)] for i in range(1, n + 1)]


def check_every_size(
    sizes: Iterable[tuple[int, int]],
    difference: Callable[[list[list], int], Sequence],
    *,
    symbolic: bool = True,
    dim: int = 2,
    seed: int = 0,
) -> Verdict:
    """Decide ``difference(grads, B) == 0`` for every ``(N, B)`` in ``sizes`` and all gradient values.

    ``difference`` receives N gradient vectors (exact rationals, or SymPy
    symbols when ``symbolic``) and the batch size, and returns the components of
    ``lhs - rhs``. The first ``(N, B)`` with a nonzero difference ends the check:
    the verdict's witness holds the gradient values and ``N``, ``B``.

    Example:
        >>> check_every_size([(2, 1)], lambda g, b: [g[0][0] - g[0][0]]).holds
        True
    """
    sizes = list(sizes)
    methods, kinds = set(), []
    for n, b in sizes:
        grads = gradient_symbols(n, dim)
        flat = [s for row in grads for s in row]
        prove = None
        if symbolic:
            prove = lambda: ([sp.expand(d) for d in difference(grads, b)],  # noqa: E731
                             "every batch enumerated with symbolic gradients; the difference expands to 0")
        verdict = decide(lambda point: difference([[point[s] for s in row] for row in grads], b), flat, prove,
                         seed=seed + 1000 * n + b)
        if not verdict.holds:
            witness = {N_SYMBOL: sp.Integer(n), B_SYMBOL: sp.Integer(b), **verdict.witness}
            return dataclasses.replace(verdict, witness=witness,
                                       method=f"{verdict.method} (N = {n}, B = {b})")
        methods.add(verdict.method)
        kinds.append(verdict.evidence)
    span = ", ".join(f"({n}, {b})" for n, b in sizes) if len(sizes) <= 3 else f"{len(sizes)} pairs (N, B)"
    return Verdict(True, f"{'; '.join(sorted(methods))}; for {span}", evidence=over_cases(kinds))


def integer_points(expression: sp.Expr, ranges: dict) -> tuple[dict, sp.Expr] | None:
    """The first integer point (over the product of ``ranges``) where ``expression`` is nonzero, with its value.

    ``ranges`` maps each symbol to a function of the values chosen so far that
    returns its range (so ``B`` can run up to ``N``). ``None`` when the
    expression vanishes at every point.

    Example:
        >>> x, y = sp.symbols("x y")
        >>> integer_points(x - y, {x: lambda p: range(1, 3), y: lambda p: range(1, p[x] + 1)})
        ({x: 2, y: 1}, 1)
    """
    symbols = list(ranges)

    def walk(point):
        if len(point) == len(symbols):
            value = sp.nsimplify(expression.subs(point))
            return (point, value) if value != 0 else None
        symbol = symbols[len(point)]
        for value in ranges[symbol](point):
            found = walk({**point, symbol: sp.Integer(value)})
            if found:
                return found
        return None

    return walk({})


def decide_for_all_integers(expression: sp.Expr, ranges: dict, reduce: Callable[[sp.Expr], sp.Expr],
                            how: str) -> Verdict:
    """Decide ``expression == 0`` for all integers in the intended domain.

    First every integer point of ``ranges`` is evaluated exactly (a nonzero
    value is a witness); then ``reduce(expression)`` must give 0 for a proof.

    Example:
        >>> n = sp.Symbol("n", integer=True, positive=True)
        >>> decide_for_all_integers(sp.binomial(n, 1) - n, {n: lambda p: range(1, 4)}, sp.combsimp, "combsimp").holds
        True
    """
    found = integer_points(expression, ranges)
    if found:
        point, value = found
        return Verdict(False, "exact evaluation at an integer witness point", witness=point, gap=(value,),
                       evidence="proof")
    residual = reduce(expression)
    if residual != 0:
        raise ArithmeticError(f"{how} left {residual} and no integer point in range gave a witness: undecided")
    return Verdict(True, f"symbolic: {how} reduces the difference to 0 (integer points checked first)",
                   residual=(residual,), evidence="proof")


def all_rejected(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of a control made of several wrong variants: rejected only when each variant is.

    Keeps the first variant's witness and gap; if any variant holds, the
    control is not rejected (the verdict holds) and its method names which.

    Example:
        >>> wrong = Verdict(False, "witness", witness={N_SYMBOL: 2}, gap=(1,), evidence="proof")
        >>> all_rejected([wrong, wrong]).holds, all_rejected([wrong, Verdict(True, "agrees")]).holds
        (False, True)
    """
    verdicts = list(verdicts)
    passed = [v for v in verdicts if v.holds]
    if passed:
        return Verdict(True, "a wrong variant passed: " + "; ".join(v.method for v in passed))
    first = verdicts[0]
    return dataclasses.replace(first, method=f"{first.method} (each of the {len(verdicts)} wrong variants rejected)")
