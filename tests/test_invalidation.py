"""A library edit re-executes exactly the pages that depend on the edited module; a prose edit re-executes none."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import NOTEBOOK_FRONT_MATTER, ROOT

pytestmark = pytest.mark.build

PAGES = {
    "index": "# Pages\n\n```{toctree}\ndata\nsums\nprose\n```\n",
    "data": NOTEBOOK_FRONT_MATTER + "# Data\n\n```{code-cell} ipython3\nfrom gradavg.topics.data_arrays import anscombe_i\n"
                                    "len(anscombe_i()[0])\n```\n",
    "sums": NOTEBOOK_FRONT_MATTER + "# Sums\n\n```{code-cell} ipython3\nimport gradavg.engine.sums\n1 + 1\n```\n",
    "prose": "# Prose\n\nNo code here.\n",
}
EXECUTED = re.compile(r"(\w+)\.md: Executed notebook")


@pytest.fixture
def copy(tmp_path):
    """The library and three small pages in a throwaway folder: the library edits happen there."""
    for name in ("src", "derivations"):
        shutil.copytree(ROOT / name, tmp_path / name, symlinks=True)
    (tmp_path / "docs").mkdir()
    for name, text in PAGES.items():
        (tmp_path / "docs" / f"{name}.md").write_text(text)
    return tmp_path


def executed_pages(copy) -> set[str]:
    """Build the copy's pages with the copy's library first on the path; the pages that executed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(copy / "src"), str(copy)])}
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(ROOT), "-D",
               f"nb_execution_cache_path={copy / 'cache'}", str(copy / "docs"), str(copy / "out")]
    build = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return set(EXECUTED.findall(build.stdout + build.stderr))


def edit(path, text="\n# an edit\n"):
    path.write_text(path.read_text() + text)


def test_a_library_edit_re_executes_exactly_the_pages_that_import_it(copy):
    assert executed_pages(copy) == {"data", "sums"}
    assert executed_pages(copy) == set()

    edit(copy / "src" / "gradavg" / "topics" / "data.py")
    assert executed_pages(copy) == {"data"}

    edit(copy / "src" / "gradavg" / "engine" / "sums.py")
    assert executed_pages(copy) == {"sums"}

    # a module both pages reach (the package's own __init__) re-executes both
    edit(copy / "src" / "gradavg" / "__init__.py")
    assert executed_pages(copy) == {"data", "sums"}

    edit(copy / "docs" / "prose.md", "More prose.\n")
    edit(copy / "docs" / "data.md", "Prose under the cell.\n")
    assert executed_pages(copy) == set()
