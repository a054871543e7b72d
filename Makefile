# The two commands: `make demo` and `make test`. Everything else builds on `make install`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Checkov pins its own boto3 (see requirements-checkov.txt), so it lives in a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
ROWS ?= 1000000
QUICK ?=
# Measured on 2-core machines (README, "The two commands"): 63 s from a local package index,
# about 2 min 20 s downloading from PyPI (issue 17); said before the first install starts.
INSTALL_TIME := 1 to 3 minutes, depending on the network
CHECKOV_INSTALL_TIME := under a minute

.PHONY: install demo test lint bench synth checkov clean check-java emulator docs docs-check

install: $(STAMP) $(CHECKOV_STAMP)

# Reinstall only when the requirements change.
# One line per requirements file says what is being installed and about how long the first
# time takes; later runs reinstall only when a requirements file changes.
$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || { echo "make: creating $(VENV) (first run only)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing requirements-dev.txt into $(VENV): pyspark, pulumi, boto3, moto, duckdb, ... (first run: $(INSTALL_TIME); later: seconds)"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)
	@echo "make: $(VENV) is ready"

$(CHECKOV_STAMP): requirements-checkov.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(CHECKOV_VENV)/bin/python || { echo "make: creating $(CHECKOV_VENV) (first run only)"; $(PYTHON) -m venv $(CHECKOV_VENV); }
	@echo "make: installing checkov into $(CHECKOV_VENV), its own venv (first run: $(CHECKOV_INSTALL_TIME); later: seconds)"
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $(CHECKOV_STAMP)
	@echo "make: $(CHECKOV_VENV) is ready"

check-java:
	@command -v java >/dev/null || test -x "$$JAVA_HOME/bin/java" || { echo "Java 17 is required by Spark: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless) and run make again"; exit 1; }

demo: $(STAMP) check-java
	$(PY) -m automation local --rows $(ROWS)

test: install check-java lint docs-check
	$(PY) -m pytest

# Every example block of README.md and docs/ (docs/benchmarks.md aside) made by running the command
# it shows (tools/docs/examples.py): `docs` rewrites them, `docs-check` fails when one differs.
docs: $(STAMP) check-java
	$(PY) -m tools.docs

docs-check: $(STAMP) check-java
	$(PY) -m tools.docs --check

# Style (ruff) and the architecture's import rules (import-linter: the contracts in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

bench: install check-java
	$(PY) -m benchmarks $(if $(QUICK),--quick,)

synth: $(STAMP)
	$(PY) -m automation synth --stack dev

# The dev stack in an AWS API emulator on 127.0.0.1 (moto), for the AWS verbs without an account;
# job runs are played with pyarrow. Prints the environment to set; Ctrl-C stops it. PORT=N to move it.
PORT ?= 5000
emulator: $(STAMP)
	$(PY) -m tools.emulator --port $(PORT)

# Checkov's failed checks on each stack, offline (the gate is tests/infra/test_checkov.py). Plans in .checkov/.
STACKS ?= dev prod
checkov: install
	@mkdir -p .checkov
	@for stack in $(STACKS); do \
	  $(PY) -m automation synth --stack $$stack --json > .checkov/$$stack.synth.json && \
	  $(PY) -m infra.terraform_plan .checkov/$$stack.synth.json > .checkov/$$stack.tfplan.json || exit 1; \
	  echo "== $$stack"; \
	  BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE $(CHECKOV_VENV)/bin/checkov --file .checkov/$$stack.tfplan.json \
	    --framework terraform_plan --skip-download --quiet --compact --soft-fail || exit 1; \
	done

clean:
	rm -rf .lake .bench .pytest_cache .ruff_cache .checkov dist .emulator
