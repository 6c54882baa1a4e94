"""Build the wheel, install it into a fresh venv and run its ledger there, outside the checkout: once with the
plain wheel (no extras), once after installing the jax extra.

    python tests/install_wheel.py SCRATCH

Writes ``SCRATCH/report.json``: each step's command, exit status and output, up to
the first step that failed (a ledger run may exit 0, 1 or 3: the test decides which
it must; the torch extra is never installed here, it weighs gigabytes). ``tests/test_layout.py`` asserts on it; the session
starts this script as soon as the tests are collected (``tests/conftest.py``), so
its minute of installing and checking runs beside the tests before it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(scratch: Path) -> int:
    wheelhouse, venv, elsewhere = scratch / "wheelhouse", scratch / "venv", scratch / "elsewhere"
    elsewhere.mkdir(parents=True, exist_ok=True)
    python, gradavg = venv / "bin" / "python", venv / "bin" / "gradavg"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    steps = {
        "built": lambda: [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheelhouse), str(ROOT)],
        "venv": lambda: [sys.executable, "-m", "venv", str(venv)],
        # the plain wheel, as `pip install gradavg-*.whl`: the JAX and PyTorch claims cannot run
        "installed": lambda: [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"),
                              str(next(wheelhouse.glob("gradavg-*.whl")))],
        "ledger_plain": lambda: [str(gradavg), "ledger", "--json", "--quiet"],
        # then the jax extra, as `pip install 'gradavg[jax]'`: the JAX claims run too
        "extras": lambda: [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "constraints.txt"),
                           f"{next(wheelhouse.glob('gradavg-*.whl'))}[jax]"],
        "ledger": lambda: [str(gradavg), "ledger", "--json", "--quiet"],
    }
    #: the exit statuses after which the next step still runs; a ledger's status is the test's to judge
    carry_on = {"ledger_plain": {0, 1, 3}, "ledger": {0, 1, 3}}
    report = {}
    for name, command in steps.items():
        args = command()
        done = subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=1200)
        report[name] = {"args": args, "returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        if done.returncode not in carry_on.get(name, {0}):
            break
    (scratch / "report.json").write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
