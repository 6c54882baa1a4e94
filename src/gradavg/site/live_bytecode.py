"""The live checks' wheels as bytecode, so that the reader's browser does not compile SymPy on every cold start.

Pyodide writes no ``.pyc`` files (``sys.dont_write_bytecode``), so importing SymPy from its
source compiles some 900 modules each time a page starts the engine: 3 to 5 s of the first
verdict on this project's machine, 0.6 s once they are bytecode. ``make assets`` runs
:func:`compile_wheels_in` inside Pyodide itself (node runs it, see :func:`main`), so the
bytecode is that of the interpreter the browser will run. Each module is replaced by its
compiled ``.pyc`` (an unchecked hash-based pyc, which Python imports without a source and
without looking at timestamps, so the same wheel gives the same bytes), the test folders are
left out (a third of SymPy's wheel) and the wheel's ``RECORD`` lists the files it now holds.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import marshal
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path, PurePosixPath

#: folders of a wheel the browser never imports
LEFT_OUT = frozenset({"tests"})
#: a fixed date for every member, so the rewritten wheel depends only on its contents
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def pyc_bytes(source: bytes, filename: str) -> bytes:
    """An unchecked hash-based pyc of ``source`` for the running interpreter (PEP 552: flags 0b01).

    Example:
        >>> import importlib.util, marshal
        >>> data = pyc_bytes(b"x = 6 * 7\\n", "m.py")
        >>> data[:4] == importlib.util.MAGIC_NUMBER, data[4:8]
        (True, b'\\x01\\x00\\x00\\x00')
        >>> namespace = {}; exec(marshal.loads(data[16:]), namespace); namespace["x"]
        42
    """
    with warnings.catch_warnings():
        # third-party code (SymPy's test runner) trips SyntaxWarnings of newer Pythons; not ours to fix
        warnings.simplefilter("ignore", SyntaxWarning)
        code = compile(source, filename, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + importlib.util.source_hash(source) + marshal.dumps(code)


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def compile_wheel(wheel: bytes) -> bytes:
    """The wheel ``wheel`` with every ``.py`` replaced by its ``.pyc``, its test folders left out and ``RECORD`` rewritten.

    Example:
        >>> import io, zipfile
        >>> buffer = io.BytesIO()
        >>> with zipfile.ZipFile(buffer, "w") as z:
        ...     z.writestr("pkg/__init__.py", "A = 1\\n"); z.writestr("pkg/tests/test_a.py", "")
        ...     z.writestr("pkg-1.dist-info/RECORD", "")
        >>> compiled = zipfile.ZipFile(io.BytesIO(compile_wheel(buffer.getvalue())))
        >>> compiled.namelist()
        ['pkg/__init__.pyc', 'pkg-1.dist-info/RECORD']
        >>> compiled.read("pkg-1.dist-info/RECORD").decode().splitlines()[-1]
        'pkg-1.dist-info/RECORD,,'
    """
    members: dict[str, bytes] = {}
    record = None
    with zipfile.ZipFile(io.BytesIO(wheel)) as source:
        for info in source.infolist():
            path = PurePosixPath(info.filename)
            if info.is_dir() or LEFT_OUT & set(path.parts[:-1]):
                continue
            if path.name == "RECORD" and path.parent.name.endswith(".dist-info"):
                record = info.filename
                continue
            data = source.read(info)
            if path.suffix == ".py":
                members[path.with_suffix(".pyc").as_posix()] = pyc_bytes(data, info.filename)
            else:
                members[info.filename] = data
    if record is None:
        raise ValueError("not a wheel: no .dist-info/RECORD")
    lines = [_record_line(name, data) for name, data in members.items()] + [f"{record},,"]
    members[record] = ("\n".join(lines) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in members.items():
            target.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def compile_wheels_in(folder: str) -> list[str]:
    """Rewrite every wheel in ``folder`` with :func:`compile_wheel`; their names, sorted."""
    names = []
    for path in sorted(Path(folder).glob("*.whl")):
        path.write_bytes(compile_wheel(path.read_bytes()))
        names.append(path.name)
    return names


# Run by node: load Pyodide from its npm package, mount the checkout's src/ and the wheels' folder, compile there.
NODE_DRIVER = """
const [pyodideModule, source, wheels] = process.argv.slice(1);
const { loadPyodide } = await import(pyodideModule);
const pyodide = await loadPyodide({ env: { PYTHONNODEBUGRANGES: "1" } });
pyodide.mountNodeFS("/src", source);
pyodide.mountNodeFS("/wheels", wheels);
pyodide.runPython("import sys; sys.path.insert(0, '/src')");
const names = pyodide.pyimport("gradavg.site.live_bytecode").compile_wheels_in("/wheels").toJs();
console.log(`compiled to bytecode in Pyodide ${pyodide.version}: ${names.join(", ")}`);
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m gradavg.site.live_bytecode PYODIDE_MJS WHEELS_DIR``: compile the wheels in Pyodide, run by node."""
    pyodide_module, wheels = argv if argv is not None else sys.argv[1:]
    source = Path(__file__).resolve().parents[2]
    return subprocess.run(["node", "--input-type=module", "-e", NODE_DRIVER, Path(pyodide_module).resolve().as_uri(),
                           str(source), str(Path(wheels).resolve())], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
