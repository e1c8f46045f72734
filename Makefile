# The archive pipeline. `make` sets up .venv, installs, and builds archive/
# from statements/; `make test` runs the tests. See README.md.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
CLI    := $(VENV)/bin/statement-archive
STAMP  := $(VENV)/.installed-stamp
FONTS_STAMP := fonts/.verified-stamp
ARGS   ?=

.PHONY: all build validate render check package verify submit test system test-system fonts clean distclean help

all: build

help:
	@echo "make            set up and build the archive from statements/ (same as make build)"
	@echo "make validate   check every statement's metadata and body"
	@echo "make render     render statements to PDF/A in build/pdf/"
	@echo "make check      read the rendered PDFs back and prove them"
	@echo "make package    bundle checked PDFs into a new archive package (only if anything changed)"
	@echo "make verify     verify every package under archive/"
	@echo "make submit     send the newest verified package's PDFs to the records system"
	@echo "make test       run the test suite"
	@echo "make clean      remove build/ (never archive/)"
	@echo "Pass options with ARGS, e.g. make build ARGS='--variant 1b --json'"

system:
	@$(PYTHON) tools/check_system.py

test-system:
	@$(PYTHON) tools/check_system.py --for-tests

$(STAMP): pyproject.toml | system
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

$(FONTS_STAMP): fonts/fonts.lock
	$(PYTHON) tools/install_fonts.py
	@touch $@

fonts: $(FONTS_STAMP)

build: $(STAMP) $(FONTS_STAMP)
	$(CLI) build $(ARGS)
	$(CLI) catalogue --quiet

validate: $(STAMP)
	$(CLI) validate $(ARGS)

render: $(STAMP) $(FONTS_STAMP)
	$(CLI) render $(ARGS)

check: $(STAMP) $(FONTS_STAMP)
	$(CLI) check $(ARGS)

package: $(STAMP) $(FONTS_STAMP)
	$(CLI) package $(ARGS)

verify: $(STAMP)
	$(CLI) verify $(ARGS)

submit: $(STAMP)
	$(CLI) submit $(ARGS)

test: test-system $(STAMP) $(FONTS_STAMP)
	$(PY) -m pytest $(ARGS)

# Never touches archive/: packages are permanent.
clean:
	rm -rf build .pytest_cache
	find pipeline tests tools -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) *.egg-info
	find fonts -type f ! -name fonts.lock -delete
