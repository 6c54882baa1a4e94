"""Tests of gradavg.checks.check on plain symbols: its public API and every refusal's full message (the rest, on real symbols, in test_check.py)."""

import pytest
import sympy as sp

from gradavg import Verdict, check_batch_cost, check_gradient_of_mean
from gradavg.checks.check import check_batch_cost as c
from gradavg.checks.check import check_cost_against_parts as p
from gradavg.checks.check import check_gradient_of_mean as g

w, b, x, y, c_, d = sp.symbols("w b x y c d")

POISSON = sp.exp(w * x + b) - y * (w * x + b)  # Poisson regression, negative log-likelihood up to a constant

CAUCHY = sp.log(1 + (w * x + b - y) ** 2)  # Cauchy (Lorentzian) loss

RATIONAL = (w * x - y) ** 2 / (1 + w**2)  # squared orthogonal distance to the line y = w x


def _reproduces(verdict: Verdict) -> bool:
    return all(sp.simplify(r.xreplace(verdict.witness) - g) == 0 for r, g in zip(verdict.residual, verdict.gap))


def test_a_rational_loss_is_proved_symbolically():
    verdict = check_gradient_of_mean(RATIONAL, [w], [x, y], n=3)
    assert verdict.holds and verdict.method.startswith("symbolic")
    assert verdict.witness is None and verdict.gap is None


@pytest.mark.parametrize("loss", [POISSON, CAUCHY], ids=["poisson", "cauchy"])
def test_a_transcendental_loss_holds_at_points_and_says_so(loss):
    verdict = check_gradient_of_mean(loss, [w, b], [x, y], n=3)
    assert verdict.holds and "not a proof" in verdict.method


def test_a_kinked_loss_skips_kinks_and_holds():
    hinge_squared = sp.Max(0, 1 - y * w * x) ** 2
    assert check_gradient_of_mean(hinge_squared, [w], [x, y]).holds


def test_a_product_cost_fails_with_a_witness_that_reproduces_the_gap():
    verdict = check_batch_cost(lambda batch: sp.Mul(*[POISSON.xreplace(e) for e in batch]), POISSON, [w, b], [x, y], n=2)
    assert not verdict.holds
    assert all(sp.sympify(v).is_Rational for v in verdict.witness.values())
    assert set(verdict.witness) >= {w, b}
    assert any(g != 0 for g in verdict.gap) and _reproduces(verdict)


