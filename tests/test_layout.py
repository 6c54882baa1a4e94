"""The package's layers import only downward, and the package installs cleanly from a wheel."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gradavg"
#: lowest first; a module may import from its own layer and the ones before it
LAYERS = ("engine", "checks", "topics", "derivations", "site")


def layer_of(module: str) -> int:
    """The rank of a dotted module name inside gradavg; the package's own top-level files rank above all layers."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def imported_modules(path: Path, module: str) -> list[str]:
    """Every gradavg module that the source at ``path`` (the module named ``module``) imports, relative imports resolved."""
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append(target)
            # "from . import x" and "from .pkg import module" name modules too
            found += [f"{target}.{alias.name}" for alias in node.names]
    return [name for name in found if name == "gradavg" or name.startswith("gradavg.")]


def upward_imports(root: Path) -> list[str]:
    """``module -> imported`` for every import that points to a higher layer."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        module = ".".join(relative.parts[:-1] if relative.name == "__init__" else relative.parts)
        own = layer_of(module)
        for target in imported_modules(path, module):
            if layer_of(target) > own:
                problems.append(f"{module} -> {target}")
    return problems


def test_no_module_imports_from_a_layer_above_its_own():
    assert upward_imports(PACKAGE) == []


def test_the_layer_check_finds_an_upward_import(tmp_path):
    # negative control: an engine module that imports a topic must be reported
    package = tmp_path / "gradavg"
    (package / "engine").mkdir(parents=True)
    (package / "topics").mkdir()
    (package / "engine" / "bad.py").write_text("from ..topics import linearity\nfrom . import fine\n")
    (package / "topics" / "ok.py").write_text("from ..engine.claims import Verdict\nimport gradavg.checks.check\n")
    assert upward_imports(package) == ["gradavg.engine.bad -> gradavg.topics", "gradavg.engine.bad -> gradavg.topics.linearity"]


def test_every_module_belongs_to_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == [], "put these modules in one of the layers " + ", ".join(LAYERS)


@pytest.mark.build
def test_wheel_installs_outside_the_checkout_and_runs_the_ledger(tmp_path):
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheelhouse), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = wheelhouse.glob("gradavg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("gradavg-")}
    assert top_level == {"gradavg"}, f"the wheel installs more than the gradavg package: {sorted(top_level)}"
    assert "gradavg/derivations/linearity.py" in names and "gradavg/engine/exact.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    installed = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"), str(wheel)],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(command), cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)

    where = run(str(python), "-c", "import gradavg, gradavg.derivations as d; print(gradavg.__file__); print(d.__file__)")
    assert where.returncode == 0, where.stderr
    assert all(str(venv) in line and str(ROOT) not in line for line in where.stdout.split()), where.stdout
    assert run(str(python), "-c", "import derivations").returncode != 0, "a top-level 'derivations' module was installed"

    # installed without the jax extra: the JAX claims fail and say so; every other claim holds
    ledger = run(str(venv / "bin" / "gradavg"), "ledger", "--quiet")
    rows = [line.split() for line in ledger.stdout.splitlines()[2:] if line.strip()]
    needs_jax = [row for row in rows if row[0].startswith("framework.")]
    others = [row for row in rows if not row[0].startswith("framework.")]
    assert len(others) >= 36 and all(row[-2:] == ["yes", "yes"] for row in others), ledger.stdout[-3000:]
    assert needs_jax and all(row[-2] == "NO" for row in needs_jax), ledger.stdout[-3000:]
    assert ledger.stdout.count("needs JAX: pip install 'gradavg[jax]'") == len(needs_jax), ledger.stdout[-3000:]
    assert ledger.returncode == 1, ledger.stderr[-3000:]

    check = run(str(venv / "bin" / "gradavg"), "check", "(w*x + b - y)**2", "--params", "w,b", "--data", "x,y")
    assert check.returncode == 0 and check.stdout.startswith("loss:"), check.stdout + check.stderr
