"""The build command starts Sphinx exactly when an input of the site changed since the last build that passed."""

import os
from pathlib import Path

import pytest
import sphinx.cmd.build as sphinx_build

from gradavg.site import build


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder with a page, a library module and a static asset conf.py names; the working directory."""
    for name, text in {"docs/index.md": "# Home\n", "src/gradavg/topics/a.py": "x = 1\n",
                       "_build/static/katex/katex.min.css": "", "conf.py": "html_static_path = ['_build/static']\n"}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class FakeSphinx:
    """Records each run instead of building; ``status`` is what it returns."""

    def __init__(self):
        self.runs, self.status = [], 0

    def __call__(self, arguments):
        self.runs.append(arguments)
        Path(arguments[-1]).mkdir(parents=True, exist_ok=True)
        return self.status


@pytest.fixture
def sphinx(monkeypatch):
    fake = FakeSphinx()
    monkeypatch.setattr(sphinx_build, "build_main", fake)
    return fake


def touch(path: Path, text: str) -> None:
    path.write_text(text)
    status = path.stat()
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000))  # a later modification time, always


def test_a_second_build_with_nothing_changed_does_not_start_sphinx(project, sphinx, capsys):
    assert build.main(["docs", "out", "-W"]) == 0
    assert sphinx.runs == [["-b", "html", "-c", ".", "-W", "docs", "out"]]
    assert build.main(["docs", "out", "-W"]) == 0
    assert len(sphinx.runs) == 1
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("edit", ["docs/index.md", "src/gradavg/topics/a.py", "_build/static/katex/katex.min.css",
                                  "conf.py", "docs/new-page.md"])
def test_editing_any_input_starts_sphinx(project, sphinx, edit):
    build.main(["docs", "out"])
    touch(project / edit, "changed\n")
    build.main(["docs", "out"])
    assert len(sphinx.runs) == 2


def test_a_conf_py_that_does_not_run_starts_sphinx_to_report_it(project, sphinx):
    build.main(["docs", "out"])
    touch(project / "conf.py", "gradavg_library_folder = ['src']\n")  # misspelt: reading the inputs fails
    assert build.main(["docs", "out"]) == 0 and len(sphinx.runs) == 2
    assert not build.stamp_path(Path("out")).exists()  # nothing to compare the next build with
    build.main(["docs", "out"])
    assert len(sphinx.runs) == 3


def test_other_options_or_environment_start_sphinx(project, sphinx, monkeypatch):
    build.main(["docs", "out"])
    build.main(["docs", "out", "-n"])
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    build.main(["docs", "out", "-n"])
    assert len(sphinx.runs) == 3


def test_bytecode_written_by_the_build_is_not_an_input(project, sphinx):
    build.main(["docs", "out"])
    cache = project / "src" / "gradavg" / "topics" / "__pycache__"
    cache.mkdir()
    (cache / "a.cpython-311.pyc").write_bytes(b"\0")
    build.main(["docs", "out"])
    assert len(sphinx.runs) == 1


def test_a_failed_build_is_rebuilt_and_a_forced_one_always_runs(project, sphinx):
    sphinx.status = 1
    assert build.main(["docs", "out"]) == 1
    sphinx.status = 0
    assert build.main(["docs", "out"]) == 0
    assert build.main(["docs", "out", "-E"]) == 0
    assert build.main(["docs", "out", "-E"]) == 0
    assert len(sphinx.runs) == 4


def test_a_deleted_output_or_stamp_is_rebuilt(project, sphinx):
    build.main(["docs", "out"])
    (project / "out").rmdir()
    build.main(["docs", "out"])
    build.stamp_path(project / "out").unlink()
    build.main(["docs", "out"])
    assert len(sphinx.runs) == 3


def test_bad_arguments_get_the_usage(project, sphinx, capsys):
    assert build.main(["docs"]) == 2
    assert build.main(["-W", "docs", "out"]) == 2
    assert build.main(["missing", "out"]) == 2
    assert "usage" in capsys.readouterr().err and not sphinx.runs

