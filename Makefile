# dioxide's commands. `make help` lists them; README and CI call these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-dev

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.7,<2" "typing_extensions>=4.13" \
	  "pytest>=8" "hypothesis>=6.100" "mypy==2.4.1"
	touch $(STAMP)

.PHONY: venv
venv: $(STAMP) ## Create .venv with the build and test tools

.PHONY: build
build: venv ## Build the Rust extension (release) and install dioxide into .venv
	$(VENV)/bin/maturin develop --release --quiet

.PHONY: demo
demo: build ## Build, install and run examples/quickstart.py
	$(PY) examples/quickstart.py

.PHONY: test-rust
test-rust: ## cargo test of the pure-Rust domain crate
	cargo test --quiet -p dioxide-core

.PHONY: test-python
test-python: build ## pytest (includes running every example)
	$(PY) -m pytest -q

.PHONY: typecheck
typecheck: build ## mypy --strict on the package, examples and typing tests; stubtest on the stub
	$(PY) tests/typing/check.py
	$(PY) -m mypy.stubtest dioxide._dioxide_core --allowlist stubs/stubtest-allowlist.txt

.PHONY: test
test: test-rust test-python typecheck ## Build and run every test: cargo, pytest, mypy, stubtest, examples

.PHONY: clean
clean: ## Remove build outputs and the virtualenv
	rm -rf target $(VENV) .mypy_cache .pytest_cache .hypothesis
	find python -name '*.so' -delete
