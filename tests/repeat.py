"""Run a set of tests several times in a row, optionally beside a CPU-bound process, and count the passes.

    python tests/repeat.py 10 [--load] [-- PYTEST ARGS...]

A test that depends on timing shows it here: every run must pass. With ``--load``
one process spins on a core for the whole time, as on a busy CI machine. Used by
``make test-browser REPEAT=10 LOAD=1``. Exit status 0 only when every run passed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import subprocess
import sys
import time


def spin() -> None:
    while True:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, help="how many times to run the tests (at least 1)")
    parser.add_argument("--load", action="store_true", help="keep one core busy while the tests run")
    argv = sys.argv[1:] if argv is None else argv
    ours, pytest_args = (argv[:argv.index("--")], argv[argv.index("--") + 1:]) if "--" in argv else (argv, [])
    args = parser.parse_args(ours)
    if args.runs < 1:
        parser.error(f"runs must be at least 1, got {args.runs}")
    busy = multiprocessing.Process(target=spin, daemon=True) if args.load else None
    if busy:
        busy.start()
    passed = 0
    try:
        for run in range(1, args.runs + 1):
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args])
            outcome = "passed" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
            print(f"run {run}/{args.runs}: {outcome} in {time.perf_counter() - start:.1f} s", flush=True)
            passed += result.returncode == 0
    finally:
        if busy:
            busy.terminate()
    print(f"{passed} of {args.runs} runs passed{' beside a CPU-bound process' if busy else ''}")
    return 0 if passed == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
