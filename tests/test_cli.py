"""Tests of gradavg.cli: `gradavg check` as people type it (a loss starting with '-', --json, --cost, --timeout, exit statuses) and `gradavg ledger`."""

import json
import os
import subprocess
import sys
import time

import pytest
import sympy as sp

from gradavg.checks.budget import run_with_budget
from gradavg.cli import _loss_as_written, main
from gradavg.engine.claims import Claim, Verdict
from test_text_check import KEYS, SQUARE

CROSS_ENTROPY = "-y*log(sigmoid(w*x+b))-(1-y)*log(1-sigmoid(w*x+b))"


def _gradavg(*args, timeout=120):
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "gradavg", *args], capture_output=True, text=True, timeout=timeout)
    return run, time.perf_counter() - start


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


def test_a_cost_starting_with_minus_works_on_the_command_line(capsys):
    assert main(["check", SQUARE, "--params", "w,b", "--data", "x,y", "--cost", "-mean(L)", "--n", "2"]) == 1
    out = capsys.readouterr().out
    assert "cost: -(b + w*x_1 - y_1)**2/2 - (b + w*x_2 - y_2)**2/2" in out and "witness:" in out


def test_a_slow_check_stops_at_its_budget_with_exit_3_and_one_line():
    run, seconds = _gradavg("check", "exp(exp(exp(w*x)))", "--params", "w", "--data", "x", "--n", "64",
                            "--timeout", "2")
    assert run.returncode == 3 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines == ["stopped undecided after 2 s (the time budget): try fewer examples (--n 2), a simpler loss or "
                     "cost, or a larger --timeout"]
    assert seconds < 20  # interpreter start-up (loaded machine) + 2 s budget; the child is killed, not awaited


def test_timeout_must_be_positive(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "w**2", "--params", "w", "--timeout", "0"])
    assert stop.value.code == 2 and "positive" in capsys.readouterr().err
    with pytest.raises(ValueError, match="positive"):
        run_with_budget(lambda: 1, seconds=-1)


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


def test_ledger_exits_1_when_a_claim_fails(monkeypatch, capsys):
    broken = Claim("zz.broken", "false", lambda: Verdict(False, "test"), "none", lambda: Verdict(False, "test"),
                   "proof", "all")
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [broken])
    assert main(["ledger", "--quiet"]) == 1
    assert "zz.broken" in capsys.readouterr().out


JAX = "needs JAX: pip install 'gradavg[jax]'"
TORCH = "needs PyTorch: pip install 'gradavg[torch]'"


def claim(claim_id, check_holds=True, reason=None):
    """A claim that holds, fails (``check_holds=False``) or cannot run (``reason``)."""
    check = (lambda: Verdict.not_run(reason)) if reason else (lambda: Verdict(check_holds, "by hand", evidence="proof"))
    control = (lambda: Verdict.not_run(reason)) if reason else (lambda: Verdict(False, "by hand", evidence="proof"))
    return Claim(claim_id, "x = x", check, "x = 2x", control, "proof", "all")


@pytest.mark.parametrize("claims, status, summary", [
    ([claim("a.one"), claim("a.two")], 0, "2 hold, 0 not run, 0 fail"),
    ([claim("a.one"), claim("a.bad", check_holds=False)], 1, "1 hold, 0 not run, 1 fail"),
    ([claim("a.one"), claim("j.one", reason=JAX), claim("j.two", reason=JAX)], 3, f"1 hold, 2 not run ({JAX}), 0 fail"),
    ([claim("j.one", reason=JAX), claim("t.one", reason=TORCH), claim("j.two", reason=JAX)], 3,
     f"0 hold, 3 not run (2 {JAX}; 1 {TORCH}), 0 fail"),
    # a claim that fails outweighs one that could not run
    ([claim("j.one", reason=JAX), claim("a.bad", check_holds=False)], 1, f"0 hold, 1 not run ({JAX}), 1 fail"),
    ([], 0, "0 hold, 0 not run, 0 fail"),
])
def test_ledger_exit_status_and_summary_line(monkeypatch, capsys, claims, status, summary):
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: claims)
    assert main(["ledger", "--quiet"]) == status
    captured = capsys.readouterr()
    assert captured.out.splitlines()[-1] == summary and captured.err == ""
    # with --json the summary goes to stderr, so that stdout stays JSON, and the status is the same
    assert main(["ledger", "--quiet", "--json"]) == status
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [row["id"] for row in rows] == [c.id for c in claims]
    assert captured.err.splitlines() == [summary]
    for row in rows:
        assert row["status"] == ("not run" if row["id"][0] in "jt" else "fails" if row["id"] == "a.bad" else "holds")
        assert row["needs"] == {"j": JAX, "t": TORCH}.get(row["id"][0])


def test_ledger_progress_says_not_run_and_why(monkeypatch, capsys):
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [claim("j.one", reason=JAX)])
    assert main(["ledger"]) == 3
    progress = capsys.readouterr().err.splitlines()
    assert progress[0].startswith(f"[1/1] j.one: not run ({JAX})")


def test_ledger_help_documents_the_three_exit_statuses(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ledger", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    statuses = text.split("exit status:")[1]
    assert [line.split()[0] for line in statuses.splitlines() if line[:3].strip().isdigit()] == ["0", "1", "2", "3"]
    assert "not run" in text and "could not run" in statuses


def test_the_readme_documents_the_ledger_exit_statuses_beside_the_command():
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "gradavg ledger                    # run every claim and control (exit 0 all hold, 1 some fails, 3 some " \
           "not run)" in readme
    text = " ".join(readme.split("Exit\nstatuses of `gradavg ledger`")[1].split("\n\n")[0].split())
    assert "**0** every claim holds" in text and "**1** some claim that ran fails" in text
    assert "**2** a mistyped command line" in text and "**3** none fails but some could not run" in text
