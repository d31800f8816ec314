"""The editor's third-party ES modules (web/vendor): what npm ci installed matches the lock file,
the import map in index.html names every package the modules import (and the file each
package's own package.json gives for ES module imports), and the server serves them as
JavaScript."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, TEST_TAB

WEB = ROOT / "web"
VENDOR = WEB / "vendor"
MODULES = VENDOR / "node_modules"
# Static import and export-from statements, each at the start of a line as the packages' builds write them.
IMPORT = re.compile(r"""^(?:import|export)\s*(?:\{[^}]*\}|\*(?:\s*as\s+[\w$]+)?|[\w$]+(?:\s*,\s*\{[^}]*\})?)?"""
                    r"""\s*(?:from\s*)?['"]([^'"\n]+)['"]""", re.M)

needs_vendor = pytest.mark.skipif(not (MODULES / ".package-lock.json").is_file(),
                                  reason="web/vendor/node_modules is not installed (make install runs npm ci)")


def import_map() -> dict[str, str]:
    html = (WEB / "index.html").read_text()
    found = re.findall(r'<script type="importmap">(.*?)</script>', html, re.S)
    assert len(found) == 1
    return json.loads(found[0])["imports"]


def esm_entry(package: Path) -> str:
    """The file a package gives for `import` (package.json exports, else module), relative to it."""
    meta = json.loads((package / "package.json").read_text())
    exports = meta.get("exports")
    if isinstance(exports, dict) and "." in exports:
        exports = exports["."]
    if isinstance(exports, list):
        exports = next(e for e in exports if isinstance(e, dict))
    if isinstance(exports, dict):
        exports = exports.get("import") or exports.get("default")
    if isinstance(exports, dict):
        exports = exports.get("default")
    return (exports or meta["module"]).removeprefix("./")


def test_every_lock_entry_is_pinned_to_an_exact_version_with_a_hash():
    package = json.loads((VENDOR / "package.json").read_text())
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in package["dependencies"].values()), package["dependencies"]
    lock = json.loads((VENDOR / "package-lock.json").read_text())
    entries = {k: v for k, v in lock["packages"].items() if k}
    assert entries and all(v.get("integrity", "").startswith("sha512-") for v in entries.values())
    for name, version in package["dependencies"].items():
        assert entries[f"node_modules/{name}"]["version"] == version


@needs_vendor
def test_installed_packages_are_the_locked_ones():
    lock = json.loads((VENDOR / "package-lock.json").read_text())
    for key, entry in lock["packages"].items():
        if key and not entry.get("dev"):
            installed = json.loads((VENDOR / key / "package.json").read_text())
            assert installed["version"] == entry["version"], key


@needs_vendor
def test_the_import_map_resolves_every_import_of_the_code_editor():
    imports = import_map()
    for name, url in imports.items():
        assert url == f"./vendor/node_modules/{name}/{esm_entry(MODULES / name)}", name
        assert (WEB / url).is_file(), url
    # everything codemirror-setup.js loads, followed through the packages' own imports
    seen: set[Path] = set()
    todo = [WEB / "js" / "codemirror-setup.js"]
    bare: set[str] = set()
    while todo:
        file = todo.pop().resolve()
        if file in seen:
            continue
        seen.add(file)
        for spec in IMPORT.findall(file.read_text()):
            if spec.startswith("."):
                todo.append(file.parent / spec)
            else:
                assert spec in imports, f"{file.relative_to(WEB)} imports {spec!r}, which the import map lacks"
                bare.add(spec)
                todo.append(WEB / imports[spec])
    assert {"@codemirror/view", "@codemirror/state", "@lezer/common", "acorn"} <= bare
    unused = set(imports) - bare
    assert not unused, f"the import map names packages nothing imports: {unused}"


@needs_vendor
async def test_the_server_serves_the_vendor_modules_as_javascript(start_runtime):
    rt = await start_runtime([TEST_TAB])
    for url in set(import_map().values()):
        resp = await rt.http.get(rt.url + url[1:])
        assert resp.status == 200, url
        assert resp.content_type in ("text/javascript", "application/javascript"), (url, resp.content_type)
    page = await (await rt.http.get(rt.url + "/")).text()
    assert '<script type="importmap">' in page
    escape = await rt.http.get(rt.url + "/vendor/node_modules/../../../pyproject.toml")
    assert escape.status == 404
