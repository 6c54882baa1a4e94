"""The extension's settings in Sphinx: registered from their one declaration (:mod:`gradavg.site.config`) and validated.

A misspelt ``gradavg_`` key in ``conf.py`` stops the build with the closest
declared name, rather than being ignored.
"""

from __future__ import annotations


from sphinx.errors import ConfigError

from ..config import DECLARED, Settings, settings_from


def settings(app) -> Settings:
    """The validated settings of this build (set when the configuration was read)."""
    return app.gradavg_settings


def _validate(app, config) -> None:
    # conf.py's values, including keys no extension declared (Sphinx keeps those aside, unused)
    values = {**config._raw_config, **{name: config[name] for name in DECLARED}}
    try:
        app.gradavg_settings = settings_from(values)
    except ValueError as problem:
        raise ConfigError(str(problem)) from None


def setup_config(app) -> None:
    """Register every declared setting with Sphinx, and validate conf.py's settings once it is read."""
    for name, field in DECLARED.items():
        app.add_config_value(name, field.default, "env", types=frozenset({list, tuple}))
    app.connect("config-inited", _validate)
