"""Print the mutation score of the last `mutmut run` (run by `make mutation`, not by pytest).

score = killed / (mutants - equivalent), where `equivalent` are the survivors listed in
tests/mutation-survivors.md (one `- `name`: reason` line each). A survivor that is not
listed there fails the run: kill it with a test or explain why it is equivalent.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

TARGET = 95.0
LISTED = Path(__file__).with_name("mutation-survivors.md")


def main() -> int:
    lines = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    status = dict(line.strip().rsplit(": ", 1) for line in lines if ": " in line)
    counts = Counter(status.values())
    equivalent = set(re.findall(r"^- `([^`]+)`", LISTED.read_text(), flags=re.M))
    survivors = {name for name, s in status.items() if s not in ("killed", "timeout")}
    unexplained = sorted(survivors - equivalent)
    stale = sorted(equivalent - survivors)
    killed = counts["killed"] + counts["timeout"]
    considered = len(status) - len(survivors & equivalent)
    score = 100.0 * killed / considered if considered else 0.0
    print(f"mutants: {len(status)}  " + "  ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    print(f"equivalent (listed in {LISTED.name}): {len(survivors & equivalent)}")
    for name in unexplained:
        print(f"not killed and not explained: {name} ({status[name]})")
    for name in stale:
        print(f"listed but killed now (remove it from {LISTED.name}): {name}")
    print(f"mutation score: {killed}/{considered} non-equivalent mutants killed = {score:.1f}% (target {TARGET:g}%)")
    return 0 if score >= TARGET and not unexplained else 1


if __name__ == "__main__":
    sys.exit(main())
