"""The error surface lives in parameter space: claims on Anscombe's set I, exactly.

Every example's loss ``L_i(w, b) = (w z_i + b - y_i)**2`` is a surface over the
same ``(w, b)`` plane, with ``z_i`` the exactly standardised input (population
standard deviation, so every ``z_i`` is a rational multiple of ``sqrt(10)``).
Every gradient of a cost here comes from the definition of the derivative: the
difference quotient divided exactly by ``h`` in the polynomial ring over
``QQ(sqrt(10))`` and evaluated at ``h = 0`` (:func:`~gradavg.engine.gradients.limit_in_ring`),
so no side is computed by the sum rule or typed in as a formula.
"""

from __future__ import annotations

import functools

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import certified_sign, decide
from gradavg.engine.gradients import H, derivative_by_definition, limit_in_ring
from gradavg.topics.data import ANSCOMBE_I_X
from gradavg.topics.parameter_space import (anscombe_centred_exact, anscombe_exact, cost_minimum_exact,
                                            least_squares_line_exact, mistaken_places)

w, b = sp.symbols("w b", real=True)
#: the step size of one gradient step
ETA = sp.Symbol("eta", real=True)
Z, Y = anscombe_exact()
COUNT = len(Z)
#: the example losses as surfaces over (w, b)
SURFACES = [(w * z + b - y) ** 2 for z, y in zip(Z, Y)]
#: the cost, the mean of the example surfaces
COST = sp.Add(*SURFACES) / COUNT
#: polynomials in (h, w, b, eta) with coefficients in QQ(sqrt(10)): the z_i live there
RING, _h, *_ = sp.ring([H, w, b, ETA], sp.QQ.algebraic_field(sp.sqrt(10)))

_A = sp.Matrix([[z, 1] for z in Z])
_THETA = sp.Matrix([w, b])
_Y = sp.Matrix(Y)
#: the cost from the normal-equation form: (theta^T A^T A theta - 2 theta^T A^T y + y^T y) / N
NORMAL_COST = sp.expand(((_THETA.T * (_A.T * _A) * _THETA)[0] - 2 * (_THETA.T * (_A.T * _Y))[0] + (_Y.T * _Y)[0]) / COUNT)
#: its closed-form gradient, (2 / N) A^T (A theta - y): a formula, checked below against the definition
NORMAL_GRADIENT = [sp.expand(g) for g in (2 * _A.T * (_A * _THETA - _Y) / COUNT)]


def gradient_by_definition(expr: sp.Expr) -> list[sp.Expr]:
    """``(d/dw, d/db)`` of a polynomial over ``QQ(sqrt(10))`` from its difference quotients, exactly.

    Example:
        >>> gradient_by_definition((w * Z[0] + b) ** 2)
        [sqrt(10)*b/5 + w/5, 2*b + sqrt(10)*w/5]
    """
    return [_partial(expr, p) for p in (w, b)]


def _partial(expr: sp.Expr, param: sp.Symbol) -> sp.Expr:
    return limit_in_ring(expr, param, RING, _h).as_expr()


#: the gradient of the cost, from the definition of the derivative applied to the whole mean
COST_GRADIENT = gradient_by_definition(COST)
#: each example's gradient, from the definition applied to its own loss
EXAMPLE_GRADIENTS = [gradient_by_definition(s) for s in SURFACES]


def _is_zero_polynomial(expr: sp.Expr) -> bool:
    return RING(sp.expand(expr)) == 0


def _identity(sides: list[sp.Expr], how: str) -> Verdict:
    """Decide that every entry of ``sides`` (a difference of two routes) is 0 for all (w, b) (and eta)."""
    symbols = [s for s in (w, b, ETA) if any(s in sp.sympify(d).free_symbols for d in sides)] or [w, b]
    return decide(lambda point: [sp.expand(s.xreplace(point)) for s in sides], symbols,
                  lambda: ([0 if _is_zero_polynomial(s) else sp.expand(s) for s in sides],
                           f"{how} in the polynomial ring over QQ(sqrt(10))"))


def _at(vector, theta):
    return [sp.expand(sp.sympify(c).xreplace({w: theta[0], b: theta[1]})) for c in vector]


def _mean(vectors):
    return [sp.Add(*[v[k] for v in vectors]) / len(vectors) for k in range(2)]


def _cross(u, v):
    return u[0] * v[1] - u[1] * v[0]


def _dot(u, v):
    return u[0] * v[0] + u[1] * v[1]


# --- the cost surface and the gradient at one point -------------------------------------------------------------

#: the average example (mean input, mean label): the surface a single-surface picture suggests
MEAN_EXAMPLE_SURFACE = (w * sp.Add(*Z) / COUNT + b - sp.Add(*Y) / COUNT) ** 2


def _mean_surface(cost: sp.Expr) -> Verdict:
    return _identity([cost - NORMAL_COST], "the candidate cost minus the normal-equation cost expands to 0")


def _gradient_at(places) -> Verdict:
    """The mean of the examples' gradients, example i's taken at theta + places[i], against grad C at theta."""
    shifted = [[g.xreplace({w: w + d[0], b: b + d[1]}) for g in grad] for grad, d in zip(EXAMPLE_GRADIENTS, places)]
    mean = _mean(shifted)
    return _identity([*(m - g for m, g in zip(mean, NORMAL_GRADIENT)),
                      *(g - c for g, c in zip(NORMAL_GRADIENT, COST_GRADIENT))],
                     "the mean of per-example gradients minus (2/N) A^T (A theta - y), and that minus grad C "
                     "from the cost's difference quotients, expand to 0")


