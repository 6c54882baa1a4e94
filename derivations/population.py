"""Dataset versus population: the gradient of an expected loss, and kinks."""

from __future__ import annotations

import dataclasses
import random
from fractions import Fraction

import sympy as sp

from gradavg.engine.claims import Claim, Verdict, register
from gradavg.engine.exact import decide
from gradavg.topics.population import (PiecewiseLinear, autodiff_derivative, normal_density, relu, subgradient_violation,
                                 swap_gap)

THETA, X = sp.symbols("theta x", real=True)
MU = sp.Symbol("mu", real=True)
STD = sp.Symbol("s", positive=True)


def _swap(loss, density, support, parameters) -> Verdict:
    """Decide d/dtheta E[L] == E[dL/dtheta], each side by its own route (integrate, then differentiate; or back)."""
    gap = sp.expand(swap_gap(loss, THETA, X, density, support))
    symbols = [THETA, *parameters]

    def at(point):
        if any(point[p] <= 0 for p in parameters if p.is_positive):
            point.update({p: abs(point[p]) for p in parameters if p.is_positive})
        return [gap.xreplace(point)]

    return decide(at, symbols, lambda: ([gap], "the difference of the two routes expands to 0"))


register(
    Claim(
        id="population.swap",
        statement=(
            r"For $x \sim \mathcal{N}(\mu, s^2)$ and $L(\theta, x) = e^{\theta x}$, whose derivative "
            r"$x e^{\theta x}$ is bounded near each $\theta$ by an integrable function of $x$, "
            r"$\frac{d}{d\theta}\mathbb{E}_x L(\theta, x) = \mathbb{E}_x \frac{\partial L}{\partial\theta}(\theta, x)$ "
            r"for all $\theta, \mu$ and $s > 0$."
        ),
        check=lambda: _swap(sp.exp(THETA * X), normal_density(X, MU, STD), (-sp.oo, sp.oo), [MU, STD]),
        control="a 0-1 loss [x < theta] with x uniform on (0, 1): no integrable bound, a jump in theta",
        control_check=lambda: _swap(sp.Piecewise((1, X < THETA), (0, True)), sp.Integer(1), (0, 1), []),
        evidence="proof",
        scope="L = exp(theta x), x normal with mean mu and standard deviation s: every theta, mu and s > 0",
    )
)

# --- kinks: the mean of per-example subgradients is a subgradient of the mean, for max(a theta, b theta) ----

from gradavg.engine.sums import as_statistics  # noqa: E402
from gradavg.topics.population import (nonnegative_by_coefficients, ray_excesses, relu_program,  # noqa: E402
                                       reported_derivative)

CONVENTIONS = ("zero", "one", "half")
RELU_PRIME = {"zero": sp.Integer(0), "half": sp.Rational(1, 2), "one": sp.Integer(1)}
KINK = Fraction(0)
#: the symbols of one per-example loss max(a theta + k, (a + d) theta + k): a and k real, d >= 0; s > 0 is |t|
SLOPE, OFFSET = sp.symbols("a k", real=True)
SPREAD = sp.Symbol("d", nonnegative=True)
RAY = sp.Symbol("s", positive=True)


def max_programs():
    """max(a theta + k, b theta + k) with b = a + d, d >= 0, as a framework may write it (either piece first).

    ``a theta + k + ReLU(d theta)`` and ``b theta + k + ReLU(-d theta)``: both are the
    same function; under ReLU'(0) in {0, 1/2, 1} they report a, b or (a + b)/2.
    """
    return [(SLOPE, OFFSET, [(1, SPREAD)]), (SLOPE + SPREAD, OFFSET, [(1, -SPREAD)])]


def _witness(excess, sign, symbols):
    """An exact point where a ray excess is negative (it was not certified nonnegative), or None."""
    import itertools
    grid = [sp.Integer(v) for v in (1, 0, -1, 2, -2)]
    for values in itertools.product(grid, repeat=len(symbols)):
        point = dict(zip(symbols, values))
        if any(point[x] < 0 for x in symbols if x.is_nonnegative) or any(point[x] <= 0 for x in symbols if x.is_positive):
            continue
        value = excess.xreplace(point)
        if value.is_number and value < 0:
            return {sp.Symbol("t"): sign * point.get(RAY, 1), **point}, value
    return None


