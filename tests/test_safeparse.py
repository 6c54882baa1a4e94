"""Tests of gradavg.checks.safeparse: the safe parser builds the right SymPy and refuses everything outside its grammar, fast."""

import time

import pytest
import sympy as sp

from gradavg.checks.safeparse import UnsafeExpression, parse_cost, parse_expression, parse_names

w, b, x, y = sp.symbols("w b x y", real=True)

SYMBOLS = {"w": w, "b": b, "x": x, "y": y}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("(w*x + b - y)**2", (w * x + b - y) ** 2),
        ("-w + 0.5*x", -w + sp.Rational(1, 2) * x),
        ("sigmoid(w*x)", 1 / (1 + sp.exp(-w * x))),
        ("Max(0, 1 - y*w*x)**2", sp.Max(0, 1 - y * w * x) ** 2),
        ("sqrt(1 + w**2)**(1/2)", sp.sqrt(sp.sqrt(1 + w**2))),
        ("softplus(-y*w*x) + abs(b)", sp.log(1 + sp.exp(-y * w * x)) + sp.Abs(b)),
        ("w**-1 + pi", 1 / w + sp.pi),
    ],
)
def test_accepted_expressions_build_the_right_sympy(text, expected):
    assert parse_expression(text, SYMBOLS) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("w.__class__", "attribute"),
        ("__import__('os').system('true')", "attribute"),
        ("__import__('os')", "not allowed"),
        ("eval('1')", "not allowed"),
        ("lambda: w", "lambda"),
        ("import os", "not an arithmetic expression"),
        ("w if x else y", "conditional"),
        ("w[0]", "subscripts"),
        ("w < x", "comparisons"),
        ("z * w", "unknown name 'z'"),
        ("exp", "is a function"),
        ("exp(w, x)", "1 argument"),
        ("Max(w)", "at least 2"),
        ("exp(x=w)", "plain arguments"),
        ("'w'", "only numbers and names"),
        ("True * w", "only numbers and names"),
        ("1j * w", "only numbers and names"),
        ("9**9**9", "exponent must be a constant"),
        ("2**1000", "too large"),
        ("w**x", "exponent must be a constant"),
        ("((w**10)**10)**20", "nested"),
        ("10000000 * w", "too large"),
        ("1e300 * w", "too large"),
        ("w // x", "operator FloorDiv"),
        ("w % x", "operator Mod"),
        ("~w", "unary operator Invert"),
        ("(" * 300 + "w" + ")" * 300, "not an arithmetic expression|nested"),
        ("+".join(["w"] * 400), "syntax nodes"),
        ("w" * 2000, "characters long"),
        ("", "empty"),
    ],
)
def test_refused_expressions_say_why_within_a_second(text, words):
    start = time.perf_counter()
    with pytest.raises(UnsafeExpression, match=words):
        parse_expression(text, SYMBOLS)
    assert time.perf_counter() - start < 1.0


def test_names_are_checked():
    assert parse_names(" w , b ", "--params") == ["w", "b"]
    for bad, words in [("", "empty"), ("w,w", "twice"), ("w.x", "plain name"), ("exp", "function"),
                       ("lambda", "plain name"), ("_w", "plain name")]:
        with pytest.raises(UnsafeExpression, match=words):
            parse_names(bad, "--params")


def test_parse_cost_aggregates_nest_and_restore_the_enclosing_example():
    a1, a2 = sp.symbols("a_1 a_2")
    columns = {"a": [a1, a2]}
    assert sp.expand(parse_cost("sum(a*mean(a))", {}, columns) - (a1 + a2) ** 2 / 2) == 0
    assert sp.expand(parse_cost("sum(a*(mean(a) + a))", {}, columns)) == sp.expand(
        a1 * ((a1 + a2) / 2 + a1) + a2 * ((a1 + a2) / 2 + a2))
    assert parse_cost("max(a)", {}, columns) == sp.Max(a1, a2)
    assert parse_cost("min(a)", {}, columns) == sp.Min(a1, a2)
    assert parse_cost("prod(a)", {}, columns) == a1 * a2
    assert parse_cost("max(a_1, a_2)", {"a_1": a1, "a_2": a2}, columns) == sp.Max(a1, a2)
    with pytest.raises(ValueError, match="same length"):
        parse_cost("mean(a)", {}, {"a": [a1], "b": [a1, a2]})
