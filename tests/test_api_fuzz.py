"""The Admin API fuzzed with schemathesis from its own ``GET /openapi.json``, against a real
``flowred run`` process on loopback: valid and schema-violating requests for every operation
(a few examples each), asserting no 5xx, every 4xx a JSON ``{code, message}`` (except the
answers Node-RED gives as text or OAuth2 errors, documented so) and that a refused request never
changes the running flows (their rev)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
requests = pytest.importorskip("requests")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

from conftest import TEST_TAB, feeder, free_port, make_node  # noqa: E402

FLOWRED = str(Path(sys.executable).with_name("flowred"))
FLOWS = [TEST_TAB, feeder("i1", "d1"), make_node("d1", "debug")]
EXAMPLES = 6  # per operation and generation mode
SKIP = {("GET", "/comms")}  # a websocket: no HTTP answer to check
# answers that are not the Admin API's JSON errors, on purpose (as Node-RED's)
TEXT_404 = {"/inject/{id}", "/debug/{id}/{state}", "/debug/{state}"}
OAUTH = {("POST", "/auth/token")}


@pytest.fixture
def server(tmp_path):
    """A ``flowred run`` process with FLOWS; yields its base URL."""
    flow_file = tmp_path / "flows.json"
    flow_file.write_text(json.dumps(FLOWS))
    port = free_port()
    log = open(tmp_path / "flowred.log", "wb")
    proc = subprocess.Popen([FLOWRED, "run", str(flow_file), "--userDir", str(tmp_path), "--port", str(port),
                             "--no-watch"], stdout=log, stderr=subprocess.STDOUT,
                            env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")})
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "/flows", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert proc.poll() is None and time.monotonic() < end, (tmp_path / "flowred.log").read_text()
        time.sleep(0.1)
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_fuzzing_the_admin_api_finds_no_5xx_and_refusals_change_nothing(server):
    http = requests.Session()
    doc = http.get(server + "/openapi.json").json()
    schema = schemathesis.openapi.from_dict(doc)
    schema.config.update(base_url=server)
    failures: list[str] = []
    counts = {"calls": 0, "refused": 0}
    last = {"rev": ""}

    def rev() -> str:
        return http.get(server + "/flows", headers={"Node-RED-API-Version": "v2"}).json()["rev"]

    def check(case) -> None:
        key = (case.operation.method.upper(), case.operation.path)
        before = last["rev"]
        resp = case.call(session=http, timeout=30)
        counts["calls"] += 1
        last["rev"] = after = rev()
        where = (f"{key[0]} {case.formatted_path} body={str(case.body)[:200]!r} headers={case.headers} "
                 f"-> {resp.status_code}")
        if resp.status_code >= 500:
            failures.append(f"{where}: {resp.text[:300]}")
            return
        if resp.status_code >= 400:
            counts["refused"] += 1
            if after != before:
                failures.append(f"{where}: refused but the flows changed")
            if (resp.status_code == 404 and key[1] in TEXT_404) or (key in OAUTH and resp.status_code in (401, 429)):
                return
            try:
                body = resp.json()
            except ValueError:
                body = None
            if not (isinstance(body, dict) and isinstance(body.get("code"), str)
                    and isinstance(body.get("message"), str)):
                failures.append(f"{where}: error body is not JSON {{code, message}}: {resp.text[:200]!r}")

    started = time.monotonic()
    last["rev"] = rev()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        entry = doc["paths"][operation.path][operation.method.lower()]
        violable = "requestBody" in entry or any(p["in"] == "header" for p in entry.get("parameters", []))
        modes = [schemathesis.GenerationMode.POSITIVE] + [schemathesis.GenerationMode.NEGATIVE] * violable
        for mode in modes:  # a path or query string cannot violate a string schema: positive only
            @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                check(case)

            try:
                run()
            except Unsatisfiable:  # nothing to violate: no parameters, no body
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    elapsed = time.monotonic() - started
    print(f"fuzzed {counts['calls']} requests ({counts['refused']} refused) in {elapsed:.1f} s")
    assert counts["calls"] > 100 and counts["refused"] > 20
    assert not failures, "\n".join(failures[:30])
