# Two commands do all the set-up: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 0.0.0.0
PORT ?= 5000
WORKERS ?= 2
THREADS ?= 4
# make run HTTPS=1: HTTPS on HTTPS_PORT for the tablet cameras beside plain HTTP on PORT (kiosk/tablets).
HTTPS ?= 0
HTTPS_PORT ?= 5443
TLS := instance/tls
STAMPS := .make
FLASK := $(BIN)/flask --app kiosk
PO := $(wildcard kiosk/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test test-postgres install install-test translations messages browser database serve bench bench-quick bench-tools clean

run: install translations database serve

# The browser tests one at a time (they time a scanner's keystrokes and slow the CPU down as on a
# cheap tablet, so they get the machine to themselves), then the unit and HTTP tests spread over
# every core with pytest-xdist (TEST_WORKERS=1 for one process): every other test folder, so a new
# one is never left out. PYTEST_ARGS runs just what it names.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest
SUITE := $(if $(PYTEST_ARGS),$(PYTEST) $(PYTEST_ARGS),$(PYTEST) tests/browser && $(PYTEST) -n $(TEST_WORKERS) --ignore=tests/browser)

test: install-test translations browser
	$(SUITE)

# The whole suite again on PostgreSQL: a throwaway server on a free local port, removed afterwards
# (tests/with_postgres.sh; as root it installs Debian's postgresql when it is missing).
test-postgres: install-test translations browser
	bash tests/with_postgres.sh bash -c '$(SUITE)'

install: $(STAMPS)/install
install-test: $(STAMPS)/install-test
translations: $(MO)

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMPS)/install: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/install-test: pyproject.toml $(STAMPS)/install
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# Catalogs are compiled from the .po files whenever those change, so they are never stale.
%.mo: %.po | $(STAMPS)/install
	$(BIN)/pybabel compile --statistics -i $< -o $@

# For developers: pull new strings from the code into the catalogs (then translate them).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o kiosk/translations/messages.pot .
	$(BIN)/pybabel update -i kiosk/translations/messages.pot -d kiosk/translations --no-fuzzy-matching --ignore-obsolete

# Browser tests drive Debian's Chromium, never a downloaded browser build.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is not installed at /usr/bin/chromium, so the browser tests will be skipped."; \
		echo "Install it with: sudo apt-get install chromium"; \
		if [ "$$CI" = true ]; then exit 1; fi; \
	fi
	@# certutil (libnss3-tools): the HTTPS browser test makes Chromium trust the station's root with it.
	@if command -v certutil >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's libnss3-tools (certutil) for the HTTPS browser test…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnss3-tools >/dev/null; \
	else \
		echo "certutil is not installed, so the HTTPS browser test will be skipped."; \
		echo "Install it with: sudo apt-get install libnss3-tools"; \
		if [ "$$CI" = true ]; then exit 1; fi; \
	fi
	@# Chinese type for the pages' text: without it Chromium draws boxes, and the accessibility audit's
	@# sizes, rows and screenshots would be measured on the wrong glyphs.
	@if fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's fonts-noto-cjk for the browser tests…"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null \
		|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }; \
	else \
		echo "No Chinese font (fonts-noto-cjk): screenshots will show boxes. Install it with: sudo apt-get install fonts-noto-cjk"; \
	fi
	@# A first start of a freshly installed Chromium is slow; warm it up so the first timing-
	@# sensitive browser test (a scanner's fast keystrokes) does not meet a cold browser.
	@[ ! -x /usr/bin/chromium ] || { profile=$$(mktemp -d); timeout 60 /usr/bin/chromium --headless --no-sandbox \
		--disable-gpu --disable-background-networking --no-first-run --user-data-dir="$$profile" \
		--dump-dom about:blank >/dev/null 2>&1; rm -rf "$$profile"; }

# instance/ (with its secret key) is made by the app itself on first start.
database: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo

GUNICORN = $(BIN)/gunicorn --no-control-socket --workers $(WORKERS) --threads $(THREADS) --access-logfile - 'kiosk:create_app()'

# With HTTPS=1: the station's certificates are made (or issued again for new addresses) first, then
# two gunicorns serve the same app, plain HTTP on PORT (barcode scanners, downloading the station's
# root certificate) and HTTPS on HTTPS_PORT (the camera): gunicorn takes one TLS setting per process.
# When either stops, the other is stopped too.
serve: install
ifeq ($(HTTPS),1)
	$(FLASK) station-certificate
	@echo "Serving on http://$(HOST):$(PORT)/ and https://$(HOST):$(HTTPS_PORT)/  (Ctrl-C stops)"
	@export KIOSK_HTTP_PORT=$(PORT) KIOSK_HTTPS_PORT=$(HTTPS_PORT); \
	$(GUNICORN) --bind $(HOST):$(PORT) & plain=$$!; \
	$(GUNICORN) --bind $(HOST):$(HTTPS_PORT) --certfile $(TLS)/server.pem --keyfile $(TLS)/server-key.pem & secure=$$!; \
	trap 'kill $$plain $$secure 2>/dev/null; wait' EXIT INT TERM; \
	wait -n
else
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C stops)"
	@# The port for the addresses on "Set up a tablet", which also says no HTTPS is served (port 0).
	KIOSK_HTTP_PORT=$(PORT) KIOSK_HTTPS_PORT=0 $(GUNICORN) --bind $(HOST):$(PORT)
endif

# Every benchmark with its targets (bench/run_all.py: a rush of scans with wrk beside raw sqlite3
# and bare Flask on SQLite and a throwaway PostgreSQL; scan to confirmation, the decoder and page
# bytes in Chromium; Today after years of history), written to bench/results.json. bench-quick:
# shorter runs on SQLite only, under two minutes. See bench/README.md.
bench: install-test translations browser bench-tools
	bash tests/with_postgres.sh $(BIN)/python bench/run_all.py

bench-quick: install-test translations browser bench-tools
	$(BIN)/python bench/run_all.py --quick

# wrk makes the load; nginx stands in front of the district set-up (docs/nginx-district.conf). The
# bench starts its own nginx on a free port; Debian's package may also start its default site.
bench-tools:
	@command -v wrk >/dev/null && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } \
		|| { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null; } \
		|| { echo "wrk and nginx are needed: sudo apt-get install wrk nginx"; exit 1; }

clean:
	rm -rf $(VENV) $(STAMPS) build *.egg-info .pytest_cache
