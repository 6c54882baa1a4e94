"""The package's layers import only downward, and the package installs cleanly from a wheel."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from gradavg.site.imports import imported_names

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gradavg"
#: lowest first; a module may import from its own layer and the ones before it
LAYERS = ("engine", "checks", "topics", "derivations", "site")


def layer_of(module: str) -> int:
    """The rank of a dotted module name inside gradavg; the package's own top-level files rank above all layers."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def modules_under(folder: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> source file, for every module in ``folder`` (the package named ``package``)."""
    modules = {}
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        modules[".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))] = path
    return modules


def upward_imports(modules: dict[str, Path]) -> list[str]:
    """``module -> imported`` for every import that points to a higher layer."""
    problems = []
    for module, path in modules.items():
        for target in imported_names(path, module):
            if target.partition(".")[0] == "gradavg" and layer_of(target) > layer_of(module):
                problems.append(f"{module} -> {target}")
    return problems


def test_no_module_imports_from_a_layer_above_its_own():
    # derivations/ is gradavg.derivations, reached through a link that rglob does not follow
    modules = {**modules_under(PACKAGE, "gradavg"), **modules_under(ROOT / "derivations", "gradavg.derivations")}
    assert "gradavg.derivations.linearity" in modules and "gradavg.engine.exact" in modules
    assert upward_imports(modules) == []


def test_the_layer_check_finds_an_upward_import(tmp_path):
    # negative control: an engine module that imports a topic must be reported
    package = tmp_path / "gradavg"
    (package / "engine").mkdir(parents=True)
    (package / "topics").mkdir()
    (package / "engine" / "bad.py").write_text("from ..topics import linearity\nfrom . import fine\n")
    (package / "topics" / "ok.py").write_text("from ..engine.claims import Verdict\nimport gradavg.checks.check\n")
    assert upward_imports(modules_under(package, "gradavg")) == ["gradavg.engine.bad -> gradavg.topics", "gradavg.engine.bad -> gradavg.topics.linearity"]


#: the package's own top-level files, above every layer: its public names, ``python -m gradavg`` and the command line
TOP_LEVEL = ("__init__.py", "__main__.py", "cli.py")


def test_every_module_belongs_to_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in TOP_LEVEL)
    assert loose == [], "put these modules in one of the layers " + ", ".join(LAYERS)


def layout_rows(readme: str) -> list[tuple[str, str, str]]:
    """(layer, path, description) for each row of the README's layout table."""
    section = readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]
    return [tuple(cell.strip() for cell in line.strip("|").split("|"))
            for line in section.splitlines() if line.startswith("| ") and not line.startswith(("| layer", "| ---"))]


def test_the_readme_layout_table_lists_the_layers_in_order_and_names_every_module():
    rows = layout_rows((ROOT / "README.md").read_text(encoding="utf-8"))
    layered = [(layer, path.strip("`")) for layer, path, _ in rows if layer]
    # the layers, as the table numbers them, are LAYERS in order, with the command line on top
    folders = {"src/gradavg/" + name + "/": name for name in LAYERS if name != "derivations"} | {"derivations/": "derivations"}
    ranks = [int(layer) for layer, path in layered]
    assert ranks == sorted(ranks)
    assert [folders[path] for _, path in layered if path in folders] == list(LAYERS)
    for layer, path, text in rows:
        target = ROOT / path.strip("`")
        assert target.exists(), f"the layout table names {path}, which is not in the tree"
        if target.is_dir() and target.is_relative_to(PACKAGE):
            named = set(re.findall(r"`(\w+\.py)`", text)) - {"__init__.py"}
            present = {module.name for module in target.glob("*.py")} - {"__init__.py"}
            assert named == present, f"{path}: the table names {sorted(named - present)} that are not there, and " \
                                     f"not {sorted(present - named)} that are"


#: the claim modules whose checks run JAX (the jax extra) and PyTorch (the torch extra, never installed for the wheel test)
JAX_MODULES = {"gradavg.derivations.framework"}
TORCH_MODULES = {"gradavg.derivations.stacks", "gradavg.derivations.distributed"}


