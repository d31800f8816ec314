"""Node status texts that are i18n keys are drawn in English, as Node-RED's editor draws them:
the OpenAI API node's red ring ``node-red:common.status.error`` (the package's key) reads
"error" on the canvas, against a real ``flowred run --openai-emulator`` process."""
from __future__ import annotations

import json

import pytest
from test_editor import (  # noqa: F401
    SEED,
    Server,
    browser,
    expect,
    node_el,
    open_editor,
    page,
    start_server,
)

pytestmark = pytest.mark.usefixtures("browser")


def test_the_packages_status_keys_are_drawn_in_english(start_server, page, tmp_path):  # noqa: F811
    flows = json.loads(SEED.read_text())
    inject = next(n for n in flows if n["type"] == "inject")
    for prop in inject["props"]:
        if prop["p"] == "ai.session.type":
            prop["v"] = "voice"  # the emulator answers 400: the node shows its error status
    source = tmp_path / "seed-400.json"
    source.write_text(json.dumps(flows))
    server: Server = start_server(source)
    open_editor(page, server)
    page.get_by_role("button", name=f"Inject: {inject['name']}").click()
    label = node_el(page, "Create Realtime Client Secret").locator(".node-status-label")
    expect(label).to_have_text("error", timeout=15000)
    assert server.get("/flows")  # still serving