register(
    Claim.contrasting(
        id="parameter-space.mean-surface",
        statement=(
            r"For Anscombe's set I with $z_i = (x_i - \bar x)/s_x$ and $L_i(w, b) = (w z_i + b - y_i)^2$: "
            r"for all $(w, b)$, $\frac{1}{11}\sum_{i=1}^{11} L_i(w, b) = "
            r"\frac{1}{11}\bigl(\theta^\top A^\top A\,\theta - 2\theta^\top A^\top y + y^\top y\bigr)$."
        ),
        check=_mean_surface,
        right=COST,
        wrong=MEAN_EXAMPLE_SURFACE,
        control="the cost is the surface of the average example, (w zbar + b - ybar)^2",
        evidence="proof",
        scope="Anscombe's set I (N = 11, inputs standardised exactly); every (w, b)",
    )
)

register(
    Claim.contrasting(
        id="parameter-space.gradient-at-one-point",
        statement=(
            r"For Anscombe's set I as above and every point $\theta = (w, b)$: "
            r"$\frac{1}{11}\sum_{i=1}^{11}\nabla L_i(\theta) = \frac{2}{11} A^\top (A\theta - y) = \nabla C(\theta)$, "
            r"$\nabla C$ and each $\nabla L_i$ from the definition of the derivative."
        ),
        check=_gradient_at,
        right=[(0, 0)] * COUNT,
        wrong=mistaken_places(COUNT),
        control="each example's gradient taken at its own place, theta plus a different offset d_i per example",
        evidence="proof",
        scope="Anscombe's set I (N = 11, standardised inputs); every (w, b)",
    )
)


# --- what the mean of gradients at scattered places is ----------------------------------------------------------

@functools.lru_cache(maxsize=None)
def example_hessians() -> tuple[sp.Matrix, ...]:
    """Each example's Hessian, the gradient (by definition) of its gradient (by definition): ``2 a_i a_i^T``.

    Example:
        >>> example_hessians()[0]
        Matrix([
        [       1/5, sqrt(10)/5],
        [sqrt(10)/5,          2]])
    """
    return tuple(sp.Matrix([gradient_by_definition(component) for component in grad]) for grad in EXAMPLE_GRADIENTS)


def scattered_shift(places) -> sp.Matrix:
    """``delta = Hbar^{-1} (1/N) sum_i H_i d_i``: the mean of gradients at ``theta + d_i`` is ``grad C(theta + delta)``.

    ``Hbar`` is the Hessian of the cost (by definition), invertible because the cost is strictly convex.

    Example:
        >>> [round(float(v), 4) for v in scattered_shift(mistaken_places(COUNT))]
        [0.3639, -0.1892]
    """
    hessian = sp.Matrix([gradient_by_definition(component) for component in COST_GRADIENT])
    pull = sp.zeros(2, 1)
    for h_i, d in zip(example_hessians(), places):
        pull += h_i * sp.Matrix(d) / COUNT
    return (hessian.inv() * pull).applyfunc(sp.radsimp)


def _scattered_mean(target) -> Verdict:
    """The mean of gradients at scattered places against ``grad C`` at the point ``target(theta)``."""
    places = mistaken_places(COUNT)
    shifted = [[g.xreplace({w: w + d[0], b: b + d[1]}) for g in grad] for grad, d in zip(EXAMPLE_GRADIENTS, places)]
    mean = _mean(shifted)
    point = target(places)
    at_target = [g.xreplace({w: w + point[0], b: b + point[1]}) for g in COST_GRADIENT]
    hessian_term = sp.zeros(2, 1)
    for h_i, d in zip(example_hessians(), places):
        hessian_term += h_i * sp.Matrix(d) / COUNT
    verdict = _identity([*(m - t for m, t in zip(mean, at_target)),
                         *(m - c - hessian_term[k] for k, (m, c) in enumerate(zip(mean, COST_GRADIENT)))],
                        "the mean of the shifted per-example gradients minus grad C at the target point, and minus "
                        "grad C(theta) + (1/N) sum H_i d_i, expand to 0")
    if not verdict.holds:
        return verdict
    if all(certified_sign(v) == 0 for v in point):
        return Verdict(False, "the shift delta is 0", evidence="proof")
    return Verdict(True, f"{verdict.method}; the target's offset from theta is nonzero (exact)",
                   residual=verdict.residual, evidence="proof")


register(
    Claim.contrasting(
        id="parameter-space.scattered-mean",
        statement=(
            r"For Anscombe's set I, the page's offsets $d_i$ and every $\theta$: "
            r"$\frac{1}{11}\sum_i \nabla L_i(\theta + d_i) = \nabla C(\theta) + \frac{1}{11}\sum_i H_i d_i "
            r"= \nabla C(\theta + \delta)$ with $H_i = \nabla^2 L_i$, $\delta = \bar H^{-1}\frac{1}{11}\sum_i H_i d_i "
            r"\neq 0$, $\bar H = \nabla^2 C$."
        ),
        check=_scattered_mean,
        right=lambda places: list(scattered_shift(places)),
        wrong=lambda places: _mean(places),
        control="it is the gradient of C at the mean place, theta + (1/N) sum d_i",
        evidence="proof",
        scope="Anscombe's set I (standardised inputs) with the page's 11 offsets d_i; every (w, b)",
    )
)


# --- the mean gradient points at the minimum only because the inputs are standardised ---------------------------

