"""`gradavg check` as people type it: a loss starting with '-', --json, --cost, --timeout, exit statuses."""

import io
import json
import os
import subprocess
import sys
import time

import pytest
import sympy as sp

from gradavg.checks.budget import BudgetExceeded, run_with_budget
from gradavg.checks.check import check_batch_cost, check_gradient_of_mean
from gradavg.checks.text_check import check_text, run_check
from gradavg.cli import _loss_as_written, main
from gradavg.checks.safeparse import UnsafeExpression, parse_cost, parse_expression

CROSS_ENTROPY = "-y*log(sigmoid(w*x+b))-(1-y)*log(1-sigmoid(w*x+b))"
SQUARE = "(w*x + b - y)**2"
KEYS = {"status", "holds", "method", "evidence", "seconds", "witness", "gap", "residual", "message"}


def _gradavg(*args, timeout=120):
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "gradavg", *args], capture_output=True, text=True, timeout=timeout)
    return run, time.perf_counter() - start


# --- a loss that starts with '-' ---------------------------------------------------------------------


def test_cross_entropy_works_as_written_in_a_real_shell_command():
    run, _ = _gradavg("check", CROSS_ENTROPY, "--params", "w,b", "--data", "x,y")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("loss: -y*log(") and "holds" in run.stdout


@pytest.mark.parametrize("spelling", [
    ["check", CROSS_ENTROPY, "--params", "w,b", "--data", "x,y"],
    ["check", "--params", "w,b", "--data", "x,y", CROSS_ENTROPY],
    ["check", "--loss", CROSS_ENTROPY, "--params", "w,b", "--data", "x,y"],
    ["check", f"--loss={CROSS_ENTROPY}", "--params", "w,b", "--data", "x,y"],
    ["check", "--params", "w,b", "--data", "x,y", "--", CROSS_ENTROPY],
])
def test_every_spelling_of_a_leading_minus_gives_the_same_verdict(spelling, capsys):
    assert main(spelling[:1] + ["--n", "2", "--timeout", "120"] + spelling[1:]) == 0
    assert "loss: -y*log(1/(exp(-b - w*x) + 1))" in capsys.readouterr().out


def test_the_rewriting_of_arguments_joins_values_and_leaves_options_alone():
    assert _loss_as_written(["check", "-w", "--n", "-3", "--json", "-h"]) == ["check", "--loss=-w", "--n=-3", "--json", "-h"]
    assert _loss_as_written(["check", "--cost=-L_1", "--", "-w"]) == ["check", "--cost=-L_1", "--", "-w"]
    assert _loss_as_written(["check", "w", "--params", "w"]) == ["check", "w", "--params", "w"]


def test_a_loss_given_twice_or_not_at_all_is_bad_input(capsys):
    for argv in (["check", "w**2", "--loss", "w**2", "--params", "w"], ["check", "--params", "w"]):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2 and "give the loss once" in capsys.readouterr().err


def test_help_shows_cross_entropy_the_exit_statuses_and_the_cost_syntax(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "--help"])
    text = capsys.readouterr().out
    assert stop.value.code == 0
    assert CROSS_ENTROPY in text
    for status in ("0  the identity holds", "1  it fails", "2  bad input", "3  stopped undecided"):
        assert status in text
    for word in ("--cost", "L_1", "prod(E)", "mean(L)**2", "--timeout", "--json"):
        assert word in text


# --- --json ------------------------------------------------------------------------------------------


def test_json_prints_the_verdict_with_exact_numbers_as_strings():
    run, _ = _gradavg("check", "(w*x - y)**2", "--params", "w", "--data", "x,y", "--n", "2",
                      "--cost", "prod(L)", "--json")
    verdict = json.loads(run.stdout)
    assert run.returncode == 1 == verdict["status"] and verdict["holds"] is False and run.stderr == ""
    assert KEYS <= set(verdict) and isinstance(verdict["seconds"], float)
    assert all(isinstance(v, str) for v in verdict["witness"].values())
    point = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in verdict["witness"].items()}
    residual = [sp.sympify(r, locals={k.name: k for k in point}) for r in verdict["residual"]]
    assert [str(r.xreplace(point)) for r in residual] == verdict["gap"]
    assert verdict["gap"] != ["0"]


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


