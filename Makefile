# FlowRed: the two commands a fresh machine needs (Python >= 3.11 and make).
#   make run   install into .venv and run the example flow with the editor and the OpenAI emulator
#   make test  install into .venv and run the whole test suite

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 1880

.PHONY: run test bench compat install clean

# The editor's JavaScript packages (CodeMirror 6, acorn), pinned by web/vendor/package-lock.json and
# served as static ES modules (no bundler); npm comes from Debian's packages when missing.
VENDOR := web/vendor/node_modules/.package-lock.json
$(VENDOR): web/vendor/package.json web/vendor/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	cd web/vendor && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(VENDOR)

$(STAMP): pyproject.toml | $(VENDOR)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m compileall -q runtime nodes openai_emulator
	touch $(STAMP)

install: $(STAMP)

# The example flow is copied to .flowred/ once, so deploys from the editor never change flows/.
run: $(STAMP)
	mkdir -p .flowred
	test -f .flowred/flows.json || cp flows/realtime-client-secret.json .flowred/flows.json
	$(VENV)/bin/flowred run .flowred/flows.json --userDir .flowred --host $(HOST) --port $(PORT) --openai-emulator

# Browser tests drive Debian's chromium with Playwright; it is installed once when missing.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The MQTT broker with shared subscriptions the cluster tests use (amqtt has none).
MOSQUITTO := /usr/sbin/mosquitto
$(MOSQUITTO):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null

# The tests run on pytest-xdist workers, one per CPU core (TEST_WORKERS=0: all in one process);
# worksteal hands each worker a contiguous share and lets an idle one take over another's rest.
TEST_WORKERS ?= auto
test: $(STAMP) $(CHROMIUM) $(MOSQUITTO)
	$(PY) -m ruff check .
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist worksteal

# FlowRed and Node-RED side by side (benchmarks/README.md); not part of the tests.
bench: $(STAMP)
	$(PY) -m benchmarks

# Node-RED's shipped example flows on FlowRed and on Node-RED, side by side (compat/README.md);
# not part of the tests. Writes compat/RESULTS.md; differences do not fail the target.
compat: $(STAMP)
	$(PY) -m compat --examples --results compat/RESULTS.md || true

clean:
	rm -rf $(VENV) .flowred test-output web/vendor/node_modules