#: the raw inputs x_i (rational) and the example losses of the line y = w x + b fitted to them
RAW_X = [sp.Rational(str(v)) for v in ANSCOMBE_I_X]
RAW_SURFACES = [(w * x + b - y) ** 2 for x, y in zip(RAW_X, Y)]
#: the raw-input cost's gradient, from the definition of the derivative applied to the whole mean
RAW_COST_GRADIENT = gradient_by_definition(sp.Add(*RAW_SURFACES) / COUNT)
#: the inputs centred but not scaled, x_i - xbar (rational), and the cost's gradient for them, by definition
CENTRED_X = anscombe_centred_exact()[0]
CENTRED_COST_GRADIENT = gradient_by_definition(sp.Add(*[(w * x + b - y) ** 2 for x, y in zip(CENTRED_X, Y)]) / COUNT)
_GRADIENTS = {"standardised": COST_GRADIENT, "centred": CENTRED_COST_GRADIENT, "raw": RAW_COST_GRADIENT}


def cost_hessian(inputs: str = "standardised") -> sp.Matrix:
    """The Hessian of the cost, the gradient by definition of its gradient by definition, for the inputs
    ``"standardised"`` (z_i), ``"centred"`` (x_i - xbar, not scaled) or ``"raw"`` (x_i).

    Example:
        >>> cost_hessian(), cost_hessian("centred"), cost_hessian("raw")
        (Matrix([
        [2, 0],
        [0, 2]]), Matrix([
        [20, 0],
        [ 0, 2]]), Matrix([
        [182, 18],
        [ 18,  2]]))
    """
    return sp.Matrix([gradient_by_definition(component) for component in _GRADIENTS[inputs]])


def _points_at_minimum_everywhere(gradient, hessian, minimum) -> Verdict:
    """Decide that the Hessian is 2I and -grad C(theta) = 2 (theta* - theta) for every theta (both by definition)."""
    return _identity([*(hessian - 2 * sp.eye(2)), *(-g - 2 * (m - t) for g, m, t in zip(gradient, minimum, (w, b)))],
                     "the Hessian of C (by definition) minus 2I, and -grad C (by definition) minus 2 (theta* - "
                     "theta) with theta* from the closed-form slope and intercept, expand to 0")


def _off_minimum_at(gradient, minimum, theta) -> sp.Expr:
    """The cross product of -grad C(theta) with theta* - theta (exact): 0 exactly when they are parallel."""
    return sp.expand(_cross([-c for c in _at(gradient, theta)], [m - t for m, t in zip(minimum, theta)]))


def _mean_points_at_minimum(centred_only: bool) -> Verdict:
    """Standardised: Hessian 2I and -grad C(theta) = 2 (theta* - theta) for every theta; raw: not parallel at theta0.

    With ``centred_only`` (the control) the same test runs on inputs centred but not scaled, the belief that
    centring alone is enough; it fails, and the verdict carries the exact Hessian minus 2I and the cross product of
    -grad C(theta_0) with theta* - theta_0 at the witness theta_0."""
    if centred_only:
        hessian, minimum = cost_hessian("centred"), least_squares_line_exact(CENTRED_X, Y)
        verdict = _points_at_minimum_everywhere(CENTRED_COST_GRADIENT, hessian, minimum)
        if verdict.holds:
            return verdict
        off = _off_minimum_at(CENTRED_COST_GRADIENT, minimum, THETA0)
        return Verdict(False, f"exact evaluation at the witness theta_0 = (0, 13/2): with centred, unscaled inputs the Hessian (by definition) minus 2I "
                              f"is {list(hessian - 2 * sp.eye(2))} and the cross product of -grad C(theta_0) with "
                              f"theta* - theta_0 is {off}, exact", witness={w: THETA0[0], b: THETA0[1]},
                       gap=(*(hessian - 2 * sp.eye(2)), off), evidence="proof")
    verdict = _points_at_minimum_everywhere(COST_GRADIENT, cost_hessian(), cost_minimum_exact())
    if not verdict.holds:
        return verdict
    off = _off_minimum_at(RAW_COST_GRADIENT, cost_minimum_exact(standardised=False), THETA0)
    if certified_sign(off) == 0:
        return Verdict(False, "with the raw inputs -grad C_x points at theta*_x at theta_0 too", evidence="proof")
    return Verdict(True, f"{verdict.method}; with the raw inputs the cross product of -grad C_x(theta_0) with "
                         f"theta*_x - theta_0 is {off} (exact), not 0", residual=verdict.residual, evidence="proof")


# --- averaging gradients is not averaging directions ------------------------------------------------------------

#: the point where the page draws the gradients
THETA0 = (sp.Integer(0), sp.Rational(13, 2))


def _at_point(theta, difference, how: str) -> Verdict:
    """Decide that the components of ``difference`` (exact numbers at ``theta``) are all 0; witness ``theta`` if not."""
    residual = [sp.radsimp(sp.expand(d)) for d in difference]
    return decide(lambda point: residual, [], lambda: (residual, how), fixed={w: theta[0], b: theta[1]})


def line_geometry(theta):
    """Per example at ``theta``: the residual ``r_i``, the length ``2|r_i| sqrt(1 + z_i^2)`` and the unit normal of
    the zero-loss line ``w z_i + b = y_i`` on the side of ``theta`` (none of them from a gradient).

    Example:
        >>> r, length, normal = line_geometry(THETA0)[0]
        >>> r, length, normal
        (-77/50, 77*sqrt(110)/250, (-sqrt(11)/11, -sqrt(110)/11))
    """
    rows = []
    for z, y in zip(Z, Y):
        r = sp.radsimp(theta[0] * z + theta[1] - y)
        size = sp.sqrt(1 + z * z)
        rows.append((r, 2 * sp.Abs(r) * size, (sp.radsimp(sp.sign(r) * z / size), sp.radsimp(sp.sign(r) / size))))
    return rows


