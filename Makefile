# The two commands of the README:
#   make demo   set up, generate a sample landing zone and audit it end to end
#   make test   set up and run the test suite (all of it: what CI runs), slowest 25 listed
#   make test-fast   the tests not marked slow (no servers, no sample audits): a couple of minutes
#   make desk   open the case desk over the demo (Airflow's api-server on 127.0.0.1:$(DESK_PORT))
# Set-up is automatic: a virtual environment in .venv with the pinned dependencies.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= data/demo
DAYS   ?= 10
START  ?= 2026-11-21
CALLS  ?= 20000
BUILD_COMMIT ?= audits/build_commit.txt
DESK_PORT ?= 8080

.PHONY: demo desk test test-fast lint tools benchmark clean build-commit

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %d.%d); set PYTHON=/path/to/python3.11" % sys.version_info[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The commit the code is built from, for the manifest's code_version (audits/version.py reads
# it; git is never called at run time, where it may belong to another account). Refreshed on
# every make, since the install is editable; git-ignored; package data for `pip install .`.
build-commit:
	@commit=$$(git describe --always --dirty --abbrev=12 2>/dev/null || true); \
	if [ "$$commit" != "$$(cat $(BUILD_COMMIT) 2>/dev/null)" ]; then printf '%s\n' "$$commit" > $(BUILD_COMMIT); fi

demo: $(STAMP) build-commit
	$(BIN)/python -m audits.demo --root $(DEMO) --start $(START) --days $(DAYS) --calls-per-day $(CALLS)

desk: $(STAMP) build-commit
	$(BIN)/python -m audits.desk.web.serve --root $(DEMO) --port $(DESK_PORT)

tools:
	@sh .ci/install-os-tools

lint: $(STAMP)
	$(BIN)/ruff check .

# --dist loadfile: a module's tests on one worker (its module fixtures built once), and the modules
# sharing a session fixture too (tests/conftest.py: SHARED_SESSION_FIXTURES).
test: $(STAMP) tools build-commit lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q --durations=25

test-fast: $(STAMP) build-commit lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q -m "not slow"

benchmark: $(STAMP) build-commit
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) data
