"""The in-browser engine as bytecode: Pyodide's standard library and the live checks' wheels, compiled once at build time.

Pyodide writes no ``.pyc`` files (``sys.dont_write_bytecode``) and its npm package ships the
standard library as sources, so every cold start in a reader's browser compiled what it
imported: the 190 modules Pyodide imports as it boots, then some 900 of SymPy. Measured in
headless chromium on this project's busy 2-core machine: booting Pyodide 4.5 to 6.3 s, then
1.1 to 2.6 s; importing SymPy 3 to 5 s, then 0.6 to 1.2 s. ``make assets`` runs
:func:`compile_archives` inside Pyodide itself (node runs it, see :func:`main`), so the bytecode
is that of the interpreter the browser will run. Each module is replaced by its compiled
``.pyc`` (an unchecked hash-based pyc, which Python imports without a source and without
looking at timestamps, so the same archive gives the same bytes), the test folders are left
out (a third of SymPy's wheel) and a wheel's ``RECORD`` lists the files it now holds.
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


def compile_archive(archive: bytes) -> bytes:
    """The zip ``archive`` with every ``.py`` replaced by its ``.pyc`` and its test folders left out; a wheel's ``RECORD`` rewritten.

    Example:
        >>> import io, zipfile
        >>> buffer = io.BytesIO()
        >>> with zipfile.ZipFile(buffer, "w") as z:
        ...     z.writestr("pkg/__init__.py", "A = 1\\n"); z.writestr("pkg/tests/test_a.py", "")
        ...     z.writestr("pkg-1.dist-info/RECORD", "")
        >>> compiled = zipfile.ZipFile(io.BytesIO(compile_archive(buffer.getvalue())))
        >>> compiled.namelist()
        ['pkg/__init__.pyc', 'pkg-1.dist-info/RECORD']
        >>> compiled.read("pkg-1.dist-info/RECORD").decode().splitlines()[-1]
        'pkg-1.dist-info/RECORD,,'
    """
    members: dict[str, bytes] = {}
    record = None
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
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
    if record is not None:
        lines = [_record_line(name, data) for name, data in members.items()] + [f"{record},,"]
        members[record] = ("\n".join(lines) + "\n").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in members.items():
            target.writestr(zipfile.ZipInfo(name, ZIP_DATE), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def compile_archives(paths: list[str]) -> list[str]:
    """Rewrite each archive in ``paths`` (wheels, Pyodide's standard library) with :func:`compile_archive`; their names."""
    for path in map(Path, paths):
        path.write_bytes(compile_archive(path.read_bytes()))
    return [Path(path).name for path in paths]


# Run by node: load Pyodide from its npm package, mount the checkout's src/ and each archive's folder, compile there.
NODE_DRIVER = """
const [pyodideModule, source, ...archives] = process.argv.slice(1);
const { loadPyodide } = await import(pyodideModule);
// no column ranges in the bytecode (a quarter of its size; tracebacks keep their lines), and one hash seed,
// so that sets among the constants marshal in the same order every time
const pyodide = await loadPyodide({ env: { PYTHONNODEBUGRANGES: "1", PYTHONHASHSEED: "0" } });
pyodide.mountNodeFS("/src", source);
const inside = archives.map((archive, i) => {
  const slash = archive.lastIndexOf("/");
  pyodide.mountNodeFS(`/archives/${i}`, archive.slice(0, slash));
  return `/archives/${i}/${archive.slice(slash + 1)}`;
});
pyodide.runPython("import sys; sys.path.insert(0, '/src')");
const names = pyodide.pyimport("gradavg.site.live_bytecode").compile_archives(inside).toJs();
console.log(`compiled to bytecode in Pyodide ${pyodide.version}: ${names.join(", ")}`);
"""


def main(argv: list[str] | None = None) -> int:
    """``python -m gradavg.site.live_bytecode PYODIDE_MJS ARCHIVE...``: compile the archives in place, in Pyodide run by node."""
    pyodide_module, *archives = argv if argv is not None else sys.argv[1:]
    source = Path(__file__).resolve().parents[2]
    return subprocess.run(["node", "--input-type=module", "-e", NODE_DRIVER, Path(pyodide_module).resolve().as_uri(),
                           str(source), *(str(Path(a).resolve()) for a in archives)], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