def _directions_weighted(weighted: bool) -> Verdict:
    """At theta0: grad C against the mean of the unit directions, weighted by the lengths (or not)."""
    full = _at(COST_GRADIENT, THETA0)
    rows = line_geometry(THETA0)
    units = [normal for _, _, normal in rows]
    if not weighted:  # "the average direction": the unweighted mean of the directions points along grad C
        return _at_point(THETA0, [_cross(_mean(units), full)],
                         "the cross product of the unweighted mean of directions with grad C is 0")
    gradients = [_at(g, THETA0) for g in EXAMPLE_GRADIENTS]
    pieces = [g[k] - length * u[k] for g, (_, length, u) in zip(gradients, rows) for k in range(2)]
    weighted_mean = _mean([(length * u[0], length * u[1]) for _, length, u in rows])
    verdict = _at_point(THETA0, [*pieces, *(m - f for m, f in zip(weighted_mean, full))],
                        "each grad L_i (by definition) minus its length times its line's unit normal, and grad C "
                        "(by definition) minus the length-weighted mean of the directions, are 0 in exact algebraic numbers")
    squares = {sp.radsimp(length**2) for _, length, _ in rows}
    crossing = _cross(_mean(units), full)
    if not verdict.holds:
        return verdict
    if len(squares) == 1 or certified_sign(crossing) == 0:
        return Verdict(False, "the lengths are all equal or the unweighted mean is parallel to grad C", evidence="proof")
    return Verdict(True, f"{verdict.method}; the {len(squares)} distinct squared lengths are rational and the cross "
                         "product of the unweighted mean with grad C is nonzero (its sign certified by an "
                         "outward-rounded interval enclosure)",
                   residual=verdict.residual, evidence="proof")


register(
    Claim.contrasting(
        id="parameter-space.mean-points-at-minimum",
        statement=(
            r"For Anscombe's set I with standardised inputs: $\nabla^2 C = 2I$ and $-\nabla C(\theta) = "
            r"2(\theta^* - \theta)$ for every $\theta$. With the raw inputs $x_i$, cost $C_x$ and minimum "
            r"$\theta^*_x$: at $\theta_0 = (0, \tfrac{13}{2})$, $-\nabla C_x(\theta_0)$ is not parallel to "
            r"$\theta^*_x - \theta_0$."
        ),
        check=_mean_points_at_minimum,
        right=False,
        wrong=True,
        control="centring alone is enough: with the inputs centred but not scaled, x_i - xbar, the Hessian is 2I "
                "and -grad C(theta) = 2 (theta* - theta) at every theta",
        evidence="proof",
        scope="Anscombe's set I: standardised inputs, every (w, b); raw inputs, the one point theta_0 = (0, 13/2); "
              "gradients and Hessian from the definition of the derivative",
    )
)


def _points_to(target, exact: bool) -> Verdict:
    """For every example and every (w, b): minus its gradient (by definition) points at ``target``.

    Always tested: minus the gradient is parallel to ``target - theta`` (the cross product is 0). With ``exact``
    also: ``target`` is on the example's zero-loss line, ``theta - target`` is normal to that line, and
    minus the gradient is ``2 (1 + z_i^2) (target - theta)``.
    """
    differences = []
    for (z, y), gradient in zip(zip(Z, Y), EXAMPLE_GRADIENTS):
        goal = target(z, y)
        towards = [goal[0] - w, goal[1] - b]
        differences.append(_cross([-gradient[0], -gradient[1]], towards))
        if exact:
            differences.append(goal[0] * z + goal[1] - y)  # on the line w z_i + b = y_i
            differences.append(_dot(towards, (1, -z)))  # theta - P_i is normal to the line's direction (1, -z_i)
            differences += [-gradient[k] - 2 * (1 + z * z) * towards[k] for k in range(2)]
    how = "every component (parallel, on the line, normal to it, the factor 2 (1 + z_i^2)) expands to 0" if exact \
        else "every cross product of minus the gradient with the direction to the target expands to 0"
    return _identity(differences, how)


def _foot_on_own_line(z, y):
    """The orthogonal projection of (w, b) onto the example's zero-loss line w z + b = y (a formula; checked)."""
    residual = w * z + b - y
    return (w - residual * z / (1 + z * z), b - residual / (1 + z * z))


def _vanishes_at_minimum(units: bool) -> Verdict:
    """At the cost's minimum (raw inputs: a rational point): the mean of the gradients is 0, and no single one is."""
    theta = cost_minimum_exact(standardised=False)
    point = {w: theta[0], b: theta[1]}
    raw = [(w * sp.Rational(str(x)) + b - y) ** 2 for x, y in zip(ANSCOMBE_I_X, Y)]
    vectors = [[derivative_by_definition(loss, p, point) for p in (w, b)] for loss in raw]
    zero = [k for k, v in enumerate(vectors) if all(c == 0 for c in v)]
    if zero:
        return Verdict(False, f"exact: the gradient of example {zero[0] + 1} is itself 0 at the minimum",
                       witness=point, gap=tuple(vectors[zero[0]]), evidence="proof")
    if units:
        vectors = [(u / sp.sqrt(u * u + v * v), v / sp.sqrt(u * u + v * v)) for u, v in vectors]
    return _at_point(theta, _mean(vectors), f"the mean of the {len(vectors)} vectors (gradients from the definition "
                                            "of the derivative), none of them 0, is 0 in exact algebraic numbers")


