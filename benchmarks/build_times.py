"""Measure the docs build: clean, no-change, prose-only edit, library edit, the execution floor, reproducibility.

Every build runs the site's build command (``python -m gradavg.site.build``,
what ``make html`` runs), which starts Sphinx unless no input changed; the
no-change rebuild is also timed with sphinx-build itself.

Works on a throwaway copy of the checkout (the real one is never edited), with
that copy's ``src/`` and ``derivations/`` first on the import path, so a
library edit there is what the pages execute. Builds use the Makefile's flags
(``SPHINXOPTS``) and ``SOURCE_DATE_EPOCH``, as a reproducible
build does. Prints one line per figure, then

    floor = (sum of per-page execution times) / cores + build time with execution off

the ratio of the clean build to that floor, and how many files differ between
two clean builds of the same sources.

Run it with ``make benchmark`` (or ``.venv/bin/python benchmarks/build_times.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gradavg.site.reproducible import differing_files

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("conf.py", "docs", "src", "derivations")
EXECUTED = re.compile(r"Executed notebook in ([0-9.]+) seconds")
#: the Makefile's sphinx-build options (``make benchmark`` passes them; these are its defaults on this machine)
STRICT = os.environ.get("SPHINXOPTS", f"-W -n --keep-going -j {(os.cpu_count() or 1) + 1}").split()


def build(copy: Path, out: str, *extra: str, cache: str | None = None, strict: bool = True,
          sphinx_itself: bool = False) -> tuple[float, list[float]]:
    """Build the copy's docs with the site's build command; returns wall seconds and per-page execution seconds.

    ``cache`` replaces the library-keyed execution cache (for a second clean
    build); ``strict=False`` is for the build with execution off, where glued
    values are missing by design; ``sphinx_itself`` runs sphinx-build directly,
    without the build command's check that something changed.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy / "src"), str(copy)]),
           "SOURCE_DATE_EPOCH": "1767225600"}
    flags = STRICT if strict else ["-Q"]
    if cache:
        flags = [*flags, "-D", f"nb_execution_cache_path={cache}"]
    if sphinx_itself:
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", ".", *flags, *extra, "docs", f"_build/{out}"]
    else:
        command = [sys.executable, "-m", "gradavg.site.build", "docs", f"_build/{out}", *flags, *extra]
    start = time.perf_counter()
    run = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"build failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return seconds, [float(s) for s in EXECUTED.findall(run.stdout + run.stderr)]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        sys.exit(f"benchmark edit failed: {old!r} not in {path}")
    path.write_text(text.replace(old, new, 1))


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="gradavg-bench-") as tmp:
        copy = Path(tmp)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, symlinks=True)  # src/gradavg/derivations stays a link
            else:
                shutil.copy2(source, copy / name)
        shutil.copytree(ROOT / "_build" / "static", copy / "_build" / "static")
        (copy / "node_modules").symlink_to(ROOT / "node_modules")  # KaTeX typesets the math at build time

        print(f"docs build benchmark ({cores} cores, flags {' '.join(STRICT)}), on a copy in {copy}", flush=True)
        clean, executions = build(copy, "html")
        print(f"clean build                 {clean:7.2f} s  ({len(executions)} pages executed)", flush=True)
        again, _ = build(copy, "html-again", cache=str(copy / "_build" / "cache-again" / ("0" * 16)))
        differ = differing_files(copy / "_build" / "html", copy / "_build" / "html-again")
        print(f"second clean build          {again:7.2f} s  ({len(differ)} files differ from the first"
              f"{': ' + ', '.join(differ[:5]) if differ else ''})", flush=True)

        nochange, runs = build(copy, "html")
        print(f"no-change rebuild           {nochange:7.2f} s  ({len(runs)} executed; {nochange / clean:.1%} of clean)")
        itself, runs = build(copy, "html", sphinx_itself=True)
        print(f"  the same, sphinx-build    {itself:7.2f} s  ({len(runs)} executed; {itself / clean:.1%} of clean: "
              "Sphinx started although nothing changed)")

        edit(copy / "docs" / "linearity.md", "This page proves", "This page proves, in full,")
        prose, prose_runs = build(copy, "html")
        print(f"prose-only edit rebuild     {prose:7.2f} s  ({len(prose_runs)} executed)")

        # a module that one page uses (noise-scale; the API page documents it, without executing)
        edit(copy / "src" / "gradavg" / "topics" / "noise_scale.py", '"""', '"""(benchmark edit) ')
        library, library_runs = build(copy, "html")
        print(f"library edit rebuild        {library:7.2f} s  ({len(library_runs)} executed; {library / clean:.2f} of clean)")

        edit(copy / "src" / "gradavg" / "engine" / "exact.py", '"""', '"""(benchmark edit) ')
        engine, engine_runs = build(copy, "html")
        print(f"engine edit rebuild         {engine:7.2f} s  ({len(engine_runs)} executed; {engine / clean:.2f} of clean)")

        off, _ = build(copy, "html-noexec", "-D", "nb_execution_mode=off", strict=False)
        floor = sum(executions) / cores + off
        print(f"execution: sum {sum(executions):.2f} s over pages; / {cores} cores = {sum(executions) / cores:.2f} s")
        print(f"build with execution off    {off:7.2f} s")
        print(f"execution floor             {floor:7.2f} s")
        print(f"clean build / floor         {clean / floor:7.2f}")


if __name__ == "__main__":
    main()
