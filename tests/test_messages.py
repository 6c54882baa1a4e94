"""Every refusal of the public checks says exactly what is wrong and what to do (full messages)."""

import pytest
import sympy as sp

from gradavg.checks.check import check_batch_cost as c
from gradavg.checks.check import check_cost_against_parts as p
from gradavg.checks.check import check_gradient_of_mean as g

w, b, x, y, c_, d = sp.symbols("w b x y c d")


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
