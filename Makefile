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
# PYTHON=/path/to/python3.12 gives .venv-instr-3.12 (a free-threaded 3.13: .venv-instr-3.13t,
# built as `make wheels` builds it, past PyO3's version check for 3.13t).
INSTR_VERSION = $(shell $(PYTHON) -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}{sys.abiflags}")')
INSTR_VENV  ?= .venv-instr-$(INSTR_VERSION)
INSTR_PY    := $(INSTR_VENV)/bin/python
INSTR_WHEEL := target/instr-wheel-$(INSTR_VERSION)
INSTR_ARGS  ?=

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# What the pytest suite needs, on every interpreter it runs on.
TEST_DEPS := "typing_extensions>=4.13" "pytest>=8" "hypothesis>=6.100" \
  "fastapi==0.165.0" "httpx2==2.16.2" "httpx==0.29.0" "flask==3.1.3"
# The frameworks of the integrations beyond FastAPI and Flask, and the
# libraries of the optional extras: `make test` requires them; the suites on
# the other interpreters leave out the test modules that need them
# (tests/conftest.py names them).
INTEGRATION_DEPS := "starlette==1.10.0" "litestar==2.25.0" "django==5.2.19" "aiohttp==3.14.5" \
  "celery==5.7.0" "click==8.5.1" "typer==0.29.2" "pydantic-settings==2.16.3" \
  "pydantic==2.14.4" "pyyaml==6.0.4"
# The libraries some docs examples use (<!-- requires: ... -->: the SQLAlchemy
# recipe, the "before" side of the migration guides). `make test` installs
# them and requires them; the other interpreters' suites skip those examples.
DOCS_EXAMPLE_DEPS := "sqlalchemy==2.1.9" "dependency-injector==4.49.1" "dishka==1.10.1"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet "maturin>=1.7,<2" $(TEST_DEPS) "mypy==2.4.1" "ruff==0.17.6" \
	  "mkdocs==1.6.1" "mkdocstrings[python]==1.0.8" "mkdocstrings-python==2.0.11" \
	  "mkdocs-material==9.8.1" "twine==7.0.0" $(DOCS_EXAMPLE_DEPS) $(INTEGRATION_DEPS) \
	  "basedpyright==1.40.2"
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

# `python -m dioxide graph -o graph.svg` renders with Graphviz's `dot`; the
# CLI tests render for real, so `make test` installs it when it is absent
# (Debian/Ubuntu; as root, or through sudo). Nothing runs when `dot` is there.
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: graphviz
graphviz: ## Install Graphviz's dot (apt-get) unless it is already on PATH
	@command -v dot >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends graphviz; }

.PHONY: test-python
# DIOXIDE_TEST_EVERYTHING: what a test would skip for (Graphviz's `dot`, a docs
# example's library) is installed here, so its absence fails instead.
test-python: build graphviz ## pytest (includes running every example, and rendering graphs)
	DIOXIDE_TEST_EVERYTHING=1 $(PY) -m pytest -q

.PHONY: typecheck
typecheck: build ## mypy --strict on the package, examples and typing tests; stubtest on the stub
	$(PY) tests/typing/check.py
	$(PY) -m mypy.stubtest dioxide._dioxide_core --allowlist stubs/stubtest-allowlist.txt

.PHONY: docs
# Needs the built extension: the API reference reads the Rust methods' docstrings from it.
docs: build ## Build the docs site into site/ (mkdocs --strict: a broken link or reference fails)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet

.PHONY: lint
lint: venv ## ruff (pyflakes, bugbear) on the Python; rustfmt and clippy (warnings as errors) on the Rust
	$(VENV)/bin/ruff check python tests examples benchmarks docs
	cargo fmt --all --check
	cargo clippy --quiet --workspace --all-targets -- -D warnings

# The wheel and the sdist as PyPI would get them: metadata, README and
# licence checked by twine.
DIST := target/dist

