"""Where the files FlowRed ships beside its code are: the editor (``web/``) and the example flows
(``flows/``), installed as the package data ``flowred.web`` and ``flowred.flows``.

Both are found with ``importlib.resources``, so they are there in a wheel install, an editable
install and a source checkout alike.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["web_dir", "examples_dir"]


def _package_dir(package: str) -> Path:
    """The folder of a data package on the file system (a wheel unpacks to real files).

    Raises FileNotFoundError when the package is not installed with FlowRed."""
    path = Path(str(files(package)))
    if not path.is_dir():
        raise FileNotFoundError(f"{package} is not installed with flowred ({path})")
    return path.resolve()


def web_dir() -> Path:
    """The editor's static files (``index.html``, ``js/``, ``style.css``)."""
    return _package_dir("flowred.web")


def examples_dir() -> Path:
    """The example flows offered under Import › Examples (``*.json``)."""
    return _package_dir("flowred.flows")