# --- --cost ------------------------------------------------------------------------------------------


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


def test_a_cost_starting_with_minus_works_on_the_command_line(capsys):
    assert main(["check", SQUARE, "--params", "w,b", "--data", "x,y", "--cost", "-mean(L)", "--n", "2"]) == 1
    out = capsys.readouterr().out
    assert "cost: -(b + w*x_1 - y_1)**2/2 - (b + w*x_2 - y_2)**2/2" in out and "witness:" in out


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


# --- time budgets ------------------------------------------------------------------------------------


def test_a_slow_check_stops_at_its_budget_with_exit_3_and_one_line():
    run, seconds = _gradavg("check", "exp(exp(exp(w*x)))", "--params", "w", "--data", "x", "--n", "64",
                            "--timeout", "2")
    assert run.returncode == 3 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines == ["stopped undecided after 2 s (the time budget): try fewer examples (--n 2), a simpler loss or "
                     "cost, or a larger --timeout"]
    assert seconds < 20  # interpreter start-up (loaded machine) + 2 s budget; the child is killed, not awaited


def test_a_stopped_check_in_json_has_status_3():
    out = io.StringIO()
    assert run_check("exp(exp(exp(w*x)))", "w", "x", 64, out=out, timeout=0.5, as_json=True) == 3
    verdict = json.loads(out.getvalue())
    assert verdict["status"] == 3 and verdict["holds"] is None and verdict["seconds"] == 0.5
    assert verdict["message"].startswith("stopped undecided after 0.5 s")


def test_timeout_must_be_positive(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "w**2", "--params", "w", "--timeout", "0"])
    assert stop.value.code == 2 and "positive" in capsys.readouterr().err
    with pytest.raises(ValueError, match="positive"):
        run_with_budget(lambda: 1, seconds=-1)


def test_the_public_checks_take_a_timeout():
    w, x = sp.symbols("w x")
    start = time.perf_counter()
    with pytest.raises(BudgetExceeded, match="after 0.5 s"):
        check_gradient_of_mean(sp.exp(sp.exp(sp.exp(w * x))), [w], [x], n=64, timeout=0.5)
    assert time.perf_counter() - start < 10
    within = check_gradient_of_mean((w * x) ** 2, [w], [x], n=3, timeout=60)
    assert within.holds and within.method == check_gradient_of_mean((w * x) ** 2, [w], [x], n=3).method
    failed = check_batch_cost(lambda batch: sp.Mul(*[(w - e[x]) ** 2 for e in batch]), (w - x) ** 2, [w], [x],
                              n=2, timeout=60)
    assert not failed.holds and failed.gap != (0,)
    with pytest.raises(ValueError, match="at least 2"):  # errors of the check come back as themselves
        check_gradient_of_mean((w * x) ** 2, [w], [x], n=1, timeout=60)


def test_the_budget_bounds_memory_and_passes_errors_back():
    with pytest.raises(BudgetExceeded, match="more memory than its budget"):
        run_with_budget(lambda: bytearray(8 * 1024**3), seconds=60, memory=256 * 1024**2)
    with pytest.raises(ZeroDivisionError):
        run_with_budget(lambda: 1 / 0, seconds=60)
    assert run_with_budget(lambda: sp.Rational(1, 3), seconds=60) == sp.Rational(1, 3)


@pytest.mark.parametrize("command", [["check", "(w*x - y)**2", "--params", "w", "--data", "x,y"],
                                     ["check", "(w*x - y)**2", "--params", "w", "--data", "x,y", "--json"]])
def test_a_reader_that_closes_the_pipe_ends_the_command_quietly(command):
    # as `gradavg check ... | head -0` does, deterministically: the pipe's read end is closed before the command starts
    read, write = os.pipe()
    os.close(read)
    child = subprocess.run([sys.executable, "-m", "gradavg", *command], stdout=write, stderr=subprocess.PIPE,
                           text=True, timeout=120)
    os.close(write)
    assert (child.returncode, child.stderr) == (141, "")
