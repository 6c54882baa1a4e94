"""`tests/repeat.py`, behind `make test-browser REPEAT=N`: every run must pass, and it says how many did."""

import subprocess
import sys

from conftest import ROOT

REPEAT = [sys.executable, str(ROOT / "tests" / "repeat.py")]


def repeat(*args):
    return subprocess.run([*REPEAT, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_every_run_passing_is_counted():
    result = repeat("2", "--", "tests/test_check_api.py", "-k", "floor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "2 of 2 runs passed"


def test_a_failing_run_fails_the_whole_and_load_is_named():
    result = repeat("1", "--load", "--", "tests/test_check_api.py", "-k", "no_test_has_this_name")
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "0 of 1 runs passed beside a CPU-bound process"


def test_fewer_than_one_run_is_refused():
    assert repeat("0").returncode == 2 and "runs must be at least 1, got 0" in repeat("0").stderr
