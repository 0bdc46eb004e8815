# dioxide's commands. `make help` lists them; README and CI call these targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed-dev

BENCH_VENV  ?= .venv-bench
BENCH_PY    := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed-bench
BENCH_WHEEL := target/bench-wheel
BENCH_ARGS  ?=

# `make bench-instructions` builds into a venv of its own, per interpreter:
# PYTHON=/path/to/python3.12 gives .venv-instr-3.12 (a free-threaded 3.13: .venv-instr-3.13t).
INSTR_VERSION = $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}{sys.abiflags}")')
INSTR_VENV  ?= .venv-instr-$(INSTR_VERSION)
INSTR_PY    := $(INSTR_VENV)/bin/python
INSTR_WHEEL := target/instr-wheel-$(INSTR_VERSION)
INSTR_ARGS  ?=

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.7,<2" "typing_extensions>=4.13" \
	  "pytest>=8" "hypothesis>=6.100" "mypy==2.4.1" "ruff==0.17.6" \
	  "fastapi==0.165.0" "httpx2==2.16.2" "flask==3.1.3" \
	  "mkdocs==1.6.1" "mkdocstrings[python]==1.0.8" "mkdocstrings-python==2.0.11"
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

.PHONY: docs
# Needs the built extension: the API reference reads the Rust methods' docstrings from it.
docs: build ## Build the docs site into site/ (mkdocs --strict: a broken link or reference fails)
	$(PY) -m mkdocs build --strict --quiet

.PHONY: lint
lint: venv ## ruff (pyflakes, bugbear) on the Python; rustfmt and clippy (warnings as errors) on the Rust
	$(VENV)/bin/ruff check python tests examples benchmarks docs
	cargo fmt --all --check
	cargo clippy --quiet --workspace --all-targets -- -D warnings

.PHONY: test
test: lint test-rust test-python typecheck docs ## Build and run every test: lint, cargo, pytest (examples, docs examples), mypy, stubtest, docs build

# `make test` runs the property tests on a fixed budget (256 proptest cases,
# 300 Hypothesis worlds per model test, fixed seeds); this runs far more,
# with a fresh proptest seed each time (printed, to replay a failure).
FUZZ_CASES    ?= 20000
FUZZ_EXAMPLES ?= 2000

.PHONY: fuzz
fuzz: build ## Long property runs: registry proptest (FUZZ_CASES) and the Python model agreement (FUZZ_EXAMPLES)
	@seed=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); \
	  echo "proptest: $(FUZZ_CASES) cases, PROPTEST_RNG_SEED=$$seed"; \
	  PROPTEST_CASES=$(FUZZ_CASES) PROPTEST_RNG_SEED=$$seed \
	  cargo test --quiet --release -p dioxide-core --test proptest_graph
	DIOXIDE_MODEL_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q tests/test_model_agreement.py

# The benchmark venv gets dioxide as a wheel built from this checkout, not an
# editable install, so a rebuild for .venv cannot change it mid-run.
$(BENCH_STAMP): benchmarks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --upgrade pip
	$(BENCH_PY) -m pip install --quiet "maturin>=1.7,<2" "typing_extensions>=4.13" \
	  -r benchmarks/requirements.txt
	touch $(BENCH_STAMP)

.PHONY: bench
bench: $(BENCH_STAMP) ## Benchmark dioxide against hand-written code and its peers (BENCH_ARGS=--quick for a smoke run)
	rm -rf $(BENCH_WHEEL)
	$(BENCH_VENV)/bin/maturin build --release --quiet --interpreter $(BENCH_PY) --out $(BENCH_WHEEL)
	$(BENCH_PY) -m pip install --quiet --force-reinstall --no-deps $(BENCH_WHEEL)/*.whl
	$(BENCH_PY) -m benchmarks.run $(BENCH_ARGS)

.PHONY: bench-instructions
bench-instructions: ## Instructions per operation (S1-S6) under valgrind's callgrind: dioxide vs hand-written vs d[T] (PYTHON= picks the interpreter)
	@command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
	@test -x $(INSTR_PY) || { $(PYTHON) -m venv $(INSTR_VENV) && \
	  $(INSTR_PY) -m pip install --quiet --upgrade pip && \
	  $(INSTR_PY) -m pip install --quiet "maturin>=1.7,<2" "typing_extensions>=4.13"; }
	rm -rf $(INSTR_WHEEL)
	$(INSTR_VENV)/bin/maturin build --release --quiet --interpreter $(INSTR_PY) --out $(INSTR_WHEEL)
	$(INSTR_PY) -m pip install --quiet --force-reinstall --no-deps $(INSTR_WHEEL)/*.whl
	$(INSTR_PY) -m benchmarks.instructions --out benchmarks/results/instructions-$(INSTR_VERSION).md $(INSTR_ARGS)

.PHONY: clean
clean: ## Remove build outputs and the virtualenvs
	rm -rf target site $(VENV) $(BENCH_VENV) .venv-instr-* .mypy_cache .pytest_cache .hypothesis
	find python -name '*.so' -delete
