"""Tests of gradavg.checks.text_check: a loss and a batch cost typed as text, their verdicts and exit statuses."""

import io
import json
import subprocess
import sys

import pytest
import sympy as sp

from gradavg.checks.check import check_batch_cost
from gradavg.checks.safeparse import UnsafeExpression, parse_expression
from gradavg.checks.text_check import check_text, run_check
from gradavg.engine.claims import Verdict

w, b, x, y = sp.symbols("w b x y", real=True)

SQUARE = "(w*x + b - y)**2"

KEYS = {"status", "holds", "method", "evidence", "seconds", "witness", "gap", "residual", "message"}


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    return run_check(*args, out=out, err=err), out.getvalue(), err.getvalue()


def test_json_on_bad_input_is_still_json_with_the_message():
    out, err = io.StringIO(), io.StringIO()
    assert run_check("w.real", "w", "", 2, out=out, err=err, as_json=True) == 2
    verdict = json.loads(out.getvalue())
    assert verdict["status"] == 2 and verdict["holds"] is None and "attribute" in verdict["message"]
    assert err.getvalue() == ""


def test_check_text_gives_the_same_keys_for_every_status():
    held = check_text("(w - x)**2", "w", "x", 2)
    failed = check_text("(w - x)**2", "w", "x", 2, cost="prod(L)")
    bad = check_text("(w - x)**2", "w", "x", 1)
    assert (held["status"], failed["status"], bad["status"]) == (0, 1, 2)
    assert set(held) == set(failed) == set(bad) >= KEYS
    assert held["residual"] == ["0"] and held["witness"] is None and held["message"] is None
    assert "at least 2" in bad["message"] and bad["holds"] is None
    for verdict in (held, failed, bad):
        assert json.loads(json.dumps(verdict)) == verdict


def test_check_text_imports_and_runs_without_fork_or_resource():
    code = ("import sys; sys.modules['multiprocessing'] = None; sys.modules['resource'] = None\n"
            "from gradavg.checks.text_check import check_text\n"
            "print(check_text('(w*x - y)**2', 'w', 'x,y', 2, cost='max(L)')['status'])")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "1", run.stderr


@pytest.mark.parametrize("cost, status", [
    ("mean(L)", 0),
    ("sum(L)/4", 0),
    ("(L_1 + L_2 + L_3 + L_4)/4", 0),
    ("mean(L + 0*x)", 0),
    ("prod(L)", 1),
    ("max(L)", 1),
    ("min(L)", 1),
    ("mean(L)**2", 1),
    ("sum(L)", 1),
    ("-mean(L)", 1),
    ("mean((L - mean(L))**2)", 1),
    ("mean((w*(x - mean(x))/sqrt(mean((x - mean(x))**2) + 1) + b - y)**2)", 1),  # batch-normalised input
    ("mean(L/sum(L))", 1),
])
def test_batch_costs_typed_as_text(cost, status):
    verdict = check_text(SQUARE, "w,b", "x,y", 4, cost=cost)
    assert verdict["status"] == status, verdict
    if status == 1:
        assert verdict["witness"] and any(g != "0" for g in verdict["gap"])


def test_a_cost_as_text_gives_the_verdict_of_the_same_cost_in_python():
    w, b, x, y = sp.symbols("w b x y", real=True)
    loss = (w * x + b - y) ** 2
    python = check_batch_cost(lambda batch: sp.Mul(*[loss.xreplace(e) for e in batch]) ** 2 / 3, loss, [w, b],
                              [x, y], n=3)
    text = check_text(SQUARE, "w,b", "x,y", 3, cost="prod(L)**2/3")
    assert text["witness"] == {str(k): str(v) for k, v in python.witness.items()}
    assert text["gap"] == [str(g) for g in python.gap] and text["method"] == python.method


@pytest.mark.parametrize("cost, words", [
    ("L", "one entry per example"),
    ("L_1 + x", "one entry per example"),
    ("L_17", "unknown name 'L_17'"),
    ("z_1 * L_1", "unknown name 'z_1'"),
    ("mean(L, L)", "'mean' is not allowed"),
    ("mean(L).real", "attribute"),
    ("mean(mean(mean(mean(L))))", "more than 20000"),
    ("", "the cost is empty"),
])
def test_bad_costs_are_refused_with_a_reason(cost, words):
    verdict = check_text(SQUARE, "w,b", "x,y", 16, cost=cost)
    assert verdict["status"] == 2 and words in verdict["message"], verdict


def test_names_reserved_for_the_losses_and_aggregates():
    assert "name the losses" in check_text("(w - L)**2", "w", "L", 2, cost="mean(L)")["message"]
    assert "function or constant" in check_text("(w - x)**2", "w", "sum", 2)["message"]
    assert "belongs in a batch cost" in check_text("mean(w)", "w", "", 2)["message"]
    with pytest.raises(UnsafeExpression, match="belongs in a batch cost"):
        parse_expression("max(w)", {"w": sp.Symbol("w")})


def test_a_stopped_check_in_json_has_status_3():
    out = io.StringIO()
    assert run_check("exp(exp(exp(w*x)))", "w", "x", 64, out=out, timeout=0.5, as_json=True) == 3
    verdict = json.loads(out.getvalue())
    assert verdict["status"] == 3 and verdict["holds"] is None and verdict["seconds"] == 0.5
    assert verdict["message"].startswith("stopped undecided after 0.5 s")


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