@pytest.mark.build
def test_wheel_installs_outside_the_checkout_and_runs_the_ledger(installed_wheel):
    # built, installed and its ledger run by tests/install_wheel.py, started when the tests were collected
    def told(step: str) -> str:
        return f"{step}: " + str({k: v for k, v in installed_wheel.get(step, {}).items() if k != "args"})[-4000:]

    for step in ("built", "venv", "installed", "ledger_plain", "extras", "ledger"):
        assert step in installed_wheel, told(step)
        if not step.startswith("ledger"):
            assert installed_wheel[step]["returncode"] == 0, told(step)
    scratch = Path(installed_wheel["scratch"])
    (wheel,) = (scratch / "wheelhouse").glob("gradavg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("gradavg-")}
    assert top_level == {"gradavg"}, f"the wheel installs more than the gradavg package: {sorted(top_level)}"
    assert "gradavg/derivations/linearity.py" in names and "gradavg/engine/exact.py" in names

    from gradavg.checks.jax_adapter import NEEDS_JAX
    from gradavg.checks.torch_adapter import NEEDS_TORCH
    from gradavg.engine.claims import claim_module, ledger
    ids = [claim.id for claim in ledger()]
    jax_ids = {i for i in ids if claim_module(i) in JAX_MODULES}
    torch_ids = {i for i in ids if claim_module(i) in TORCH_MODULES}
    assert jax_ids and all(i.startswith("framework.") for i in jax_ids)

    def not_run_exactly(step: str, expected: set[str]) -> list[dict]:
        """The step's ledger lists every claim; exactly ``expected`` are not run, with the reason, and the rest hold."""
        done = installed_wheel[step]
        rows = json.loads(done["stdout"])
        assert [row["id"] for row in rows] == ids, told(step)
        not_run = {row["id"]: row["needs"] for row in rows if row["status"] == "not run"}
        assert set(not_run) == expected, told(step)
        for claim_id, needs in not_run.items():
            assert needs.startswith(NEEDS_JAX if claim_id in jax_ids else NEEDS_TORCH), (claim_id, needs)
        assert all(row["ok"] and row["status"] == "holds" for row in rows if row["id"] not in expected), told(step)
        assert not any(row["ok"] for row in rows if row["id"] in expected)
        # the summary line, on stderr so that stdout stays JSON, counts them and names each reason
        summary = done["stderr"].strip().splitlines()[-1]
        held = len(rows) - len(expected)
        assert summary.startswith(f"{held} hold, {len(expected)} not run") and summary.endswith(", 0 fail"), summary
        assert (NEEDS_JAX in summary) == bool(expected & jax_ids), summary
        assert (NEEDS_TORCH in summary) == bool(expected & torch_ids), summary
        assert done["returncode"] == (3 if expected else 0), told(step)
        return rows

    # the plain wheel, as `pip install gradavg-*.whl`: the JAX and PyTorch claims are not run, and it exits 3
    not_run_exactly("ledger_plain", jax_ids | torch_ids)
    # with the jax extra, as `pip install 'gradavg[jax]'`: every claim holds, the JAX ones included; torch is not
    # installed here (gigabytes), so the PyTorch claims, if there are any, are still not run, and it exits 3
    not_run_exactly("ledger", torch_ids)

    venv, elsewhere = scratch / "venv", scratch / "elsewhere"
    python = venv / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(command), cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)

    where = run(str(python), "-c", "import gradavg, gradavg.derivations as d; print(gradavg.__file__); print(d.__file__)")
    assert where.returncode == 0, where.stderr
    assert all(str(venv) in line and str(ROOT) not in line for line in where.stdout.split()), where.stdout
    assert run(str(python), "-c", "import derivations").returncode != 0, "a top-level 'derivations' module was installed"

    check = run(str(venv / "bin" / "gradavg"), "check", "(w*x + b - y)**2", "--params", "w,b", "--data", "x,y")
    assert check.returncode == 0 and check.stdout.startswith("loss:"), check.stdout + check.stderr
