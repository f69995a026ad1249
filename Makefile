# frontdesk: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
# Debian packages the test suite uses: a real MQTT broker (and mosquitto_sub and
# mosquitto_pub, which the docs use to watch it), a real browser,
# a real PostgreSQL server, and OpenCV's sample chessboard photographs.
DEB_PACKAGES := mosquitto mosquitto-clients chromium postgresql opencv-doc openssl

.PHONY: demo test venv system-deps bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	@touch $(STAMP)

system-deps:
	@bash deploy/ensure-debian-packages.sh $(DEB_PACKAGES)

demo: $(STAMP)
	$(VENV)/bin/frontdesk demo

# Test files run in parallel, each file's tests on one worker (their session fixtures,
# such as the rendered scenes, are made once): TEST_WORKERS=0 runs them in turn.
TEST_WORKERS ?= auto

test: $(STAMP) system-deps
	$(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(STAMP)
	$(VENV)/bin/frontdesk bench perception --json

lint: $(STAMP)
	$(VENV)/bin/ruff check frontdesk tests
	$(VENV)/bin/mypy frontdesk

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