.PHONY: dist
dist: venv ## Build the release wheel and the sdist into target/dist and check them with twine
	rm -rf $(DIST)
	$(VENV)/bin/maturin build --release --quiet --interpreter $(PY) --out $(DIST)
	$(VENV)/bin/maturin sdist --out $(DIST)
	$(VENV)/bin/twine check --strict $(DIST)/*

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
bench: $(BENCH_STAMP) ## Benchmark dioxide against hand-written code and its peers, write docs/comparison.md (BENCH_ARGS=--quick for a smoke run)
	rm -rf $(BENCH_WHEEL)
	$(BENCH_VENV)/bin/maturin build --release --quiet --interpreter $(BENCH_PY) --out $(BENCH_WHEEL)
	$(BENCH_PY) -m pip install --quiet --force-reinstall --no-deps $(BENCH_WHEEL)/*.whl
	$(BENCH_PY) -m benchmarks.run $(BENCH_ARGS)
	$(BENCH_PY) -m benchmarks.comparison

.PHONY: bench-instructions
bench-instructions: ## Instructions per operation (S1-S6) under valgrind's callgrind: dioxide vs hand-written vs d[T] (PYTHON= picks the interpreter)
	@command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }
	@test -x $(INSTR_PY) || { $(PYTHON) -m venv $(INSTR_VENV) && \
	  $(INSTR_PY) -m pip install --quiet --upgrade pip && \
	  $(INSTR_PY) -m pip install --quiet "maturin>=1.7,<2" "typing_extensions>=4.13"; }
	rm -rf $(INSTR_WHEEL)
	$(if $(findstring t,$(INSTR_VERSION)),UNSAFE_PYO3_SKIP_VERSION_CHECK=1) \
	  $(INSTR_VENV)/bin/maturin build --release --quiet --interpreter $(INSTR_PY) --out $(INSTR_WHEEL)
	$(INSTR_PY) -m pip install --quiet --force-reinstall --no-deps $(INSTR_WHEEL)/*.whl
	$(INSTR_PY) -m benchmarks.instructions --out benchmarks/results/instructions-$(INSTR_VERSION).md $(INSTR_ARGS)

# ---- Python versions, free-threading, wheels --------------------------------
# The README's `make test` runs on the default python3 (3.11 in CI). These
# targets cover the other interpreters: each CPython under pyenv
# (MATRIX), a free-threaded CPython 3.13 built from Debian's source package
# at FT_PREFIX, and the wheels users install. .ci/run calls them after
# `make test`.
PYENV_VERSIONS ?= $(HOME)/.pyenv/versions
MATRIX         ?= 3.12 3.13
FT_PREFIX      ?= /opt/cpython-3.13t
FT_PY          := $(FT_PREFIX)/bin/python3.13t
FT_VENV        ?= .venv-3.13t
PY314_PREFIX   ?= /opt/cpython-3.14
PY314          := $(PY314_PREFIX)/usr/bin/python3.14
WHEELHOUSE     := target/wheelhouse
WHEEL_TOOLS    := $(VENV)/.installed-wheel-tools
# The newest CPython X.Y under pyenv, or nothing: $(call pyenv_python,3.12)
pyenv_python = $(shell ls -d $(PYENV_VERSIONS)/$(1).*/bin/python$(1) 2>/dev/null | sort -V | tail -1)
WHEEL_PYTHONS = $(foreach v,3.11 $(MATRIX),$(call pyenv_python,$(v))) $(wildcard $(PY314)) $(wildcard $(FT_PY))
STRESS_ENV    := DIOXIDE_STRESS_ROUNDS=100 DIOXIDE_STRESS_THREADS=16

$(WHEEL_TOOLS): $(STAMP)
	$(PIP) install --quiet "ziglang==0.15.2" "auditwheel==6.8.2"
	touch $(WHEEL_TOOLS)

.PHONY: cpython-ft
cpython-ft: ## Build CPython 3.13t (--disable-gil) from Debian's source package into FT_PREFIX, or reuse it (~18 min the first time)
	.ci/cpython-ft $(FT_PREFIX)

.PHONY: cpython-314
cpython-314: ## Unpack CPython 3.14 from Debian's binary packages (sid) into PY314_PREFIX, or reuse it (~10 s)
	.ci/cpython-314 $(PY314_PREFIX)

.PHONY: wheels
wheels: $(WHEEL_TOOLS) ## Build a manylinux2014 wheel for every CPython here (3.11-3.13, 3.13t), auditwheel-check it, install it in a fresh venv and import it
	.ci/wheels $(WHEELHOUSE) $(WHEEL_PYTHONS)

.PHONY: sdist
sdist: $(STAMP) ## Build the sdist and check that `pip install` of it builds and imports in a fresh venv
	.ci/sdist target/sdist $(call pyenv_python,3.11)

# The suite on each other CPython, against the wheel built for it (its own
# build, installed as users get it; .ci/suite brings it up to date). The wheel-typing test is left to `make
# test`: it builds one more wheel and installs mypy for each run.
.PHONY: test-matrix
test-matrix: $(WHEEL_TOOLS) ## pytest on every other CPython under pyenv (MATRIX) and on 3.14 (PY314), each in .venv-X.Y with its own wheel; an absent version is reported
	@status=0; for v in $(MATRIX); do \
	  py=$$(ls -d $(PYENV_VERSIONS)/$$v.*/bin/python$$v 2>/dev/null | sort -V | tail -1); \
	  if [ -z "$$py" ]; then \
	    echo "test-matrix: CPython $$v ABSENT (no $(PYENV_VERSIONS)/$$v.*): NOT TESTED"; continue; \
	  fi; \
	  echo "test-matrix: CPython $$v ($$py)"; \
	  .ci/suite "$$py" .venv-$$v $(WHEELHOUSE) $(TEST_DEPS) || status=1; \
	done; \
	if [ -x $(PY314) ]; then \
	  echo "test-matrix: CPython 3.14 ($(PY314))"; \
	  .ci/suite $(PY314) .venv-3.14 $(WHEELHOUSE) $(TEST_DEPS) || status=1; \
	else \
	  echo "test-matrix: CPython 3.14 ABSENT (no $(PY314); make cpython-314 unpacks it): NOT TESTED"; \
	fi; exit $$status

.PHONY: test-free-threaded
test-free-threaded: cpython-ft $(WHEEL_TOOLS) ## The whole suite and a 16-thread stress test on CPython 3.13t with the GIL off; importing dioxide must leave it off
	$(FT_PY) -c 'import sys, sysconfig; assert sysconfig.get_config_var("Py_GIL_DISABLED"), "not a free-threaded build"'
	PYTHON_GIL=0 .ci/suite $(FT_PY) $(FT_VENV) $(WHEELHOUSE) $(TEST_DEPS)
	cd / && env -u PYTHON_GIL $(CURDIR)/$(FT_VENV)/bin/python -W error::RuntimeWarning -c \
	  'import sys, dioxide; assert not sys._is_gil_enabled(), "importing dioxide turned the GIL on"; print("import dioxide: GIL stays off")'
	PYTHON_GIL=0 $(STRESS_ENV) $(FT_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/test_stress_threads.py

.PHONY: clean
clean: ## Remove build outputs and the virtualenvs
	rm -rf target site dist $(VENV) $(BENCH_VENV) .venv-3.* .venv-instr-* .mypy_cache .pytest_cache .hypothesis
	find python -name '*.so' -delete