def _kink_lemma(programs, nonnegative) -> Verdict:
    """Each program's reported derivative at 0 is a subgradient there (every convention), and means keep that.

    Per loss, symbolically: on each ray t = +-s the excess L(t) - L(0) - r t, over s,
    must be a polynomial in the nonnegative symbols with nonnegative coefficients.
    Then, for a symbolic number N of losses, C(t) - C(0) - g t with g the mean of the
    reported values equals the mean of the per-loss excesses (reduced in sufficient
    statistics), and a mean of nonnegative numbers is nonnegative.
    """
    theta = THETA
    for slope, offset, terms in programs:
        loss = relu_program(theta, slope, offset, terms)
        for convention in CONVENTIONS:
            reported = reported_derivative(slope, terms, RELU_PRIME[convention])
            for sign, excess in zip((1, -1), ray_excesses(loss, theta, reported, RAY)):
                if nonnegative_by_coefficients(excess, nonnegative):
                    continue
                symbols = sorted(excess.free_symbols | {RAY}, key=str)
                found = _witness(excess * RAY, sign, symbols)
                if found is None:
                    raise ArithmeticError(f"no certificate and no witness for {loss} (convention {convention!r})")
                point, gap = found
                return Verdict(False, f"exact: the subgradient inequality fails for {loss}, ReLU'(0) = "
                                      f"{RELU_PRIME[convention]}, at t = {point[sp.Symbol('t')]}",
                               witness=point, gap=(gap,), evidence="proof")
    i, n = sp.symbols("i N", integer=True, positive=True)
    at_t, at_0, r = sp.IndexedBase("L_t"), sp.IndexedBase("L_0"), sp.IndexedBase("r")
    t = sp.Symbol("t", real=True)
    mean = lambda e: sp.Sum(e, (i, 1, n)) / n  # noqa: E731
    gap, _ = as_statistics(mean(at_t[i]) - mean(at_0[i]) - mean(r[i]) * t - mean(at_t[i] - at_0[i] - r[i] * t))
    if sp.expand(gap) != 0:
        raise ArithmeticError(f"the mean of the excesses is not the excess of the mean: {gap}")
    return Verdict(True, "symbolic: on both rays each loss's excess over |t| is a polynomial with nonnegative "
                         "coefficients in d >= 0 (a, k cancel), for ReLU'(0) in {0, 1/2, 1} and both ways of writing "
                         "the max; the excess of the mean is the mean of the excesses for every N "
                         "(sufficient statistics)", evidence="proof")


def random_convex_losses(rng: random.Random, count: int) -> list[PiecewiseLinear]:
    """ReLU-like convex losses with a kink at 0 and random rational slopes, plus one smooth piece."""
    losses = []
    for _ in range(count):
        left, right = sorted(Fraction(rng.randint(-6, 6), rng.randint(1, 4)) for _ in range(2))
        losses.append(PiecewiseLinear((left, right), (0, 0)))
    losses.append(PiecewiseLinear((Fraction(rng.randint(-5, 5), 3),), (1,)))
    return losses


def _mean_of_autodiff(losses) -> Verdict | None:
    """At the kink, for every convention, test that the mean of reported derivatives is a subgradient of C."""
    for convention in CONVENTIONS:
        g = sum(autodiff_derivative(loss, KINK, convention) for loss in losses) / len(losses)
        violation = subgradient_violation(losses, KINK, g)
        if violation:
            t, gap = violation
            return Verdict(False, f"exact subgradient inequality fails (convention {convention!r})",
                           witness={sp.Symbol("t"): sp.Rational(t.numerator, t.denominator),
                                    sp.Symbol("g"): sp.Rational(g.numerator, g.denominator)},
                           gap=(sp.Rational(gap.numerator, gap.denominator),), evidence="proof")
    return None


def convex_instances():
    """The worked examples and twelve distinct random instances (one generator, so no instance repeats)."""
    rng = random.Random(4)
    chosen = [[relu(), relu(-1)], [relu(), relu(1, 0, 1), relu(-2)]]
    return chosen + [random_convex_losses(rng, k) for k in (2, 3, 4) for _ in range(4)]


def _kinks() -> Verdict:
    """The symbolic lemma, then the library's own conventions on the exact instances (they must agree with it)."""
    verdict = _kink_lemma(max_programs(), [SPREAD])
    if not verdict.holds:
        return verdict
    for losses in convex_instances():
        failed = _mean_of_autodiff(losses)
        if failed:
            raise ArithmeticError(f"the library's autodiff conventions contradict the proof: {failed}")
    return dataclasses.replace(verdict, method=verdict.method + f"; the library's autodiff conventions agree on "
                                                                 f"{len(convex_instances())} distinct exact instances")