register(
    Claim.contrasting(
        id="parameter-space.magnitudes-are-weights",
        statement=(
            r"For Anscombe's set I at $\theta_0 = (0, \tfrac{13}{2})$, with $g_i = \nabla L_i(\theta_0)$, "
            r"$r_i = z_i w + b - y_i$ and $u_i$ the unit normal of the line $w z_i + b = y_i$ on the side of $\theta_0$: "
            r"$g_i = 2|r_i|\sqrt{1 + z_i^2}\,u_i$, these lengths are not all equal, "
            r"$\nabla C(\theta_0) = \frac{1}{N}\sum_i 2|r_i|\sqrt{1 + z_i^2}\,u_i$, and the unweighted mean "
            r"$\frac{1}{N}\sum_i u_i$ is not parallel to $\nabla C(\theta_0)$."
        ),
        check=_directions_weighted,
        right=True,
        wrong=False,
        control="the average direction: the unweighted mean of the u_i is parallel to grad C(theta_0)",
        evidence="proof",
        scope="Anscombe's set I (standardised inputs) at the one point theta_0 = (0, 13/2); gradients from the "
              "definition of the derivative",
    )
)

register(
    Claim(
        id="parameter-space.example-points-to-its-line",
        statement=(
            r"For every example $i$ of Anscombe's set I and every $\theta = (w, b)$: "
            r"$-\nabla L_i(\theta) = 2(1 + z_i^2)\,(P_i(\theta) - \theta)$, where "
            r"$P_i(\theta) = \theta - \frac{r_i}{1 + z_i^2}(z_i, 1)$ lies on the line $w z_i + b = y_i$ and "
            r"$\theta - P_i(\theta)$ is normal to it: $P_i(\theta)$ is the orthogonal projection of $\theta$ onto the line."
        ),
        check=lambda: _points_to(_foot_on_own_line, exact=True),
        control="minus each example's gradient points at the cost's minimum: it is parallel to (w*, b*) - theta",
        control_check=lambda: _points_to(lambda z, y: cost_minimum_exact(), exact=False),
        evidence="proof",
        scope="every example of Anscombe's set I (standardised inputs); every (w, b); gradients from the definition",
    )
)

register(
    Claim.contrasting(
        id="parameter-space.mean-vanishes-at-minimum",
        statement=(
            r"For Anscombe's set I fitted as $y = w x + b$ (raw inputs) at that cost's minimum $\theta^*_x = (w^*_x, b^*_x)$: "
            r"$\frac{1}{N}\sum_i \nabla L_i(\theta^*_x) = 0$ while $\nabla L_i(\theta^*_x) \ne 0$ for every $i$."
        ),
        check=_vanishes_at_minimum,
        right=False,
        wrong=True,
        control="the mean of the unit directions vanishes at the minimum",
        evidence="proof",
        scope="Anscombe's set I (raw inputs) at its least-squares minimum (from the closed-form slope and intercept); "
              "gradients from the definition of the derivative",
    )
)


# --- what the mean of the unit directions is --------------------------------------------------------------------

def _mean_distance(power: int) -> sp.Expr:
    """The mean over examples of (distance from (w, b) to the zero-loss line) ** power."""
    return sp.Add(*[(sp.Abs(w * z + b - y) / sp.sqrt(1 + z * z)) ** power for z, y in zip(Z, Y)]) / COUNT


def _unit_mean_is_gradient_of(power: int) -> Verdict:
    """At theta0: the mean of the unit directions of the gradients against the gradient (by definition) of the mean
    distance to the zero-loss lines raised to ``power``; for the distance itself, also that it descends C.

    ``D`` contains ``Abs``: its difference quotient's limit is taken from both sides (the engine raises at a kink),
    and the check first makes sure that no residual ``r_i`` is 0 at theta0, so that ``D`` is smooth there."""
    point = {w: THETA0[0], b: THETA0[1]}
    fitted = [k + 1 for k, (r, _, _) in enumerate(line_geometry(THETA0)) if r == 0]
    if fitted:
        return Verdict(False, f"theta_0 lies on the zero-loss line of example {fitted[0]}: D has a kink there",
                       evidence="proof")
    gradients = [_at(g, THETA0) for g in EXAMPLE_GRADIENTS]
    units = _mean([(u / sp.sqrt(u * u + v * v), v / sp.sqrt(u * u + v * v)) for u, v in gradients])
    surface = _mean_distance(power)
    slope = [derivative_by_definition(surface, p, point) for p in (w, b)]
    verdict = _at_point(THETA0, [u - s for u, s in zip(units, slope)],
                        "no residual r_i is 0 at theta_0 (exact), so D is smooth there; the mean of the unit directions "
                        "minus the limit of the difference quotients (both one-sided limits, which agree) of the mean "
                        f"distance{'' if power == 1 else ' squared'} is 0 in exact algebraic numbers")
    if not verdict.holds:
        return verdict
    if certified_sign(_dot(units, _at(COST_GRADIENT, THETA0))) <= 0:
        return Verdict(False, "minus the mean of the unit directions does not descend C", evidence="proof")
    return Verdict(True, f"{verdict.method}; its dot product with grad C(theta_0) is positive (sign certified by an "
                         "outward-rounded interval enclosure)", residual=verdict.residual, evidence="proof")


