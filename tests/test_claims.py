"""Claims, verdicts and the registry (gradavg.engine.claims), and Claim.contrasting: one helper, the right argument for the check and the wrong one for the control."""

import json
import subprocess
import sys

import pytest

from gradavg.cli import main
from gradavg.engine.claims import Claim, Verdict, claim_module, get, ledger, register


def doubling(calls):
    """A helper that records its arguments and decides ``x + x == factor * x``."""
    def check(factor):
        calls.append(factor)
        return Verdict(factor == 2, f"x + x against {factor} x", evidence="proof")
    return check


def build(check, right=2, wrong=1, **changes):
    fields = dict(control="x + x = x", evidence="proof", scope="every x")
    return Claim.contrasting("demo.twice", "$x + x = 2x$", check=check, right=right, wrong=wrong, **{**fields, **changes})


def test_check_gets_the_right_argument_and_the_control_the_wrong_one():
    calls = []
    claim = build(doubling(calls))
    assert calls == []  # nothing runs when the claim is built
    assert claim.check().holds and calls == [2]
    assert not claim.control_check().holds and calls == [2, 1]
    assert claim.run().ok


def test_right_and_wrong_swapped_is_not_ok():
    result = build(doubling([]), right=1, wrong=2).run()
    assert not result.verdict.holds and not result.control_rejected and not result.ok


def test_the_arguments_are_passed_as_they_are():
    seen = []
    right, wrong = (lambda mean: mean), (lambda mean, n: n * mean)
    claim = build(lambda cost: seen.append(cost) or Verdict(cost is right, "identity", evidence="proof"),
                  right=right, wrong=wrong)
    assert claim.run().ok
    assert seen[0] is right and seen[1] is wrong


def test_the_fields_are_those_of_the_full_form():
    claim = build(doubling([]))
    assert (claim.id, claim.statement, claim.control, claim.evidence, claim.scope) == (
        "demo.twice", "$x + x = 2x$", "x + x = x", "proof", "every x")


def test_the_full_form_checks_still_apply():
    with pytest.raises(ValueError, match="needs a scope"):
        build(doubling([]), scope=" ")
    with pytest.raises(ValueError, match="needs an evidence kind"):
        build(doubling([]), evidence="hunch")


def sampled(evidence):
    return lambda: Verdict(True, "agrees at 3 points", evidence=evidence)


def test_a_claim_whose_check_falls_short_of_its_evidence_is_not_ok(monkeypatch, capsys):
    overstated = Claim("zz.over", "x = x", sampled("sampled"), "x = 2x", lambda: Verdict(False, "t"), "proof", "every x")
    result = overstated.run()
    assert result.verdict.holds and result.control_rejected and not result.evidence_backed and not result.ok
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [overstated])
    assert main(["ledger", "--quiet"]) == 1
    assert "NOT proof" in capsys.readouterr().out
    # the same check backs the kind it reaches, and a check that names no evidence backs nothing
    assert Claim("zz.fair", "x = x", sampled("sampled"), "x = 2x", lambda: Verdict(False, "t"), "sampled",
                 "3 points").run().ok
    assert not Claim("zz.mute", "x = x", sampled(None), "x = 2x", lambda: Verdict(False, "t"), "sampled",
                     "3 points").run().ok


def test_a_claim_needs_a_known_evidence_kind_and_a_scope():
    check, control = sampled("proof"), lambda: Verdict(False, "t")
    with pytest.raises(ValueError, match="needs an evidence kind"):
        Claim("zz.none", "x = x", check, "c", control)
    with pytest.raises(ValueError, match="needs an evidence kind"):
        Claim("zz.typo", "x = x", check, "c", control, "proved", "all")
    with pytest.raises(ValueError, match="needs a scope"):
        Claim("zz.vague", "x = x", check, "c", control, "proof", "  ")
    with pytest.raises(ValueError, match="unknown evidence kind"):
        Verdict(True, "m", evidence="probably")


