"""The API page covers the library, the ledger page matches the CLI, sources download, hosting files are valid."""

import json
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import gradavg
from gradavg.site.ledger_view import ledger_totals

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_api_page_documents_every_module():
    text = (DOCS / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: (\S+)$", text, flags=re.M))
    # every module, and every package whose __init__ holds code of its own (the Sphinx extension's setup)
    modules = {m.name for m in pkgutil.walk_packages(gradavg.__path__, "gradavg.")
               if (not m.ispkg or "\ndef " in Path(m.module_finder.path, m.name.rpartition(".")[2], "__init__.py").read_text())
               and m.name != "gradavg.__main__" and not m.name.startswith("gradavg.derivations.")}
    assert modules - documented == set(), "add these modules to docs/api.md"
    assert documented - modules == set()


def test_ledger_totals_count_each_kind_and_a_claim_short_of_its_evidence():
    rows = [{"holds": True, "control_rejected": True, "seconds": 1.0, "evidence": "proof", "evidence_backed": False},
            {"holds": True, "control_rejected": True, "seconds": 0.5, "evidence": "exhaustive", "evidence_backed": True}]
    totals = ledger_totals(rows)
    assert totals["evidence"] == {"proof": 1, "exhaustive": 1, "float-bound": 0, "sampled": 0}
    assert totals["backed"] == 1 and not totals["all_ok"]
    assert ledger_totals(rows[1:])["all_ok"]


def test_hosting_files_build_with_the_strict_command():
    rtd = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert rtd["version"] == 2 and rtd["build"]["tools"]["python"] == "3.11" and "nodejs" in rtd["build"]["tools"]
    commands = " ".join(rtd["build"]["commands"])
    assert "make html" in commands and "_build/html" in commands and "READTHEDOCS_OUTPUT" in commands
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    assert any("make html" in step.get("run", "") for step in steps)
    assert any(step.get("with", {}).get("path") == "_build/html" for step in steps)
    assert any(str(step.get("uses", "")).startswith("actions/deploy-pages") for step in steps)
    makefile = (ROOT / "Makefile").read_text()
    assert "-W -n --keep-going" in makefile


@pytest.mark.build
def test_ledger_page_totals_match_the_cli(built_site, ledger_run):
    rows = json.loads(ledger_run.stdout)
    totals = ledger_totals(rows)
    text = re.sub(r"<[^>]+>", "", (built_site / "ledger.html").read_text())
    line = re.search(r"(\d+) claims; (\d+) hold; (\d+) with the evidence they declare; (\d+)\s+negative controls "
                     r"rejected", text)
    assert line, "the ledger page has no totals line"
    assert tuple(map(int, line.groups())) == (totals["claims"], totals["holding"], totals["backed"],
                                              totals["controls_rejected"])
    for kind, count in totals["evidence"].items():
        assert f"{kind}: {count} (" in text, f"the ledger page does not count the {kind} claims"
    for row in rows:
        assert row["id"] in text


@pytest.mark.build
def test_every_page_offers_its_source_for_download(built_site):
    for source in DOCS.glob("*.md"):
        html = (built_site / f"{source.stem}.html").read_text()
        assert f'href="_sources/{source.name}"' in html, f"{source.name}: no download link to its source"
        assert (built_site / "_sources" / source.name).read_text() == source.read_text()


@pytest.mark.build
def test_every_executed_page_offers_its_notebook(built_site):
    for source in DOCS.glob("*.md"):
        if "kernelspec:" not in source.read_text():
            continue
        html = (built_site / f"{source.stem}.html").read_text()
        assert f'href="_sources/{source.stem}.ipynb"' in html, f"{source.name}: no .ipynb download"
        notebook = json.loads((built_site / "_sources" / f"{source.stem}.ipynb").read_text())
        assert any(cell.get("outputs") for cell in notebook["cells"] if cell["cell_type"] == "code")


def test_executed_notebook_lookup(tmp_path):
    from gradavg.site.notebook_download import executed_notebook

    (tmp_path / "page.ipynb").write_text("{}")
    assert executed_notebook(tmp_path, "page") == tmp_path / "page.ipynb"
    assert executed_notebook(tmp_path, "other") is None


def test_api_page_names_every_export_of_the_package():
    text = (DOCS / "api.md").read_text()
    missing = [name for name in gradavg.__all__ if not re.search(rf"[.~]{re.escape(name)}`", text)]
    assert not missing, f"name these exports in the opening of docs/api.md: {missing}"