register(
    Claim.contrasting(
        id="parameter-space.unit-mean-descends-distance",
        statement=(
            r"For Anscombe's set I at $\theta_0 = (0, \tfrac{13}{2})$: $\frac{1}{N}\sum_i g_i/\lVert g_i\rVert = "
            r"\nabla D(\theta_0)$, where $D(w, b) = \frac{1}{N}\sum_i |w z_i + b - y_i| / \sqrt{1 + z_i^2}$ is the mean "
            r"distance to the zero-loss lines, and $\nabla C(\theta_0) \cdot \nabla D(\theta_0) > 0$: minus it "
            r"descends $C$."
        ),
        check=_unit_mean_is_gradient_of,
        right=1,
        wrong=2,
        control="the mean of the unit directions is the gradient of the mean squared distance to the lines",
        evidence="proof",
        scope="Anscombe's set I (standardised inputs) at the one point theta_0 = (0, 13/2), where no r_i is 0; "
              "gradient of D from both one-sided limits of its difference quotients",
    )
)


# --- the mean step makes some examples worse --------------------------------------------------------------------

def first_order_changes(theta) -> list[sp.Expr]:
    """``-g_i . gbar`` at ``theta``, exactly: the rate at which example i's loss changes along the mean step.

    Example:
        >>> [sp.sign(sp.N(v)) for v in first_order_changes(THETA0)].count(1)
        2
    """
    mean = _at(COST_GRADIENT, theta)
    return [sp.radsimp(-_dot(_at(g, theta), mean)) for g in EXAMPLE_GRADIENTS]


def _step(theta=None) -> dict:
    """The substitution (w, b) -> theta - eta gbar(theta); ``theta=None``: the symbolic point (w, b)."""
    if theta is None:
        return {w: w - ETA * COST_GRADIENT[0], b: b - ETA * COST_GRADIENT[1]}
    mean = _at(COST_GRADIENT, theta)
    return {w: theta[0] - ETA * mean[0], b: theta[1] - ETA * mean[1]}


def _mean_step(first_order_exact: bool) -> Verdict:
    """Along theta - eta gbar, for every theta and eta: each loss and the cost against their expansions in eta.

    With ``first_order_exact`` (the control) the cost is compared with its first-order part alone,
    ``C(theta) - eta |gbar|^2``: the belief that the cost falls for every step size."""
    step = _step()
    if first_order_exact:
        return _identity([COST.xreplace(step) - (COST - ETA * _dot(COST_GRADIENT, COST_GRADIENT))],
                         "C(theta - eta gbar) minus C(theta) - eta |gbar|^2")
    sides = []
    for surface, grad, z in zip(SURFACES, EXAMPLE_GRADIENTS, Z):
        along = z * COST_GRADIENT[0] + COST_GRADIENT[1]  # a_i . gbar
        sides.append(surface.xreplace(step)
                     - (surface - ETA * _dot(grad, COST_GRADIENT) + ETA**2 * along**2))
    square = _dot(COST_GRADIENT, COST_GRADIENT)
    curvature = sp.Add(*[(z * COST_GRADIENT[0] + COST_GRADIENT[1]) ** 2 for z in Z]) / COUNT
    sides.append(COST.xreplace(step) - (COST - ETA * square + ETA**2 * curvature))
    sides.append(curvature - square)
    sides.append(COST.xreplace(step) - (COST - ETA * (1 - ETA) * square))
    w_star, b_star = cost_minimum_exact()
    sides += [w - COST_GRADIENT[0] / 2 - w_star, b - COST_GRADIENT[1] / 2 - b_star]
    return _identity(sides, "each L_i(theta - eta gbar) and C(theta - eta gbar) minus its expansion in eta, "
                            "(1/N) sum (a_i . gbar)^2 - |gbar|^2, C(theta - eta gbar) minus C(theta) - eta (1 - eta) "
                            "|gbar|^2, and theta - gbar/2 - theta*,")


register(
    Claim.contrasting(
        id="parameter-space.mean-step-expansion",
        statement=(
            r"For Anscombe's set I, every $\theta$ and every step size $\eta$, with $g_i = \nabla L_i(\theta)$, "
            r"$\bar g = \nabla C(\theta)$ and $a_i = (z_i, 1)$: $L_i(\theta - \eta\bar g) = L_i(\theta) - "
            r"\eta\, g_i\cdot\bar g + \eta^2 (a_i\cdot\bar g)^2$, $\frac{1}{N}\sum_i (a_i\cdot\bar g)^2 = "
            r"\lVert\bar g\rVert^2$, so $C(\theta - \eta\bar g) = C(\theta) - \eta\lVert\bar g\rVert^2 + "
            r"\eta^2\frac{1}{N}\sum_i (a_i\cdot\bar g)^2 = C(\theta) - \eta(1 - \eta)\lVert\bar g\rVert^2$; "
            r"and $\theta - \tfrac12\bar g = \theta^*$."
        ),
        check=_mean_step,
        right=False,
        wrong=True,
        control="the first-order picture is exact: C(theta - eta gbar) = C(theta) - eta |gbar|^2, so the cost falls "
                "for every step size",
        evidence="proof",
        scope="Anscombe's set I (standardised inputs); every (w, b) and every eta; gradients from the definition",
    )
)


@functools.lru_cache(maxsize=None)
def step_changes(theta=THETA0) -> tuple[sp.Poly, ...]:
    """``L_i(theta - eta gbar) - L_i(theta)`` for each example, as a polynomial in ``eta`` (by substitution, exactly).

    Example:
        >>> step_changes()[2].all_coeffs()
        [272481049/7562500, -445689/34375, 0]
    """
    step = _step(theta)
    point = {w: theta[0], b: theta[1]}
    return tuple(sp.Poly(sp.radsimp(sp.expand(s.xreplace(step) - s.xreplace(point))), ETA) for s in SURFACES)