def test_a_rational_product_cost_fails_exactly():
    verdict = check_batch_cost(lambda batch: sp.Mul(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    assert not verdict.holds and all(g.is_Rational for g in verdict.gap) and _reproduces(verdict)


def test_a_logsumexp_cost_fails_without_ties():
    def softmax_cost(batch):
        return sp.log(sp.Add(*[sp.exp(CAUCHY.xreplace(e)) for e in batch]))

    verdict = check_batch_cost(softmax_cost, CAUCHY, [w, b], [x, y], n=3)
    assert not verdict.holds and _reproduces(verdict)


def test_the_mean_as_a_batch_cost_holds():
    verdict = check_batch_cost(lambda batch: sp.Add(*[RATIONAL.xreplace(e) for e in batch]) / len(batch),
                               RATIONAL, [w], [x, y])
    assert verdict.holds and verdict.method.startswith("symbolic")


def test_verdicts_are_reproducible():
    first = check_batch_cost(lambda batch: sp.Max(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    second = check_batch_cost(lambda batch: sp.Max(*[RATIONAL.xreplace(e) for e in batch]), RATIONAL, [w], [x, y], n=2)
    assert (first.witness, first.gap, first.method) == (second.witness, second.gap, second.method)
    assert not first.holds


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: check_gradient_of_mean(POISSON, [w, b, sp.Symbol("c")], [x, y]), ValueError, "do not appear"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y, w]), ValueError, "both params and data"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y], n=1), ValueError, "at least 2"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y], n=2.0), TypeError, "integer"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x]), ValueError, "neither in params nor in data"),
        (lambda: check_gradient_of_mean("w*x", [w], [x]), TypeError, "SymPy expression"),
        (lambda: check_gradient_of_mean(POISSON, "w b", [x, y]), TypeError, "list of SymPy symbols"),
        (lambda: check_gradient_of_mean(POISSON, [w, b], [x, y, y]), ValueError, "twice"),
        (lambda: check_gradient_of_mean(sp.Function("f")(w, x), [w], [x]), ValueError, "cannot be evaluated"),
        (lambda: check_gradient_of_mean(sp.sqrt(-1 - w**2 - x**2), [w], [x]), ValueError, "not differentiable"),
        (lambda: check_batch_cost(lambda batch: 1.0, POISSON, [w, b], [x, y]), TypeError, "must return a SymPy"),
        (lambda: check_batch_cost(42, POISSON, [w, b], [x, y]), TypeError, "callable"),
        (lambda: check_batch_cost(lambda batch: POISSON, POISSON, [w, b], [x, y]), ValueError, "batch\\[i\\]"),
    ],
)
def test_bad_input_says_what_to_fix(call, error, words):
    with pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("case, call, error, message", [
    ("missing two params", lambda: g(w * x, [w, c_, d], [x]),
     ValueError, 'parameter(s) c, d do not appear in the loss: remove them from params'),
    ("both", lambda: g(w * x, [w, x], [x, y]),
     ValueError, 'x appear in both params and data: a symbol is either a parameter or a field'),
    ("unknown", lambda: g(w * x * c_ * d, [w], [x]),
     ValueError, 'the loss uses c, d, which are neither in params nor in data: add them to one of the two, or substitute numbers for them'),
    ("n=1", lambda: g(w * x, [w], [x], n=1),
     ValueError, 'n must be at least 2 (a mean over one example checks nothing), got 1'),
    ("n=65", lambda: g(w * x, [w], [x], n=65),
     ValueError, 'n must be at most 64, got 65: the identity does not get truer with size'),
    ("n=True", lambda: g(w * x, [w], [x], n=True),
     TypeError, 'n must be an integer number of examples, got True'),
    ("empty params", lambda: g(w * x, [], [x]),
     ValueError, 'params is empty: name at least one parameter to take the gradient in'),
    ("str params", lambda: g(w * x, "w", [x]),
     TypeError, "params must be a list of SymPy symbols such as sympy.symbols('w b'), got 'w'"),
    ("non-symbol", lambda: g(w * x, [w, 2], [x]),
     TypeError, 'params must contain SymPy symbols only; 2 is a int'),
    ("twice", lambda: g(w * x, [w], [x, x]),
     ValueError, "data lists a symbol twice: ['x', 'x']"),
    ("loss str", lambda: g("w", [w], [x]),
     TypeError, "loss must be a SymPy expression in the parameter and data symbols, got str; for example (w*x + b - y)**2 with w, b, x, y = sympy.symbols('w b x y')"),
    ("zoo", lambda: g(w * sp.zoo, [w], [x]),
     ValueError, 'the loss contains an infinity or nan (zoo*w): remove the division by zero'),
    ("undef", lambda: g(sp.Function("f")(w) + sp.Function("h")(w), [w], [x]),
     ValueError, 'the loss contains f(w), h(w), which cannot be evaluated at a point: write the loss with concrete functions (exp, log, tanh, ...)'),
    ("clash", lambda: g(sp.Symbol("x_1") * x, [sp.Symbol("x_1")], [x]),
     ValueError, "parameter name(s) x_1 clash with the examples' copies of the data: rename them"),
    ("not callable", lambda: c(3, w * x, [w], [x], n=3),
     TypeError, 'cost must be a callable taking the batch (a list of 3 mappings), got int'),
    ("returns float", lambda: c(lambda batch: 1.5, w * x, [w], [x]),
     TypeError, "cost must return a SymPy expression, got float: build it from the batch's symbols with SymPy operations (sympy.Add, sympy.Mul, sympy.Max, ...)"),
    ("stray", lambda: c(lambda batch: w * x * c_ * d, w * x, [w], [x]),
     ValueError, "the cost uses c, d, x, which are neither parameters nor the batch's own symbols: read each example's fields as batch[i][symbol]"),
    ("nowhere", lambda: g(sp.sqrt(-1 - w**2), [w], [], n=2),
     ValueError, "the mean of 2 losses is not differentiable (or not real, or not defined) at any of the 60 random rational points tried: check the loss's domain (log of a negative number, a kink everywhere, a division by zero)"),
    ("parts type", lambda: p(w, [], [w]),
     TypeError, 'cost must be a SymPy expression and parts a non-empty list of SymPy expressions'),
    ("parts no param", lambda: p(x + y, [x, y], [w, b]),
     ValueError, 'the cost does not depend on any of the parameters b, w'),
    ("parts params", lambda: p(w, [w], "w"),
     TypeError, "params must be a list of SymPy symbols such as sympy.symbols('w b'), got 'w'"),
    ("parts undefined", lambda: p(sp.Function("f")(w), [w], [w]),
     ValueError, 'the cost contains f(w), which cannot be evaluated at a point: write the loss with concrete functions (exp, log, tanh, ...)'),
    ("cost undefined", lambda: c(lambda batch: sp.Function("f")(w), w * x, [w], [x]),
     ValueError, 'the cost contains f(w), which cannot be evaluated at a point: write the loss with concrete functions (exp, log, tanh, ...)'),
    ("cost nowhere", lambda: p(sp.sqrt(-1 - w**2), [w], [w]),
     ValueError, "the cost is not differentiable (or not real, or not defined) at any of the 60 random rational points tried: check the loss's domain (log of a negative number, a kink everywhere, a division by zero)"),
    ("batch cost nowhere", lambda: c(lambda batch: sp.sqrt(-1 - w**2), w, [w], [x], n=2),
     ValueError, "the batch cost is not differentiable (or not real, or not defined) at any of the 60 random rational points tried: check the loss's domain (log of a negative number, a kink everywhere, a division by zero)"),
    ("clash", lambda: g(sp.Symbol("x_1") * sp.Symbol("x_2") * x, [sp.Symbol("x_1"), sp.Symbol("x_2")], [x]),
     ValueError, "parameter name(s) x_1, x_2 clash with the examples' copies of the data: rename them"),
    ("infinite loss", lambda: g(w + sp.oo * x, [w], [x]),
     ValueError, "the loss contains an infinity or nan (w + oo*x): remove the division by zero"),
    ("nan cost", lambda: c(lambda batch: sp.nan, w * x, [w], [x]),
     ValueError, "the cost contains an infinity or nan (nan): remove the division by zero"),
    ("-oo cost", lambda: p(w - sp.oo * x, [w], [w]),
     ValueError, "the cost contains an infinity or nan (w - oo*x): remove the division by zero"),
    ("derivative", lambda: g(w * x + sp.Derivative(w**2, w, evaluate=False), [w], [x]),
     ValueError, "the loss contains Derivative(w**2, w), which cannot be evaluated at a point: write the loss with concrete functions (exp, log, tanh, ...)"),
    ("integral", lambda: g(w * x + sp.Integral(w * y, (y, 0, 1)), [w], [x]),
     ValueError, "the loss contains Integral(w*y, (y, 0, 1)), which cannot be evaluated at a point: write the loss with concrete functions (exp, log, tanh, ...)"),
    ("floor loss", lambda: g(sp.floor(w * x), [w], [x]),
     ValueError, "the loss contains floor, which the check does not support: a piecewise-constant function has "
                 "derivative 0 wherever it has one and none at its jumps, so there is no gradient to compare (SymPy "
                 "leaves its derivative unevaluated); use a smooth surrogate such as sigmoid"),
    ("step cost", lambda: c(lambda batch: sp.ceiling(w) + sp.sign(w) * batch[0][x], w * x, [w], [x]),
     ValueError, "the cost contains ceiling, sign, which the check does not support: a piecewise-constant function "
                 "has derivative 0 wherever it has one and none at its jumps, so there is no gradient to compare "
                 "(SymPy leaves its derivative unevaluated); use a smooth surrogate such as sigmoid"),
    ("set params", lambda: g(w * x, {w}, [x]),
     TypeError, "params must be a list of SymPy symbols such as sympy.symbols('w b'), got {w}"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 20 else "")
def test_refusals_give_the_full_message(case, call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert type(raised.value) is error and str(raised.value) == message
