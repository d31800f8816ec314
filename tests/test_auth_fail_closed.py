"""adminAuth fails closed: no usable user is a start-up error, the non-loopback refusal checks
effective auth, bcrypt runs off the event loop at the same cost for unknown users, revoking
needs the token, and the login throttle's lockout ends."""
from __future__ import annotations

import asyncio
import time

import bcrypt
import pytest
from test_cli import FLOWRED

from flowred.settings import Settings

from conftest import ROOT, TEST_TAB, free_port

SLOW_HASH = bcrypt.hashpw(b"right", bcrypt.gensalt(12)).decode()  # ~0.2 s a check
FAST_HASH = bcrypt.hashpw(b"right", bcrypt.gensalt(4)).decode()


def auth(password_hash: str = FAST_HASH, **extra) -> dict:
    return {"type": "credentials", "users": [{"username": "admin", "password": password_hash, "permissions": "*"}],
            **extra}


async def login(rt, username: str, password: str) -> tuple[int, dict, float]:
    """POST /auth/token as the editor does; (status, body, monotonic time it answered)."""
    resp = await rt.http.post(rt.url + "/auth/token", data={
        "client_id": "node-red-editor", "grant_type": "password", "scope": "*",
        "username": username, "password": password})
    return resp.status, await resp.json(), time.monotonic()


@pytest.mark.parametrize("admin_auth", [
    {"type": "credentials"},
    {"type": "credentials", "users": []},
    {"type": "credentials", "users": [{"username": "admin", "password": "plain-text", "permissions": "*"}]},
    {"type": "credentials", "users": [{"password": FAST_HASH, "permissions": "*"}]},
    {"type": "credentials", "default": {"permissions": "read"}},
])
def test_admin_auth_without_a_usable_user_is_an_error(admin_auth):
    with pytest.raises(ValueError, match="adminAuth"):
        Settings(adminAuth=admin_auth)


async def run_cli(tmp_path, settings_toml: str, *args: str) -> tuple[int, str]:
    (tmp_path / "settings.toml").write_text(settings_toml)
    proc = await asyncio.create_subprocess_exec(
        FLOWRED, "run", "--userDir", str(tmp_path), "--port", str(free_port()), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), 30)
    except asyncio.TimeoutError:
        proc.kill()
        out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_an_empty_admin_auth_in_the_settings_file_stops_the_start(tmp_path):
    code, out = await run_cli(tmp_path, '[adminAuth]\ntype = "credentials"\nusers = []\n')
    assert code == 1
    assert "settings.toml" in out and "adminAuth" in out and "users" in out
    assert "Server now running" not in out
    code, out = await run_cli(tmp_path, '[adminAuth]\ntype = "credentials"\n'
                                        'users = [{ username = "admin", password = "secret", permissions = "*" }]\n')
    assert code == 1 and "settings.toml" in out and "bcrypt" in out
    assert "secret" not in out.replace("settings", "")  # the bad value is not echoed into the log


async def test_a_non_loopback_bind_needs_auth_that_guards_writes(tmp_path):
    anyone_writes = (f'[adminAuth]\ntype = "credentials"\ndefault = {{ permissions = "*" }}\n'
                     f'users = [{{ username = "admin", password = "{FAST_HASH}", permissions = "*" }}]\n')
    code, out = await run_cli(tmp_path, anyone_writes, "--host", "0.0.0.0")
    assert code == 1 and "Refusing to listen on 0.0.0.0" in out and "Server now running" not in out


def cost_of_a_check(hashed: str) -> float:
    """The least time of three bcrypt checks here: what one login must cost at least."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        bcrypt.checkpw(b"wrong", hashed.encode())
        times.append(time.perf_counter() - start)
    return min(times)


async def test_wrong_logins_run_off_the_event_loop(start_runtime):
    rt = await start_runtime([TEST_TAB], adminAuth=auth(SLOW_HASH))
    check = cost_of_a_check(SLOW_HASH)
    start = time.monotonic()
    logins = [asyncio.ensure_future(login(rt, "admin", f"wrong{i}")) for i in range(10)]
    await asyncio.sleep(0.05)  # the logins are in; the server is hashing
    cheap = await rt.http.get(rt.url + "/auth/login")
    cheap_done = time.monotonic()
    results = await asyncio.gather(*logins)
    assert cheap.status == 200 and all(r[0] == 401 for r in results)
    assert max(r[2] for r in results) - start >= 0.5 * check  # the logins did run bcrypt
    assert cheap_done < min(r[2] for r in results)  # ... and the cheap request did not wait for any


async def test_an_unknown_user_costs_a_bcrypt_check(start_runtime):
    rt = await start_runtime([TEST_TAB], adminAuth=auth(SLOW_HASH))
    check = cost_of_a_check(SLOW_HASH)
    start = time.monotonic()
    status, body, done = await login(rt, "nobody", "wrong")
    assert (status, body) == (401, {"error": "invalid_grant"})
    assert done - start >= 0.3 * check


async def test_revoke_needs_the_token_it_revokes(start_runtime):
    rt = await start_runtime([TEST_TAB], adminAuth=auth())
    url = rt.url + "/auth/revoke"
    assert (await rt.http.post(url)).status == 401
    assert (await rt.http.post(url, data={"token": "not-a-token"})).status == 401
    _, first, _ = await login(rt, "admin", "right")
    _, second, _ = await login(rt, "admin", "right")
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert (await rt.http.post(url, headers=bearer)).status == 200  # the Bearer token itself
    assert (await rt.http.get(rt.url + "/flows", headers=bearer)).status == 401
    assert (await rt.http.post(url, headers=bearer)).status == 401  # gone
    other = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await rt.http.post(url, data={"token": second["access_token"]})).status == 200  # as the editor sends it
    assert (await rt.http.get(rt.url + "/flows", headers=other)).status == 401


async def test_the_login_lockout_ends(start_runtime):
    rt = await start_runtime([TEST_TAB], adminAuth=auth(loginFailureWindow=2))
    for _ in range(10):
        assert (await login(rt, "admin", "guess"))[0] == 401
    resp = await rt.http.post(rt.url + "/auth/token", data={"username": "admin", "password": "right"})
    assert resp.status == 429 and 1 <= int(resp.headers["Retry-After"]) <= 2
    deadline = time.monotonic() + 20
    while True:  # trying again while locked out does not extend the lockout
        status, body, _ = await login(rt, "admin", "right")
        if status == 200 or time.monotonic() > deadline:
            break
        assert status == 429
        await asyncio.sleep(0.25)
    assert status == 200 and body["token_type"] == "Bearer"
