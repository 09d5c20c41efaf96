# xfollow: the README's commands. `make demo` runs the main job, `make test` every suite.
CARGO   ?= cargo
VENV    := .venv
PY      := $(VENV)/bin/python
PROFILE := debug
TARGET  := target/$(PROFILE)
EMULATOR := $(TARGET)/xfollow-emulator

.PHONY: all build venv demo test test-rust test-emulator-py

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

test: test-rust test-emulator-py

test-rust:
	$(CARGO) test --workspace

test-emulator-py: build venv
	$(PY) -m pytest -q emulator/tests/python
