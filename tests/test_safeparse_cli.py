"""The safe parser refuses everything outside its grammar, fast; the check command's exit statuses."""

import io
import subprocess
import sys
import time

import pytest
import sympy as sp

from gradavg.checks.text_check import run_check
from gradavg.engine.claims import Verdict
from gradavg.cli import main
from gradavg.checks.safeparse import UnsafeExpression, parse_expression, parse_names

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


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    return run_check(*args, out=out, err=err), out.getvalue(), err.getvalue()


def test_check_exit_0_on_losses_the_pages_do_not_use():
    status, out, _ = _run("exp(w*x + b) - y*(w*x + b)", "w,b", "x,y", 3)  # Poisson regression
    assert status == 0 and "holds" in out and "not a proof" in out
    status, out, _ = _run("(w*x - y)**2 / (1 + w**2)", "w", "x,y", 2)  # orthogonal distance
    assert status == 0 and "symbolic" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (("w.real", "w", "x", 2), "attribute"),
        (("w*x", "w", "x", 1), "at least 2"),
        (("w*x", "w,b", "x", 2), "do not appear"),
        (("w*x", "w", "w,x", 2), "both"),
        (("sqrt(-1 - w**2)", "w", "", 2), "not differentiable"),
    ],
)
def test_check_exit_2_on_bad_input(args, words):
    status, out, err = _run(*args)
    assert status == 2 and words in err and out == ""


def test_check_exit_1_prints_the_witness(monkeypatch):
    failed = Verdict(False, "test", witness={w: sp.Rational(1, 2)}, gap=(sp.Rational(3, 4),))
    monkeypatch.setattr("gradavg.checks.text_check.check_gradient_of_mean", lambda *args, **kwargs: failed)
    status, out, _ = _run("w**2", "w", "", 2)
    assert status == 1 and "witness: w = 1/2" in out and "gap: 3/4" in out


def test_main_dispatches_check_and_keeps_ledger(capsys):
    assert main(["check", "(w - x)**2", "--params", "w", "--data", "x", "--n", "2"]) == 0
    assert "holds" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "w", "--params", "w", "--n", "two"])
    assert exit_info.value.code == 2


def test_the_command_line_refuses_fast_in_a_subprocess():
    command = [sys.executable, "-m", "gradavg", "check", "().__class__.__bases__[0]", "--params", "w"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "not allowed" in run.stderr