@functools.lru_cache(maxsize=None)
def worse_thresholds(theta=THETA0) -> tuple[sp.Expr, ...]:
    """Each example's threshold ``tau_i``: for ``eta > 0`` its loss rises along the mean step exactly when ``eta > tau_i``.

    ``L_i(theta - eta gbar) - L_i(theta) = eta (c_i eta - b_i)`` with ``c_i = (a_i . gbar)^2 > 0``, so
    ``tau_i = b_i / c_i = g_i . gbar / (a_i . gbar)^2``, read off the exact polynomial of :func:`step_changes`.

    Raises:
        ArithmeticError: some change has a constant term, or a leading coefficient that is not positive.

    Example:
        >>> [worse_thresholds()[k] for k in (2, 6, 9)]
        [5940/16507, -8140/5493, -2310]
    """
    taus = []
    for k, change in enumerate(step_changes(theta)):
        c2, c1, c0 = (change.coeff_monomial(ETA**j) for j in (2, 1, 0))
        if c0 != 0 or change.degree() > 2 or certified_sign(c2) <= 0:
            raise ArithmeticError(f"example {k + 1}: the change {change} is not eta (c eta - b) with c > 0")
        taus.append(sp.radsimp(-c1 / c2))
    return tuple(taus)


def worse_at(eta, theta=THETA0) -> list[int]:
    """The examples (numbered from 1) whose loss rises for the step ``eta``, by direct exact evaluation.

    Example:
        >>> worse_at(sp.Rational(1, 2))
        [3, 7, 10]
    """
    return [k + 1 for k, change in enumerate(step_changes(theta)) if certified_sign(change.as_expr().xreplace({ETA: eta})) > 0]


#: the sets the page states: for small steps, at eta = 1/2, and just below eta = 1
WORSE_SMALL, WORSE_HALF, WORSE_BELOW_ONE = [7, 10], [3, 7, 10], [2, 3, 5, 6, 7, 10, 11]


def _step_sizes_to_test(taus) -> list[sp.Rational]:
    """One step size in each interval of eta > 0 between consecutive thresholds, each threshold itself, and 1/2."""
    cuts = sorted({t for t in taus if t > 0})
    sizes = {cuts[0] / 2, cuts[-1] + 1, sp.Rational(1, 2), *cuts}
    sizes |= {(lo + hi) / 2 for lo, hi in zip(cuts, cuts[1:])}
    return sorted(sizes)


def _worse_sets(rule) -> Verdict:
    """At theta0: the examples made worse by the step eta (direct exact evaluation) against ``rule(eta, k)``.

    Each change is ``eta (c_i eta - b_i)`` with ``c_i > 0`` (:func:`worse_thresholds`), so the set of examples
    made worse is constant between consecutive thresholds and a step size in each interval and at each threshold
    covers every eta > 0."""
    taus = worse_thresholds()
    point = {w: THETA0[0], b: THETA0[1]}
    for eta in _step_sizes_to_test(taus):
        actual = worse_at(eta)
        predicted = [k + 1 for k in range(COUNT) if rule(eta, k)]
        if actual != predicted:
            wrong = sorted(set(actual) ^ set(predicted))
            gap = tuple(step_changes()[k - 1].as_expr().xreplace({ETA: eta}) for k in wrong)
            return Verdict(False, f"exact evaluation at eta = {eta}: the examples made worse are {actual}, not "
                                  f"{predicted}", witness={**point, ETA: eta}, gap=gap, evidence="proof")
    return Verdict(True, f"exact: each L_i(theta_0 - eta gbar) - L_i(theta_0) is eta (c_i eta - b_i) with c_i > 0, "
                         f"and the examples made worse agree at {len(_step_sizes_to_test(taus))} step sizes, one in "
                         "each interval between thresholds and each threshold", evidence="proof")


def _some_examples_worse() -> Verdict:
    taus = worse_thresholds()
    rates = first_order_changes(THETA0)
    agree = all(sp.radsimp(t + r / (z * m[0] + m[1]) ** 2) == 0 for t, r, z, m in
                zip(taus, rates, Z, [_at(COST_GRADIENT, THETA0)] * COUNT))
    if not agree:
        return Verdict(False, "some tau_i is not g_i . gbar / (a_i . gbar)^2", evidence="proof")
    verdict = _worse_sets(lambda eta, k: taus[k] < eta)
    if not verdict.holds:
        return verdict
    negative = [k + 1 for k, t in enumerate(taus) if t < 0]
    positive = sorted((t, k + 1) for k, t in enumerate(taus) if t > 0)
    first, below_one = positive[0], [k for t, k in positive if t < 1]
    w_star, b_star = cost_minimum_exact()
    landing = [THETA0[0] - _at(COST_GRADIENT, THETA0)[0] / 2 - w_star, THETA0[1] - _at(COST_GRADIENT, THETA0)[1] / 2
               - b_star]
    facts = [negative == WORSE_SMALL and len(negative) + len(positive) == COUNT, first[1] == 3,
             positive[1][0] > first[0], worse_at(first[0]) == worse_at(first[0] / 2) == WORSE_SMALL,
             all(sp.radsimp(v) == 0 for v in landing), worse_at(sp.Rational(1, 2)) == WORSE_HALF,
             sorted(negative + below_one) == WORSE_BELOW_ONE == worse_at((max(t for t, _ in positive if t < 1) + 1) / 2)]
    if not all(facts):
        return Verdict(False, f"a stated set or threshold is wrong: {facts}", evidence="proof")
    return Verdict(True, f"{verdict.method}; tau_i < 0 exactly for examples {negative}, the smallest positive is "
                         f"tau_3 = {first[0]}; theta_0 - gbar/2 = theta*, where examples {WORSE_HALF} are worse; "
                         f"for max(tau_i < 1) < eta < 1, examples {WORSE_BELOW_ONE} (all exact rationals)",
                   evidence="proof")


