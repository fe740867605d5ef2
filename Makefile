# lsc-tui: the two commands are `make run` (set up and start lsc) and `make test`
# (set up and run the whole suite). Everything else here serves those two.

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lsc-installed
# Built llama-cpp-python wheels are kept here so a fresh venv never rebuilds them.
# llama.cpp is compiled for the building CPU (-march=native), so the cache is keyed
# by the CPU's feature flags: a wheel built on another machine could die of SIGILL.
CPU_KEY := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | md5sum | cut -c1-12)
WHEELS ?= $(HOME)/.cache/lsc-tui/wheels/$(or $(CPU_KEY),generic)
LLAMA_CPP := llama-cpp-python==0.3.36
# AMX off: some VMs advertise AMX in CPUID without enabling its register state, and
# ggml's AMX matmul then dies on its first `tilezero` (seen on this project's CI
# machines). GCC lets these explicit -mno-* flags win over -march=native.
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS := -DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'
SYSTEM_PACKAGES := tmux bubblewrap
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: setup run test quick check lint types system-deps test-models snapshots-update e2e clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=25.1"
	mkdir -p $(WHEELS)
	@echo "building $(LLAMA_CPP) once (about 5 minutes on 2 cores; cached in $(WHEELS))"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip wheel -q --no-deps --no-cache-dir --find-links $(WHEELS) -w $(WHEELS) $(LLAMA_CPP)
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
