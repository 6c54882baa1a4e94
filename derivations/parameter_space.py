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
from gradavg.topics.parameter_space import (anscombe_exact, cost_minimum_exact, example_gradients_exact,
                                            mistaken_places, unit_directions)

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
        evidence="proof",
        scope="Anscombe's set I (N = 11, standardised inputs); every (w, b)",
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
        evidence="proof",
        scope="Anscombe's set I (N = 11, standardised inputs); every (w, b)",
    )
)


# --- averaging gradients is not averaging directions ------------------------------------------------------------

#: the point where the page draws the gradients
THETA0 = (sp.Integer(0), sp.Rational(13, 2))


def _at_point(theta, difference, how: str) -> Verdict:
    """Decide that the components of ``difference`` (exact numbers at ``theta``) are all 0; witness ``theta`` if not."""
    residual = [sp.radsimp(sp.expand(d)) for d in difference]
    return decide(lambda point: residual, [], lambda: (residual, how), fixed={w: theta[0], b: theta[1]})


def _mean(vectors):
    return [sp.Add(*[v[k] for v in vectors]) / len(vectors) for k in range(2)]


def _weighted_directions(weighted: bool) -> Verdict:
    """``grad C(theta0)`` against the mean of unit directions, each weighted by its gradient's length (or not)."""
    grads = example_gradients_exact(THETA0)
    units = unit_directions(grads)
    lengths = [sp.sqrt(sp.expand(g[0] ** 2 + g[1] ** 2)) for g in grads]
    full = [sp.expand(v) for v in NORMAL_GRADIENT]
    full = [v.xreplace({w: THETA0[0], b: THETA0[1]}) for v in full]
    if weighted:
        candidate = _mean([(n * u[0], n * u[1]) for n, u in zip(lengths, units)])
    else:  # the "average direction", given the cost gradient's length
        direction = _mean(units)
        scale = sp.sqrt(sp.expand(full[0] ** 2 + full[1] ** 2)) / sp.sqrt(sp.expand(direction[0] ** 2 + direction[1] ** 2))
        candidate = [scale * d for d in direction]
    return _at_point(THETA0, [c - f for c, f in zip(candidate, full)],
                     "the difference from (2/N) A^T (A theta - y), in exact algebraic numbers, is 0")


def _points_to(target) -> Verdict:
    """For every example and every (w, b): minus its gradient equals 2 (1 + z_i^2) (target - theta)."""
    differences = []
    for z, y in zip(Z, Y):
        residual = w * z + b - y
        gradient = (2 * residual * z, 2 * residual)
        goal = target(z, y, residual)
        differences += [-gradient[k] - 2 * (1 + z * z) * (goal[k] - (w, b)[k]) for k in range(2)]
    return _identity(differences, "every component expands to 0")


def _foot_on_own_line(z, y, residual):
    """The orthogonal projection of (w, b) onto the example's zero-loss line w z + b = y."""
    return (w - residual * z / (1 + z * z), b - residual / (1 + z * z))


def _cost_minimum(z, y, residual):
    return cost_minimum_exact()


def _vanishes_at_minimum(vectors_of) -> Verdict:
    """At the cost's minimum (raw inputs: a rational point): the mean of the vectors is 0, and no single one is."""
    theta = cost_minimum_exact(standardised=False)
    vectors = vectors_of(theta)
    zero = [k for k, v in enumerate(vectors) if all(sp.radsimp(sp.expand(c)) == 0 for c in v)]
    if zero:
        return Verdict(False, f"exact: the gradient of example {zero[0] + 1} is itself 0 at the minimum",
                       witness={w: theta[0], b: theta[1]}, gap=tuple(vectors[zero[0]]))
    return _at_point(theta, _mean(vectors), f"the mean of the {len(vectors)} vectors, none of them 0, "
                                            "is 0 in exact algebraic numbers")


register(
    Claim(
        id="parameter-space.magnitudes-are-weights",
        statement=(
            r"For Anscombe's set I at $\theta_0 = (0, \tfrac{13}{2})$, with $g_i = \nabla L_i(\theta_0)$ and "
            r"$u_i = g_i/\lVert g_i\rVert$: $\nabla C(\theta_0) = \frac{1}{N}\sum_i \lVert g_i\rVert\, u_i$, "
            r"the unit directions weighted by the gradients' lengths."
        ),
        check=lambda: _weighted_directions(True),
        control="the mean of the unit directions, unweighted, rescaled to the length of the cost's gradient",
        control_check=lambda: _weighted_directions(False),
        evidence="proof",
        scope="Anscombe's set I at the one point theta_0 = (0, 13/2)",
    )
)

register(
    Claim(
        id="parameter-space.example-points-to-its-line",
        statement=(
            r"For every example $i$ of Anscombe's set I and every $\theta = (w, b)$: "
            r"$-\nabla L_i(\theta) = 2(1 + z_i^2)\,(P_i(\theta) - \theta)$, where $P_i(\theta)$ is the orthogonal "
            r"projection of $\theta$ onto the line $w z_i + b = y_i$ of parameters that fit example $i$ exactly."
        ),
        check=lambda: _points_to(_foot_on_own_line),
        control="each example's gradient points at the cost's minimum: P_i(theta) replaced by (w*, b*)",
        control_check=lambda: _points_to(_cost_minimum),
        evidence="proof",
        scope="every example of Anscombe's set I; every (w, b)",
    )
)

register(
    Claim(
        id="parameter-space.mean-vanishes-at-minimum",
        statement=(
            r"For Anscombe's set I fitted as $y = w x + b$ (raw inputs) at the cost's minimum $\theta^* = (w^*, b^*)$: "
            r"$\frac{1}{N}\sum_i \nabla L_i(\theta^*) = 0$ while $\nabla L_i(\theta^*) \ne 0$ for every $i$."
        ),
        check=lambda: _vanishes_at_minimum(lambda theta: example_gradients_exact(theta, standardised=False)),
        control="the mean of the unit directions vanishes at the minimum",
        control_check=lambda: _vanishes_at_minimum(
            lambda theta: unit_directions(example_gradients_exact(theta, standardised=False))),
        evidence="proof",
        scope="Anscombe's set I (raw inputs) at its least-squares minimum",
    )
)
