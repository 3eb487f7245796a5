# The two commands of the README:
#   make demo   set up, generate a sample landing zone and audit it end to end
#   make test   set up and run the test suite
# Set-up is automatic: a virtual environment in .venv with the pinned dependencies.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= data/demo
DAYS   ?= 7
START  ?= 2026-11-21
CALLS  ?= 20000

.PHONY: demo test tools benchmark clean

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %d.%d); set PYTHON=/path/to/python3.11" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m audits.demo --root $(DEMO) --start $(START) --days $(DAYS) --calls-per-day $(CALLS)

tools:
	@sh .ci/install-os-tools

test: $(STAMP) tools
	$(BIN)/python -m pytest -n 2 -q

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) data
