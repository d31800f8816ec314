"""The ``node-red-admin`` CLI (npm) as a real client of FlowRed's Admin API: target, login,
list, info, enable/disable print what they print against Node-RED
(tests/reference/node_red_admin_cli.json)."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import bcrypt
import pytest

from conftest import REFERENCE, ROOT, TEST_TAB, feeder, make_node

CACHE = ROOT / "tests" / ".cache" / "node-red-admin"
CLI = CACHE / "node_modules" / ".bin" / "node-red-admin"
RECORDED = json.loads((REFERENCE / "node_red_admin_cli.json").read_text())


@pytest.fixture(scope="session")
def node_red_admin() -> Path:
    """node-red-admin 4 from the npm registry, installed once into tests/.cache."""
    if not CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install node-red-admin (Debian: apt-get install -y npm)")
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), "node-red-admin@4"],
                       check=True, capture_output=True, timeout=300)
    return CLI


async def run(cli: Path, home: Path, *args: str, answers: tuple[str, ...] = ()) -> tuple[int, str, str]:
    """Run the CLI with ``HOME`` (where it keeps its target and tokens) in a test folder;
    ``answers`` are typed at its prompts one by one, as a user would."""
    proc = await asyncio.create_subprocess_exec(
        str(cli), *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "HOME": str(home)})
    shown = b""
    for i, answer in enumerate(answers):
        while shown.count(b":") <= i:  # wait for prompt i ("Username:", "Password:") before typing
            chunk = await asyncio.wait_for(proc.stdout.read(1024), 60)
            if not chunk:
                break
            shown += chunk
        proc.stdin.write(answer.encode() + b"\n")
        await proc.stdin.drain()
    out, err = await asyncio.wait_for(proc.communicate(b""), 60)
    out = shown + out
    return proc.returncode, out.decode(), err.decode()


def recorded(command: str) -> dict:
    return next(c for c in RECORDED["commands"] if c["command"] == command)


async def test_target_list_info_enable_disable(start_runtime, node_red_admin, tmp_path):
    rt = await start_runtime([TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")])
    home = tmp_path / "home"
    home.mkdir()
    code, out, _ = await run(node_red_admin, home, "target", rt.url)
    assert code == 0 and out == f"Target: {rt.url}\n"
    code, out, _ = await run(node_red_admin, home, "login")
    assert code == 0 and out == recorded("node-red-admin login")["stdout"]  # no adminAuth: nothing to do

    code, out, _ = await run(node_red_admin, home, "list")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header == recorded("node-red-admin list")["stdout"].splitlines()[0].split() == ["Nodes", "Types", "State"]
    assert any(line.split()[:3] == ["flowred/inject", "inject", "enabled"] for line in out.splitlines())

    code, out, _ = await run(node_red_admin, home, "info", "flowred/inject")
    assert code == 0
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    assert {k: v.strip() for k, v in fields.items()} == {
        "Name": "flowred/inject", "Module": "flowred", "Version": fields["Version"].strip(),
        "Types": "inject", "State": "enabled"}
    info = recorded("node-red-admin info node-red/inject")["stdout"]
    assert list(fields) == [line.split(":")[0] for line in info.splitlines() if line]

    code, out, _ = await run(node_red_admin, home, "disable", "flowred/sort")
    assert code == 0 and out.splitlines()[1].split() == ["flowred/sort", "sort", "disabled"]
    code, out, _ = await run(node_red_admin, home, "enable", "flowred/sort")
    assert code == 0 and out.splitlines()[1].split() == ["flowred/sort", "sort", "enabled"]

    code, out, err = await run(node_red_admin, home, "disable", "flowred/debug")  # in use
    assert "Type in use" in out + err


async def test_login_with_admin_auth(start_runtime, node_red_admin, tmp_path):
    users = [{"username": "admin", "password": bcrypt.hashpw(b"pw-123", bcrypt.gensalt(8)).decode(),
              "permissions": "*"}]
    rt = await start_runtime([TEST_TAB], adminAuth={"type": "credentials", "users": users})
    home = tmp_path / "home"
    home.mkdir()
    await run(node_red_admin, home, "target", rt.url)
    code, out, err = await run(node_red_admin, home, "list")
    assert code != 0 or "401" in out + err or "login" in (out + err).lower()
    code, out, err = await run(node_red_admin, home, "login", answers=("admin", "pw-123"))
    assert code == 0 and "Logged in" in out, out + err
    code, out, _ = await run(node_red_admin, home, "list")
    assert code == 0 and "flowred/inject" in out
