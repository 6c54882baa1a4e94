"""The reference and hosting files, not a module: docs/api.md and its layer pages (docs/api/) cover the library, docs/api.md
names every export, the hosting files build with the strict command."""

import pkgutil
import re
from pathlib import Path

import yaml

import gradavg

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
#: the API reference: an index page and one page per layer under it
API_PAGES = [DOCS / "api.md", *sorted((DOCS / "api").glob("*.md"))]


def test_api_pages_document_every_module_once():
    documented = [name for page in API_PAGES
                  for name in re.findall(r"^\.\. automodule:: (\S+)$", page.read_text(), flags=re.M)]
    # every module, and every package whose __init__ holds code of its own (the Sphinx extension's setup)
    modules = {m.name for m in pkgutil.walk_packages(gradavg.__path__, "gradavg.")
               if (not m.ispkg or "\ndef " in Path(m.module_finder.path, m.name.rpartition(".")[2], "__init__.py").read_text())
               and m.name != "gradavg.__main__" and not m.name.startswith("gradavg.derivations.")}
    assert modules - set(documented) == set(), "add these modules to docs/api.md or a page in docs/api/"
    assert set(documented) - modules == set()
    repeated = sorted({name for name in documented if documented.count(name) > 1})
    assert not repeated, f"documented on more than one API page (Sphinx warns of duplicate objects): {repeated}"


def test_hosting_files_build_with_the_strict_command():
    rtd = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert rtd["version"] == 2 and rtd["build"]["tools"]["python"] == "3.11" and "nodejs" in rtd["build"]["tools"]
    commands = " ".join(rtd["build"]["commands"])
    texlive = [line for line in (ROOT / "texlive-packages.txt").read_text().splitlines() if not line.startswith("#")]
    assert rtd["build"]["apt_packages"] == texlive, "the TeX Live packages of .readthedocs.yaml are texlive-packages.txt's"
    assert "make html pdf" in commands and "_build/html" in commands and "READTHEDOCS_OUTPUT" in commands
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    assert any("make html" in step.get("run", "") for step in steps)
    assert any("make html pdf" in step.get("run", "") for step in steps)  # every page links to the PDF edition
    assert any(step.get("with", {}).get("path") == "_build/html" for step in steps)
    assert any(str(step.get("uses", "")).startswith("actions/deploy-pages") for step in steps)
    makefile = (ROOT / "Makefile").read_text()
    assert "-W -n --keep-going" in makefile


def test_api_page_names_every_export_of_the_package():
    text = (DOCS / "api.md").read_text()
    missing = [name for name in gradavg.__all__ if not re.search(rf"[.~]{re.escape(name)}`", text)]
    assert not missing, f"name these exports in the opening of docs/api.md: {missing}"
