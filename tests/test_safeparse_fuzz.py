"""Fuzzing the safe parser with Hypothesis: random text and random syntax trees.

Whatever comes in: no traceback (only UnsafeExpression, with a message), no code
executed (eval and exec are never called, the canary file is never written), and
through the command line always exit 2 or a verdict within the time budget.
"""

import builtins
import io
import json
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradavg.checks.text_check import run_check
from gradavg.checks.safeparse import AGGREGATES, FUNCTIONS, UnsafeExpression, parse_cost, parse_expression

w, x, y = sp.symbols("w x y", real=True)
SYMBOLS = {"w": w, "x": x, "y": y}
CANARY = "gradavg-fuzz-canary"
FUZZ = settings(max_examples=300, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])

# leaves: known names, unknown and dangerous names, numbers of every size, strings
LEAVES = st.sampled_from(["w", "x", "y", "L", "L_1", "x_2", "z", "pi", "E", "__import__", "os", "self", "exp",
                          "0", "1", "2", "0.5", "1e300", "10**6", "-3", "1j", "True", "None", "'os'",
                          f"open('{CANARY}', 'w')", "...", "[]", "{}", "()"])
CALLEES = sorted(FUNCTIONS) + sorted(AGGREGATES) + ["eval", "exec", "open", "getattr", "__import__", "print"]


def _trees(leaf):
    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "@", "&", "|", "<", "=="]),
                      inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(CALLEES), st.lists(inner, min_size=0, max_size=3)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(inner, st.sampled_from(["__class__", "real", "system", "__globals__"])).map(
                lambda t: f"{t[0]}.{t[1]}"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            inner.map(lambda t: f"lambda: {t}"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
            inner.map(lambda t: f"exp(x={t})"),
            inner.map(lambda t: f"max(*{t})"),
        )

    return st.recursive(leaf, extend, max_leaves=12)


TREES = _trees(LEAVES)
# trees the grammar accepts (numbers, names, + - * / **, allowed calls): these reach the check itself
ACCEPTED = st.recursive(
    st.sampled_from(["w", "x", "y", "1", "2", "0.5", "pi"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(inner, st.sampled_from(["2", "-1", "3", "1/2"])).map(lambda t: f"({t[0]})**{t[1]}"),
        st.tuples(st.sampled_from(["exp", "log", "tanh", "sigmoid", "softplus", "sqrt", "Abs", "atan"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"Max({t[0]}, {t[1]})"),
    ),
    max_leaves=6,
)


@contextmanager
def _nothing_executed():
    real_eval, real_exec = builtins.eval, builtins.exec

    def guard(real):
        def refuse(source, *args, **kwargs):
            # the import system execs the code of module files; text or code compiled from text is refused
            if isinstance(source, (str, bytes)) or getattr(source, "co_filename", "<string>").startswith("<"):
                raise AssertionError(f"eval or exec was called on {source!r}")
            return real(source, *args, **kwargs)

        return refuse

    with mock.patch.object(builtins, "eval", guard(real_eval)), mock.patch.object(builtins, "exec", guard(real_exec)):
        yield
    assert not (Path.cwd() / CANARY).exists()


def _parse_safely(text, parse):
    start = time.perf_counter()
    try:
        result = parse(text)
    except UnsafeExpression as refused:
        assert str(refused) and "\n" not in str(refused)
        result = None
    assert time.perf_counter() - start < 5
    if result is not None:
        assert isinstance(result, sp.Expr)
        assert result.free_symbols <= {w, x, y, *sp.symbols("L_1 L_2 x_1 x_2", real=True)}
    return result


@FUZZ
@given(text=st.text(max_size=120))
def test_random_text_is_parsed_or_refused_never_run(text):
    with _nothing_executed():
        _parse_safely(text, lambda t: parse_expression(t, SYMBOLS))


@FUZZ
@given(text=TREES)
def test_random_syntax_trees_are_parsed_or_refused_never_run(text):
    with _nothing_executed():
        _parse_safely(text, lambda t: parse_expression(t, SYMBOLS))


@FUZZ
@given(text=TREES)
def test_random_costs_are_parsed_or_refused_never_run(text):
    x1, x2, l1, l2 = sp.symbols("x_1 x_2 L_1 L_2", real=True)
    named = {"w": w, "L_1": l1, "L_2": l2, "x_1": x1, "x_2": x2}
    with _nothing_executed():
        _parse_safely(text, lambda t: parse_cost(t, named, {"L": [l1, l2], "x": [x1, x2]}))


@settings(max_examples=12, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(loss=st.one_of(ACCEPTED, TREES), cost=st.one_of(st.none(), st.sampled_from(["mean(L)", "prod(L)", "max(L)"])))
def test_the_command_line_gives_exit_2_or_a_verdict_within_the_budget(loss, cost):
    budget = 3
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    status = run_check(loss, "w", "x,y", 2, out=out, err=err, cost=cost, timeout=budget, as_json=True)
    assert time.perf_counter() - start < budget + 5
    verdict = json.loads(out.getvalue())
    assert err.getvalue() == "" and verdict["status"] == status
    assert status in (0, 1, 2, 3)
    if status == 1:
        assert verdict["witness"] and verdict["gap"]
    if status >= 2:
        assert verdict["message"] and "Traceback" not in verdict["message"]
