"""The site's build command: Sphinx, unless nothing it reads has changed since the last build that passed.

``python -m gradavg.site.build SOURCE OUTPUT [sphinx-build options...]`` (what
``make html`` runs, from the folder holding ``conf.py``) fingerprints every
input of the site, checks it against the fingerprint stored beside ``OUTPUT``
by the last successful build, and starts Sphinx only when they differ. Starting
Sphinx costs seconds before it can tell that nothing changed (importing its
extensions alone takes about one); this check takes milliseconds.

The inputs (:func:`fingerprint`): the command line, the interpreter, the
installed distributions (name and version), the environment variables that
change output, and the path, size and modification time of every file under
the source folder and of every other input ``conf.py`` names (:func:`inputs`):
``conf.py`` and ``pyproject.toml`` themselves, the library folders
(``gradavg_library_folders``), the static paths (``html_static_path``) and the
KaTeX script that typesets the math (``katex_js_path``). Any difference, or a missing or failed previous
build, runs Sphinx, which then decides what to re-read and re-execute itself.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from .config import Settings, read_settings

#: the configuration files, in the configuration folder
CONFIGURATION = ("conf.py", "pyproject.toml")
#: environment variables that change what the build writes
VARIABLES = ("SOURCE_DATE_EPOCH", "PYTHONPATH", "PYTHONHASHSEED")
#: sphinx-build options that ask for a full rebuild (with any of them Sphinx always runs)
FORCING = ("-E", "--fresh-env", "-a", "--write-all")


def _files(path: Path):
    if path.is_file():
        yield path
    elif path.is_dir():
        for root, folders, names in os.walk(path):
            # bytecode and the editable install's metadata are written by the build itself, not read by it
            folders[:] = sorted(f for f in folders if f != "__pycache__" and not f.endswith(".egg-info"))
            for name in sorted(names):
                yield Path(root, name)


def _distributions() -> list[str]:
    """Installed distributions by their metadata folders' names (which carry name and version)."""
    found = []
    for entry in sys.path:
        if os.path.isdir(entry):
            found += [name for name in os.listdir(entry) if name.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


def inputs(configuration: Path) -> list[Path]:
    """What the site is built from besides its source folder: the configuration files and what ``conf.py`` names.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     conf = "gradavg_library_folders = ['lib']\\nhtml_static_path = ['static']\\nkatex_js_path = '/k.js'\\n"
        ...     _ = Path(tmp, "conf.py").write_text(conf)
        ...     found = [path.relative_to(tmp).as_posix() if path.is_relative_to(tmp) else str(path)
        ...              for path in inputs(Path(tmp))]
        >>> found
        ['conf.py', 'pyproject.toml', 'lib', 'static', '/k.js']
    """
    conf = configuration / "conf.py"
    settings, values = read_settings(conf) if conf.is_file() else (Settings(), {})
    named = [*settings.library_folders, *values.get("html_static_path", ())]
    if "katex_js_path" in values:
        named.append(values["katex_js_path"])
    return [configuration / name for name in (*CONFIGURATION, *named)]


def fingerprint(source: Path, arguments: list[str], configuration: Path = Path(".")) -> str:
    """A hash of everything the build of ``source`` with ``arguments`` reads (see the module's description).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     page = Path(tmp, "docs", "index.md")
        ...     page.parent.mkdir()
        ...     _ = page.write_text("# Home")
        ...     before = fingerprint(page.parent, ["-W"], Path(tmp))
        ...     same = fingerprint(page.parent, ["-W"], Path(tmp))
        ...     other_options = fingerprint(page.parent, ["-W", "-n"], Path(tmp))
        ...     _ = page.write_text("# Home, edited")
        ...     edited = fingerprint(page.parent, ["-W"], Path(tmp))
        >>> before == same, before == other_options, before == edited
        (True, False, False)
    """
    digest = hashlib.sha256()
    for part in [*arguments, sys.executable, sys.version, *_distributions(),
                 *(f"{name}={os.environ.get(name)}" for name in VARIABLES)]:
        digest.update(part.encode() + b"\0")
    for path in [source, *inputs(configuration)]:
        digest.update(b"\1" + str(path).encode() + b"\0")
        for file in _files(path):
            status = file.stat()
            digest.update(f"{file}\0{status.st_size}\0{status.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def stamp_path(output: Path) -> Path:
    """Where the fingerprint of the last build of ``output`` that passed is kept: beside it, not in the published site.

    Example:
        >>> stamp_path(Path("_build/html")).as_posix()
        '_build/.html-inputs'
    """
    return output.parent / f".{output.name}-inputs"


def main(argv: list[str] | None = None) -> int:
    """Build ``SOURCE`` into ``OUTPUT`` with Sphinx's html builder, or report that it is up to date; Sphinx's exit status."""
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) < 2 or arguments[0].startswith("-") or arguments[1].startswith("-"):
        print("usage: python -m gradavg.site.build SOURCE OUTPUT [sphinx-build options...]", file=sys.stderr)
        return 2
    source, output, options = Path(arguments[0]), Path(arguments[1]), arguments[2:]
    if not source.is_dir():
        print(f"gradavg.site.build: no source folder {source}", file=sys.stderr)
        return 2
    stamp = stamp_path(output)
    try:
        inputs = fingerprint(source, options)
    except Exception:  # conf.py does not run, or names a setting wrongly: Sphinx reports it, naming the cause
        inputs = None
    forced = any(option in FORCING for option in options)
    if inputs and output.is_dir() and stamp.is_file() and stamp.read_text() == inputs and not forced:
        print(f"{output} is up to date: no input of the site changed since its last build (Sphinx not started).")
        return 0
    stamp.unlink(missing_ok=True)
    from sphinx.cmd.build import build_main

    status = build_main(["-b", "html", "-c", ".", *options, str(source), str(output)])
    if status == 0 and inputs:
        stamp.write_text(inputs)
    return status


if __name__ == "__main__":
    sys.exit(main())
