# xfollow: the README's commands. `make demo` runs the main job, `make test` every suite.
CARGO   ?= cargo
VENV    := .venv
PY      := $(VENV)/bin/python
PROFILE := debug
TARGET  := target/$(PROFILE)
EMULATOR := $(TARGET)/xfollow-emulator

.PHONY: all build venv system-deps demo test test-rust test-emulator-py test-python

# Debian packages the suites need (Ruby for the gem's tests, Redis for the shared quota
# ledger, valgrind for the C tests), installed only when running as root and missing.
SYSTEM_PACKAGES := ruby ruby-ffi ruby-minitest redis-server valgrind pkg-config

all: build

build:
	$(CARGO) build -p xfollow -p xfollow-emulator

# A local virtualenv with the Python packages the suites need.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages: $$missing (run as root or install them)"; exit 1; \
	  fi; \
	fi

test: system-deps test-rust test-emulator-py test-python

# The Python package against the debug library and the emulator; one of its tests also
# runs `pip install ./bindings/python` (a release build) into a fresh virtualenv.
test-python: build venv
	XFOLLOW_LIBRARY=$(CURDIR)/$(TARGET)/libxfollow.so PYTHONPATH=bindings/python \
	  $(PY) -m pytest -q bindings/python/tests

test-rust:
	$(CARGO) test --workspace

test-emulator-py: build venv
	$(PY) -m pytest -q emulator/tests/python
