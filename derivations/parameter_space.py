"""The error surface lives in parameter space: claims on Anscombe's set I, exactly.

Every example's loss ``L_i(w, b) = (w z_i + b - y_i)**2`` is a surface over the
same ``(w, b)`` plane, with ``z_i`` the exactly standardised input. The cost
surface is their mean, and its gradient at a point is the mean of the
per-example gradients at that same point. Both are checked against the
normal-equation form ``A^T A``, ``A^T y`` of the cost, a route that never
forms a per-example loss.
"""

from __future__ import annotations

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import decide
from gradavg.topics.parameter_space import anscombe_exact, mistaken_places

w, b = sp.symbols("w b", real=True)
Z, Y = anscombe_exact()
COUNT = len(Z)
#: the example losses as surfaces over (w, b)
SURFACES = [(w * z + b - y) ** 2 for z, y in zip(Z, Y)]

_A = sp.Matrix([[z, 1] for z in Z])
_THETA = sp.Matrix([w, b])
_Y = sp.Matrix(Y)
#: the cost from the normal-equation form: (theta^T A^T A theta - 2 theta^T A^T y + y^T y) / N
NORMAL_COST = sp.expand(((_THETA.T * (_A.T * _A) * _THETA)[0] - 2 * (_THETA.T * (_A.T * _Y))[0] + (_Y.T * _Y)[0]) / COUNT)
#: its gradient, (2 / N) A^T (A theta - y)
NORMAL_GRADIENT = [sp.expand(g) for g in (2 * _A.T * (_A * _THETA - _Y) / COUNT)]


def _identity(sides: list[sp.Expr], how: str) -> Verdict:
    """Decide that every entry of ``sides`` (a difference of two routes) is 0 for all (w, b)."""
    return decide(lambda point: [sp.expand(s.xreplace(point)) for s in sides], [w, b],
                  lambda: ([sp.expand(s) for s in sides], how))


def _shifted(surface: sp.Expr, place) -> sp.Expr:
    """The surface moved so that its example sits at "its own place" (the mistaken picture)."""
    return surface.xreplace({w: w + place[0], b: b + place[1]})


def _mean_surface(shifted: bool) -> Verdict:
    places = mistaken_places(COUNT) if shifted else [(0, 0)] * COUNT
    mean = sp.Add(*[_shifted(s, p) for s, p in zip(SURFACES, places)]) / COUNT
    return _identity([mean - NORMAL_COST], "the mean of the surfaces minus the normal-equation cost expands to 0")


def _gradient_at_one_point(shifted: bool) -> Verdict:
    places = mistaken_places(COUNT) if shifted else [(0, 0)] * COUNT
    means = [sp.Add(*[sp.diff(s, p).xreplace({w: w + d[0], b: b + d[1]}) for s, d in zip(SURFACES, places)]) / COUNT
             for p in (w, b)]
    return _identity([m - g for m, g in zip(means, NORMAL_GRADIENT)],
                     "the mean of per-example gradients minus (2/N) A^T (A theta - y) expands to 0")


register(
    Claim(
        id="parameter-space.mean-surface",
        statement=(
            r"For Anscombe's set I with $z_i = (x_i - \bar x)/s_x$ and $L_i(w, b) = (w z_i + b - y_i)^2$: "
            r"for all $(w, b)$, $\frac{1}{11}\sum_{i=1}^{11} L_i(w, b) = "
            r"\frac{1}{11}\bigl(\theta^\top A^\top A\,\theta - 2\theta^\top A^\top y + y^\top y\bigr)$."
        ),
        check=lambda: _mean_surface(False),
        control="each example's surface moved to its own place in the plane before averaging",
        control_check=lambda: _mean_surface(True),
    )
)

register(
    Claim(
        id="parameter-space.gradient-at-one-point",
        statement=(
            r"For Anscombe's set I as above and every point $\theta = (w, b)$: "
            r"$\frac{1}{11}\sum_{i=1}^{11}\nabla L_i(\theta) = \frac{2}{11} A^\top (A\theta - y) = \nabla C(\theta)$."
        ),
        check=lambda: _gradient_at_one_point(False),
        control="each example's gradient taken at its own place, theta plus a different offset per example",
        control_check=lambda: _gradient_at_one_point(True),
    )
)
