# cognito-fcgi. On a fresh Debian 12 machine, as root:
#   make run    install what is missing, build (release), serve on http://127.0.0.1:8080 (PORT=...)
#   make test   install what is missing, build (debug), run the Swift tests and the e2e tests
#   make dist   one self-contained release binary + tarball in dist/ (docs/DEPLOY.md)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# The toolchain lives in /opt/swift; find it even when PATH was not set up for it.
SWIFT_TOOLCHAIN_BIN := /opt/swift/usr/bin
ifneq ($(wildcard $(SWIFT_TOOLCHAIN_BIN)/swift),)
export PATH := $(SWIFT_TOOLCHAIN_BIN):$(PATH)
endif

PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
REQUIREMENTS := Tests/e2e/requirements.txt
PYTEST_ARGS ?=

.PHONY: run test build release dist deps venv unit e2e stress clean

## System packages (nginx, libfcgi-dev, libargon2-dev, ...): only what is missing.
deps:
	bash scripts/install-deps.sh

## The e2e tests' virtualenv, with pinned packages; re-made when requirements.txt changes.
venv: $(VENV)/.requirements-installed

$(VENV)/.requirements-installed: $(REQUIREMENTS)
	@test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --disable-pip-version-check --quiet --requirement $(REQUIREMENTS)
	@touch $@

## Debug build of everything (the e2e tests use .build/debug/cognito-fcgi).
build: deps
	swift build

release: deps
	swift build -c release --product cognito-fcgi

## dist/cognito-fcgi (Swift runtime, Foundation, libfcgi and libargon2 linked in: runs without a Swift
## toolchain) and dist/cognito-fcgi-<version>-linux-<arch>.tar.gz with deploy/ and docs/DEPLOY.md.
## Tests/e2e/test_dist.py (part of `make test`) builds and checks the same.
dist: deps
	bash scripts/dist.sh

## Serve on 127.0.0.1:$(PORT) (default 8080) with the data in ./var; Ctrl-C stops everything.
run: deps
	bash scripts/run.sh

unit: deps
	swift build
	swift test

e2e: deps venv
	swift build --product cognito-fcgi
	$(VENV_PY) -m pytest Tests/e2e $(PYTEST_ARGS)

## Crash safety: kill -9 workers at random under write load, then check no answered write was lost
## (Tests/stress; STRESS_KILLS=24, STRESS_THREADS=8). About 30 s, so `make test` runs it too.
stress: deps venv
	swift build --product cognito-fcgi
	$(VENV_PY) -m pytest Tests/stress

## Everything CI runs (.ci/run). pytest's exit status 5 (no tests collected) fails like any other.
test: deps venv
	swift build
	swift test
	$(VENV_PY) -m pytest Tests/e2e $(PYTEST_ARGS)
	$(VENV_PY) -m pytest Tests/stress
	# The benchmark itself still works: a few seconds per operation on the debug binary, no timing assertions.
	BENCH_BIN=$(CURDIR)/.build/debug/cognito-fcgi bash bench/run.sh --smoke

## Benchmark (docs/BENCHMARKS.md): the service behind nginx beside its no-op ceiling (GET /ping) and moto_server,
## under wrk; one table. BENCH_SECONDS, BENCH_USERS=100000, BENCH_CONNECTIONS, BENCH_OPS; BENCH_BIN skips the build.
## bench-smoke: a few seconds of each operation against the service only; fails on errors or unexpected statuses.
.PHONY: bench bench-smoke
bench: deps
	bash bench/run.sh

bench-smoke: deps
	bash bench/run.sh --smoke

## Build products and the virtualenv. ./var (make run's data and keys) is kept: remove it yourself.
clean:
	rm -rf .build dist $(VENV) .pytest_cache Tests/e2e/__pycache__