register(
    Claim(
        id="parameter-space.some-examples-get-worse",
        statement=(
            r"For Anscombe's set I at $\theta_0 = (0, \tfrac{13}{2})$, with $g_i = \nabla L_i(\theta_0)$, "
            r"$\bar g = \nabla C(\theta_0)$ and $\tau_i = g_i\cdot\bar g / (a_i\cdot\bar g)^2$: for every "
            r"$\eta > 0$, $L_i(\theta_0 - \eta\bar g) > L_i(\theta_0)$ exactly when $\eta > \tau_i$. Only "
            r"$\tau_7$ and $\tau_{10}$ are negative and the smallest positive one is $\tau_3$, so for "
            r"$0 < \eta \le \tau_3$ the step makes exactly examples 7 and 10 worse; at $\eta = \tfrac12$, where "
            r"$\theta_0 - \eta\bar g = \theta^*$, exactly 3, 7 and 10; for $\max\{\tau_i : \tau_i < 1\} < \eta < 1$, "
            r"exactly 2, 3, 5, 6, 7, 10 and 11."
        ),
        check=_some_examples_worse,
        control="the first-order reading: for every step size eta > 0 the examples made worse are those with "
                "g_i . gbar < 0",
        control_check=lambda: _worse_sets(lambda eta, k: first_order_changes(THETA0)[k] > 0),
        evidence="proof",
        scope="Anscombe's set I (standardised inputs) at the one point theta_0 = (0, 13/2); every step size eta > 0",
    )
)


def cost_step_bound(theta) -> sp.Expr:
    """``|gbar|^2 / ((1/N) sum_i (a_i . gbar)^2)`` at ``theta``: the cost falls along ``-gbar`` for every step below it.

    ``theta`` may be symbolic: the bound is 1 at every ``theta`` other than the minimum.

    Example:
        >>> cost_step_bound(THETA0), cost_step_bound((w, b))
        (1, 1)
    """
    mean = _at(COST_GRADIENT, theta)
    curvature = sp.Add(*[(z * mean[0] + mean[1]) ** 2 for z in Z]) / COUNT
    return sp.cancel(sp.radsimp(sp.expand(_dot(mean, mean)) / sp.expand(curvature)), extension=sp.sqrt(10))


# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402
from gradavg.engine.gradients import difference_quotient, limit_at_zero  # noqa: E402


def _squared_length(s):
    """|grad L|^2 for L = (w z + b - y)^2, each component a limit of difference quotients."""
    loss = (s["w"] * s["z"] + s["b"] - s["y"]) ** 2
    return sp.expand(sum(limit_at_zero(difference_quotient(loss, s[p])) ** 2 for p in ("w", "b")))


_ONE_EXAMPLE = "w,b,z,y"
register(exercise_claim(
    "parameter-space.exercise-gradient-length",
    r"For $L(w, b) = (w z + b - y)^2$, $\lVert \nabla L \rVert^2 = 4 (w z + b - y)^2 (1 + z^2)$",
    answer=Answer("4*(w*z + b - y)**2*(1 + z**2)", _ONE_EXAMPLE, "|grad L|^2 ="),
    wrong=Answer("4*(w*z + b - y)**2*(1 + z)**2", _ONE_EXAMPLE, "|grad L|^2 ="),
    truth=_squared_length,
    control="4 r^2 (1 + z)^2, the square of the sum of the components 2 r z + 2 r for the sum of their squares",
    scope="every real w, b, z, y; both components of the gradient from the definition of the derivative",
))


def lowest_point(along: sp.Expr) -> sp.Expr:
    """The ``eta`` where the parabola ``along`` (polynomial in ``eta``) is lowest: its slope, by definition, set to 0.

    Raises:
        ArithmeticError: ``along`` is not a parabola that opens upwards (its ``eta^2`` coefficient is not
            positive), so the slope's root is no minimum.

    Example:
        >>> lowest_point(ETA**2 - ETA)
        1/2
    """
    parabola = sp.Poly(sp.expand(along), ETA)
    if parabola.degree() != 2 or certified_sign(parabola.coeff_monomial(ETA**2)) <= 0:
        raise ArithmeticError(f"{along} is not a parabola in eta that opens upwards")
    slope = limit_in_ring(parabola.as_expr(), ETA, RING, _h).as_expr()
    (lowest,) = sp.solve(slope, ETA)
    return lowest


def _lowest_along_step():
    """The step size where C(theta_0 - eta gbar) is lowest."""
    return lowest_point(COST.xreplace(_step(THETA0)))


register(exercise_claim(
    "parameter-space.exercise-lowest-step",
    r"For Anscombe's set I (standardised) at $\theta_0 = (0, \tfrac{13}{2})$, $C(\theta_0 - \eta\bar g)$ is lowest at "
    r"$\eta = \tfrac12$",
    answer=Answer("1/2", "", "eta ="),
    wrong=Answer("1", "", "eta ="),
    truth=lambda s: _lowest_along_step(),
    control="eta = 1 = 2/L, the end of the step sizes for which C falls, taken for the best one",
    scope="Anscombe's set I with standardised inputs, the one point theta_0 = (0, 13/2); the derivative in eta "
          "of the cost along the step from its definition, exactly over QQ(sqrt(10)), and its one root, a minimum "
          "since the eta^2 coefficient is positive",
))