def test_registry_refuses_a_second_claim_with_the_same_id():
    existing = ledger()[0]
    impostor = Claim(existing.id, "x", existing.check, "y", existing.control_check, "proof", "all")
    with pytest.raises(ValueError, match="registered twice"):
        register(impostor)
    with pytest.raises(KeyError, match="known"):
        get("no.such-claim")


def test_every_claim_lives_in_the_module_its_id_names():
    # the browser imports only claim_module(id): each module, imported alone, must register exactly its own family
    child = subprocess.run([sys.executable, "-c", """
import importlib, json, pkgutil
import gradavg.derivations as claims
from gradavg.engine import claims as registry
found = {}
for module in pkgutil.iter_modules(claims.__path__):
    before = set(registry._REGISTRY)
    importlib.import_module(f"gradavg.derivations.{module.name}")
    found[f"gradavg.derivations.{module.name}"] = sorted(set(registry._REGISTRY) - before)
print(json.dumps(found))
"""], capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr
    found = json.loads(child.stdout)
    assert sorted(i for ids in found.values() for i in ids) == sorted(c.id for c in ledger())
    for module, ids in found.items():
        assert [i for i in ids if claim_module(i) != module] == [], module


NEEDS = "needs JAX: pip install 'gradavg[jax]'"


def proved():
    return Verdict(True, "by hand", evidence="proof")


def refuted():
    return Verdict(False, "by hand", evidence="proof")


def missing():
    return Verdict.not_run(NEEDS)


def test_a_verdict_not_run_says_why_and_neither_holds_nor_reaches_evidence():
    verdict = Verdict.not_run(NEEDS)
    assert (verdict.holds, verdict.ran, verdict.missing, verdict.method, verdict.evidence) == (
        False, False, NEEDS, NEEDS, None)
    assert verdict.summary() == f"not run: {NEEDS}" and "fails" not in verdict.summary()
    assert Verdict(False, "by hand").ran and Verdict(False, "by hand").summary().startswith("fails")
    with pytest.raises(ValueError, match="neither holds nor reaches evidence"):
        Verdict(True, "m", missing=NEEDS)
    with pytest.raises(ValueError, match="neither holds nor reaches evidence"):
        Verdict(False, "m", evidence="proof", missing=NEEDS)
    with pytest.raises(ValueError, match="must say why"):
        Verdict.not_run("  ")


@pytest.mark.parametrize("check, control, status, needs", [
    (proved, refuted, "holds", None),
    (missing, missing, "not run", NEEDS),
    (missing, refuted, "not run", NEEDS),    # the check could not run: nothing is decided
    (proved, missing, "not run", NEEDS),     # the control could not run: the claim is not shown to be falsifiable
    (refuted, missing, "fails", NEEDS),      # a check that ran and failed is a failure, whatever did not run
    (missing, proved, "fails", NEEDS),       # so is a control that ran and held
    (refuted, refuted, "fails", None),
    (proved, proved, "fails", None),
])
def test_a_result_holds_fails_or_was_not_run(check, control, status, needs):
    result = Claim("zz.status", "x = x", check, "x = 2x", control, "proof", "every x").run()
    assert (result.status, result.needs) == (status, needs)
    assert result.ok == (status == "holds")  # a claim not run is never ok
    if not control().ran:
        assert not result.control_rejected  # a control not run was not rejected


def test_the_ledger_exits_3_when_claims_were_not_run_and_names_why(monkeypatch, capsys):
    fine = Claim("zz.fine", "x = x", proved, "x = 2x", refuted, "proof", "every x")
    unrun = Claim("zz.unrun", "x = x", missing, "x = 2x", missing, "proof", "every x")
    monkeypatch.setattr("gradavg.checks.ledger_report.ledger", lambda: [fine, unrun])
    assert main(["ledger", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"1 hold, 1 not run ({NEEDS}), 0 fail"
    assert "not run" in next(line for line in out.splitlines() if line.startswith("zz.unrun"))
