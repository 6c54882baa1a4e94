"""Tests of gradavg.site.statements: the numbered statements read from the pages and the evidence they may rest on."""

from pathlib import Path

from gradavg.engine.claims import ledger
from gradavg.site.statements import overstated, pages_by_claim, statements

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_numbered_statement_rests_on_proof_or_exhaustive_evidence():
    claims = {c.id: c for c in ledger()}
    found = [s for s in statements(DOCS) if s.label in claims]
    assert {s.kind for s in found} >= {"theorem", "proposition"}
    problems = [f"{s.path.name}:{s.line} {s.kind} {s.label}: {why}" for s in found
                if (why := overstated(s, claims[s.label].evidence))]
    assert problems == []


def test_the_rule_refuses_weak_evidence_under_a_numbered_statement_only(tmp_path):
    (tmp_path / "p.md").write_text("```{prf:lemma} L\n:label: a.b\n```\n\n```{prf:observation} O\n:label: a.c\n```\n")
    lemma, observation = statements(tmp_path)
    assert (lemma.kind, observation.kind) == ("lemma", "observation")
    assert overstated(lemma, "float-bound") and overstated(lemma, "sampled")
    assert overstated(lemma, "exhaustive") is None and overstated(lemma, "proof") is None
    assert overstated(observation, "sampled") is None


def test_statements_find_labels(tmp_path):
    (tmp_path / "page.md").write_text(
        "```{prf:theorem} A\n:label: a.one\n:nonumber:\n\nText\n```\n\n"
        "```{prf:proposition}\n\nNo label\n```\n\n```{prf:definition} Not numbered\n:label: d\n```\n"
    )
    found = statements(tmp_path)
    assert [(s.kind, s.label, s.line) for s in found] == [("theorem", "a.one", 1), ("proposition", None, 8)]
    assert pages_by_claim(tmp_path) == {"a.one": ["page"]}
