"""Every public function and class of the library shows an example in its docstring.

The API pages (docs/api/) render the docstrings; the examples there are doctests, which
tests/test_doctests.py runs. This test checks that none is missing.
"""

import importlib
import inspect
import pkgutil

import gradavg

#: functions that are entry points called by a tool rather than by readers (Sphinx extensions)
ENTRY_POINTS = {"setup"}


def _without_example() -> list[str]:
    missing = []
    for info in pkgutil.iter_modules(gradavg.__path__):
        if info.name == "__main__":
            continue
        module = importlib.import_module(f"gradavg.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if obj.__module__ != module.__name__:
                continue
            if inspect.isfunction(obj) and name in ENTRY_POINTS:
                continue
            if ">>>" not in (obj.__doc__ or ""):  # its own docstring, not one inherited
                missing.append(f"{module.__name__}.{name}")
    return sorted(missing)


def test_every_public_function_and_class_has_an_example():
    missing = _without_example()
    assert not missing, "no '>>>' example in the docstring of:\n  " + "\n  ".join(missing)
