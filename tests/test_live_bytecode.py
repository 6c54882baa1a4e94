"""Tests of gradavg.site.live_bytecode: an archive rewritten as bytecode imports without its sources, and the site ships the engine so."""

import base64
import hashlib
import io
import subprocess
import sys
import zipfile

import pytest

from gradavg.site.live_bytecode import compile_archive

MEMBERS = {
    "pkg/__init__.py": "from .core import ANSWER\n",
    "pkg/core.py": "ANSWER = 6 * 7\n",
    "pkg/data.txt": "kept as it is\n",
    "pkg/tests/test_core.py": "raise AssertionError('tests are left out')\n",
    "pkg/sub/tests/__init__.py": "",
    "pkg/testing/helpers.py": "HELPS = True\n",
    "pkg/tests.py": "A_MODULE_NAMED_TESTS = True\n",
    "pkg-1.0.dist-info/METADATA": "Name: pkg\nVersion: 1.0\n",
    "pkg-1.0.dist-info/RECORD": "stale\n",
}


def wheel(members=MEMBERS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_modules_become_bytecode_and_only_test_folders_are_left_out():
    names = set(zipfile.ZipFile(io.BytesIO(compile_archive(wheel()))).namelist())
    assert names == {"pkg/__init__.pyc", "pkg/core.pyc", "pkg/data.txt", "pkg/testing/helpers.pyc", "pkg/tests.pyc",
                     "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/RECORD"}


def test_record_lists_every_member_with_its_hash():
    archive = zipfile.ZipFile(io.BytesIO(compile_archive(wheel())))
    lines = archive.read("pkg-1.0.dist-info/RECORD").decode().splitlines()
    assert lines[-1] == "pkg-1.0.dist-info/RECORD,,"
    for line in lines[:-1]:
        name, digest, size = line.split(",")
        data = archive.read(name)
        assert digest == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert int(size) == len(data)
    assert len(lines) == len(archive.namelist())


def test_the_compiled_wheel_imports_without_sources(tmp_path):
    zipfile.ZipFile(io.BytesIO(compile_archive(wheel()))).extractall(tmp_path)
    assert not list(tmp_path.rglob("*.py"))
    child = subprocess.run([sys.executable, "-B", "-c", "import pkg; print(pkg.ANSWER, pkg.__spec__.loader.__class__.__name__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert child.stdout.split() == ["42", "SourcelessFileLoader"], child.stderr


def test_the_same_wheel_gives_the_same_bytes():
    assert compile_archive(wheel()) == compile_archive(wheel())


def test_an_archive_without_record_gets_none():
    # Pyodide's standard library is a plain zip: compiled the same way, nothing added
    members = {name: text for name, text in MEMBERS.items() if not name.endswith("RECORD")}
    names = zipfile.ZipFile(io.BytesIO(compile_archive(wheel(members)))).namelist()
    assert "pkg/core.pyc" in names and not any(name.endswith("RECORD") for name in names)


def test_the_site_ships_the_engine_as_bytecode(built_site):
    live = built_site / "_static" / "live"
    wheels = sorted((live / "wheels").glob("*.whl"))
    assert {w.name.split("-")[0] for w in wheels} == {"gradavg", "sympy", "mpmath"}
    for path in [*wheels, live / "pyodide" / "python_stdlib.zip"]:
        names = zipfile.ZipFile(path).namelist()
        assert [n for n in names if n.endswith(".py")] == [], f"{path.name} still carries sources"
        assert any(n.endswith(".pyc") for n in names), path.name
        assert not any("/tests/" in n for n in names), path.name
