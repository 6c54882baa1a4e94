"""The extension's settings: declared once, read from conf.py, and a misspelt key refused by name (gradavg.site.config)."""

from types import SimpleNamespace

import pytest
from sphinx.errors import ConfigError

from gradavg.site.config import DECLARED, Settings, read_settings, settings_from
from gradavg.site.sphinxext import config as sphinx_config


def test_the_defaults_and_a_setting_given():
    assert settings_from({}) == Settings() and Settings().library_folders == ("src", "derivations")
    assert settings_from({"gradavg_library_folders": ["lib", "claims"], "html_theme": "x"}).library_folders == (
        "lib", "claims")


def test_a_misspelt_key_is_refused_with_the_closest_setting():
    with pytest.raises(ValueError, match="did you mean 'gradavg_library_folders'"):
        settings_from({"gradavg_libary_folders": ["src"]})
    with pytest.raises(ValueError, match="the settings are gradavg_library_folders"):
        settings_from({"gradavg_colour": "red"})


def test_a_value_of_the_wrong_shape_is_refused():
    for bad in ("src", ["src", 3], [""], None):
        with pytest.raises(ValueError, match="must be a list of folder names"):
            settings_from({"gradavg_library_folders": bad})


def test_the_project_conf_py_declares_its_library_and_nothing_misspelt():
    from pathlib import Path

    settings, values = read_settings(Path(__file__).resolve().parents[1] / "conf.py")
    assert settings.library_folders == tuple(values["gradavg_library_folders"]) == ("src", "derivations")


class Config(dict):
    """What the handler reads of Sphinx's config: the values and the raw ones from conf.py."""

    def __init__(self, raw):
        super().__init__({name: field.default for name, field in DECLARED.items()} | raw)
        self._raw_config = raw


def test_sphinx_stops_on_a_misspelt_key_and_keeps_the_settings_otherwise():
    app = SimpleNamespace()
    sphinx_config._validate(app, Config({"gradavg_library_folders": ["src"]}))
    assert sphinx_config.settings(app).library_folders == ("src",)
    with pytest.raises(ConfigError, match="did you mean 'gradavg_library_folders'"):
        sphinx_config._validate(app, Config({"gradavg_library_folder": ["src"]}))
