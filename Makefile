# lsc-tui: the two commands are `make run` (set up and start lsc) and `make test`
# (set up and run the whole suite). Everything else here serves those two.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lsc-installed
# Built llama-cpp-python wheels are kept here so a fresh venv never rebuilds them.
WHEELS ?= $(HOME)/.cache/lsc-tui/wheels
LLAMA_CPP := llama-cpp-python==0.3.36
SYSTEM_PACKAGES := tmux bubblewrap
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup run test quick check lint types system-deps test-models snapshots-update e2e clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	mkdir -p $(WHEELS)
	@echo "building $(LLAMA_CPP) once (about 5 minutes on 2 cores; cached in $(WHEELS))"
	$(PY) -m pip wheel -q --no-deps --find-links $(WHEELS) -w $(WHEELS) $(LLAMA_CPP)
	$(PY) -m pip install -q --find-links $(WHEELS) -e . --group test --group dev
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/lsc

# tmux (end-to-end tests) and bubblewrap (the sandbox's preferred tier) come from
# Debian; installed when missing and we are root, otherwise say what to install.
system-deps:
	@missing=""; for p in tmux bwrap; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
	  else echo "missing:$$missing; install the packages $(SYSTEM_PACKAGES)"; fi; \
	fi

test-models:
	../shared/tools/fetch-test-models smollm2-135m qwen2.5-coder-0.5b

test: setup system-deps test-models
	$(VENV)/bin/pytest -p no:cacheprovider

quick: setup
	$(VENV)/bin/pytest -m "not model and not e2e and not slow" -q

lint: setup
	$(VENV)/bin/ruff format --check lsc_tui tests benchmarks
	$(VENV)/bin/ruff check lsc_tui tests benchmarks

types: setup
	$(VENV)/bin/mypy

check: lint types quick

snapshots-update: setup
	$(VENV)/bin/pytest tests/snapshots --snapshot-update

e2e: setup system-deps test-models
	$(VENV)/bin/pytest -m e2e

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .mypy_cache
