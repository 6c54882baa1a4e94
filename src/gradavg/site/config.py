"""The extension's settings, declared once: their names, defaults, meaning and validation.

``conf.py`` sets each as ``gradavg_<name>``. The extension registers them
with Sphinx from this declaration (:func:`gradavg.site.sphinxext.config.setup_config`)
and the build command reads them from ``conf.py`` without starting Sphinx
(:func:`read_settings`): no module derives a path of the repository itself. A
``gradavg_`` key that is not declared here stops the build, with the declared
name closest to it.
"""

from __future__ import annotations

import dataclasses
import difflib
import runpy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: the prefix of the settings' names in ``conf.py``
PREFIX = "gradavg_"


@dataclass(frozen=True)
class Settings:
    """The settings of the ``gradavg.site.sphinxext`` extension, as ``conf.py`` gives them (``gradavg_<field>``).

    Example:
        >>> Settings().library_folders
        ('src', 'derivations')
        >>> settings_from({"gradavg_library_folders": ["src"]}).library_folders
        ('src',)
    """

    library_folders: tuple[str, ...] = ("src", "derivations")
    """Folders, relative to the folder of ``conf.py``, whose files the executed pages import: a change in
    them reruns the statement check and re-executes exactly the pages that depend on the changed file, and
    the build command starts Sphinx."""


#: conf.py name -> field, for every declared setting
#:
#: :meta hide-value:
DECLARED = {PREFIX + field.name: field for field in dataclasses.fields(Settings)}


def settings_from(values: Mapping[str, Any]) -> Settings:
    """The settings among a configuration's ``values`` (other keys ignored), validated.

    Raises:
        ValueError: for a ``gradavg_`` key that is not declared (naming the closest declared one), or a
            value of the wrong type.

    Example:
        >>> settings_from({"project": "demo", "gradavg_library_folder": ["src"]})
        Traceback (most recent call last):
        ...
        ValueError: conf.py sets 'gradavg_library_folder', which is no setting of gradavg.site.sphinxext: did you mean 'gradavg_library_folders'?
        >>> settings_from({"gradavg_library_folders": "src"})
        Traceback (most recent call last):
        ...
        ValueError: gradavg_library_folders must be a list of folder names, got 'src'
    """
    chosen = {}
    for key, value in values.items():
        if not key.startswith(PREFIX):
            continue
        if key not in DECLARED:
            close = difflib.get_close_matches(key, DECLARED, n=1)
            hint = f": did you mean {close[0]!r}?" if close else f"; the settings are {', '.join(sorted(DECLARED))}"
            raise ValueError(f"conf.py sets {key!r}, which is no setting of gradavg.site.sphinxext{hint}")
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
            raise ValueError(f"{key} must be a list of folder names, got {value!r}")
        chosen[DECLARED[key].name] = tuple(value)
    return Settings(**chosen)


def read_settings(conf_py: Path) -> tuple[Settings, dict[str, Any]]:
    """Run ``conf_py`` as Sphinx would and return the extension's settings and every value it set.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     conf = Path(tmp, "conf.py")
        ...     _ = conf.write_text("gradavg_library_folders = ['lib']\\nhtml_static_path = ['static']\\n")
        ...     settings, values = read_settings(conf)
        >>> settings.library_folders, values["html_static_path"]
        (('lib',), ['static'])
    """
    values = runpy.run_path(str(conf_py))
    return settings_from(values), values
