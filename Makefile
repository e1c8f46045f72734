# The archive pipeline. `make` installs what is missing (system packages, .venv,
# pinned fonts) and builds archive/ from statements/; `make test` does the same
# for the tests and runs them. See README.md.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CLI    := $(VENV)/bin/statement-archive
STAMP  := $(VENV)/.installed-stamp
TEST_STAMP := $(VENV)/.installed-test-stamp
ARGS   ?=
# Optional extras for `make install`, e.g. EXTRAS=s3,dask (test, s3, dask).
EXTRAS ?=
# `make test` runs the fast set in parallel; CI (CI=true) and `make test-all` run everything.
# Tests marked `long` or `slow` (fault-injection rounds, the benchmark smoke run) are the difference.
JOBS   ?= auto
# loadscope: a module's tests stay on one worker, so module fixtures (a Dask cluster, the
# crash tests' reference build) are made once and the crash rounds run in order.
# (loadgroup/xdist_group does not group under pytest 9 with xdist 3.8: tried, tests split.)
PYTEST := $(PY) -m pytest -n $(JOBS) --dist loadscope
# CI=true (or 1, yes), as tests/ci_required.py reads it.
ifneq ($(filter true 1 yes TRUE True YES,$(CI)),)
TEST_SELECTION :=
else
# --no-loadscope-reorder: modules in tests/conftest.py's LONGEST_FIRST order (the fast set only).
TEST_SELECTION := -m "not (long or slow)" --no-loadscope-reorder
endif

.PHONY: all build validate render check package verify submit test test-all install system test-system fonts clean distclean help

all: build

help:
	@echo "make            set up and build the archive from statements/ (same as make build)"
	@echo "make validate   check every statement's metadata and body"
	@echo "make render     render statements to PDF/A in build/pdf/"
	@echo "make check      read the rendered PDFs back and prove them"
	@echo "make package    bundle checked PDFs into a new archive package (only if anything changed)"
	@echo "make verify     verify every package under archive/"
	@echo "make submit     send the newest verified package's PDFs to the records system"
	@echo "make install EXTRAS=s3,dask   add optional extras (s3: S3 targets, dask: Dask executor)"
	@echo "make test       run the fast tests in parallel (everything when CI=true)"
	@echo "make test-all   run every test, including the long fault-injection rounds"
	@echo "make clean      remove build/ (never archive/)"
	@echo "Pass options with ARGS, e.g. make build ARGS='--variant 1b --json'"

# Installs missing Debian packages (as root, or with password-less sudo), or
# prints the command and stops with exit code 3.
system:
	@$(PYTHON) tools/check_system.py

test-system:
	@$(PYTHON) tools/check_system.py --for-tests

$(PY): | system
	@echo "creating $(VENV) (a few seconds)…"
	@$(PYTHON) -m venv $(VENV)

# pip prints a line per package; no --quiet: a silent minute looks like a hang.
$(STAMP): pyproject.toml | $(PY)
	@echo "installing the Python packages for building (about 30 s the first time)…"
	$(PY) -m pip install --no-input -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(PY) test-system
	@echo "installing the Python packages for the tests (pytest, Dask, moto, wsgidav…; about 1 min the first time)…"
	$(PY) -m pip install --no-input -e '.[test]'
	@touch $@ $(STAMP)

install: | $(PY)
	@echo "installing the project$(if $(EXTRAS), with extras: $(EXTRAS)) (about 30 s or more)…"
	$(PY) -m pip install --no-input -e '.$(if $(EXTRAS),[$(EXTRAS)])'
	@touch $(STAMP)

# Checks the font files themselves every time (a fraction of a second), installing
# what is missing or wrong: a stamp would say "nothing to be done" about a deleted font.
# The venv's Python, for pip: some pinned fonts come from PyPI wheels.
fonts: | $(PY)
	@$(PY) tools/install_fonts.py

build: $(STAMP) fonts
	$(CLI) build $(ARGS)
	$(CLI) catalogue --quiet

validate: $(STAMP)
	$(CLI) validate $(ARGS)

render: $(STAMP) fonts
	$(CLI) render $(ARGS)

check: $(STAMP) fonts
	$(CLI) check $(ARGS)

package: $(STAMP) fonts
	$(CLI) package $(ARGS)

verify: $(STAMP)
	$(CLI) verify $(ARGS)

submit: $(STAMP)
	$(CLI) submit $(ARGS)

# pytest's temporary folders go to RAM (/dev/shm) when it has room: see
# tools/test_tmp.py for why and when not. TEST_TMP= (empty) keeps them on disk;
# TEST_TMP=/some/folder puts them there. Removed after a passing run, kept
# (and named) after a failing one.
TEST_TMP ?= $(shell $(PYTHON) tools/test_tmp.py $(CURDIR))
define run_pytest
	$(info $(PYTEST) $(1) $(ARGS))
	@tmp="$(TEST_TMP)"; set --; \
	if [ -n "$$tmp" ]; then echo "(pytest's temporary folders in $$tmp)"; set -- --basetemp="$$tmp"; fi; \
	$(PYTEST) $(1) $(ARGS) "$$@"; rc=$$?; \
	if [ -n "$$tmp" ]; then if [ $$rc -eq 0 ]; then rm -rf "$$tmp"; else echo "test files kept in $$tmp"; fi; fi; \
	exit $$rc
endef

test: $(TEST_STAMP) fonts
	$(call run_pytest,$(TEST_SELECTION))

test-all: $(TEST_STAMP) fonts
	$(call run_pytest,)

# Never touches archive/: packages are permanent.
clean:
	rm -rf build .pytest_cache
	find pipeline tests tools -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
	find fonts -path fonts/extra -prune -o -type f ! -name fonts.lock ! -name extra.lock -exec rm -f {} +