register(
    Claim(
        id="population.kinks",
        statement=(
            r"Let each per-example loss be $L_i(\theta) = \max(a_i\theta, b_i\theta) + k_i$ ($a_i = b_i$ allowed), "
            r"written as $a_i\theta + k_i + \mathrm{ReLU}((b_i - a_i)\theta)$ or $b_i\theta + k_i + "
            r"\mathrm{ReLU}((a_i - b_i)\theta)$, with the chain rule and $\mathrm{ReLU}'(0) \in \{0, \frac12, 1\}$ "
            r"(each example its own). Then the mean $g$ of the reported derivatives at 0 is a subgradient of "
            r"$C = \frac{1}{N}\sum_i L_i$ at 0, $C(t) \ge C(0) + g\,t$ for every real $t$, for every $N$."
        ),
        check=_kinks,
        control="a convex function written as another program: ReLU(theta) - ReLU(-theta) = theta",
        control_check=lambda: _kink_lemma([(0, 0, [(1, 1), (-1, -1)])], []),
        evidence="proof",
        scope="every N, every a_i, b_i, k_i, each example's convention ReLU'(0) in {0, 1/2, 1} and either way "
              "of writing its max; symbolic",
    )
)

# --- exercises: the claims behind the page's answer boxes ----------------------

from gradavg.checks.answers import exercise_claim  # noqa: E402
from gradavg.engine.claims import Answer  # noqa: E402
from gradavg.engine.gradients import difference_quotient, limit_at_zero  # noqa: E402


def risk_derivative_by_definition(loss: sp.Expr, density: sp.Expr, support, theta: sp.Expr) -> sp.Expr:
    """dR/dtheta at ``theta``: R integrated against the density, then the limit of its difference quotient.

    Never the derivative of the loss: this is the route that is right where the two routes differ.

    Example:
        >>> risk_derivative_by_definition(sp.Piecewise((1, X < THETA), (0, True)), sp.Integer(1), (0, 1),
        ...                               sp.Rational(1, 3))
        1
    """
    risk = sp.integrate(loss * density, (X, *support)).rewrite(sp.Piecewise)  # Min/Max have no series: limits need pieces
    return limit_at_zero(difference_quotient(risk, THETA).xreplace({THETA: theta}))


_RISK = "theta, mu, s"
register(exercise_claim(
    "population.exercise-exponential-risk",
    r"For $x \sim \mathcal{N}(\mu, s^2)$ and $L(\theta, x) = e^{\theta x}$, "
    r"$R'(\theta) = (\mu + \theta s^2)\, e^{\theta\mu + \theta^2 s^2/2}$",
    answer=Answer("(mu + theta*s**2)*exp(theta*mu + theta**2*s**2/2)", _RISK, "dR/dtheta =", positive="s"),
    wrong=Answer("mu*exp(theta*mu + theta**2*s**2/2)", _RISK, "dR/dtheta =", positive="s"),
    truth=lambda s: risk_derivative_by_definition(sp.exp(THETA * X), normal_density(X, MU, STD), (-sp.oo, sp.oo),
                                                  THETA).xreplace({THETA: s["theta"], MU: s["mu"], STD: s["s"]}),
    control="E[x] R(theta), the mean of x times the risk (as if x and exp(theta x) were uncorrelated)",
    scope="every real theta and mu and every s > 0 (the answer, a function of s^2, is compared at every real s); "
          "the truth is the risk integrated against the normal density and differentiated from its definition",
))

register(exercise_claim(
    "population.exercise-zero-one-risk",
    r"For $L(\theta, x) = [x < \theta]$ and $x$ uniform on $(0, 1)$, $R'(\frac13) = 1$",
    answer=Answer("1", "", "dR/dtheta at 1/3 ="),
    wrong=Answer("0", "", "dR/dtheta at 1/3 ="),
    truth=lambda s: risk_derivative_by_definition(sp.Piecewise((1, X < THETA), (0, True)), sp.Integer(1), (0, 1),
                                                  sp.Rational(1, 3)),
    control="0, the mean of the per-example derivatives (zero wherever they exist): the swap taken for granted",
    scope="theta = 1/3; the truth is the risk integrated against the uniform density and differentiated from its "
          "definition",
))
