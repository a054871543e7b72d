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

.PHONY: install demo test lint bench synth checkov clean check-java

install: $(STAMP) $(CHECKOV_STAMP)

# Reinstall only when the requirements change.
$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(CHECKOV_STAMP): requirements-checkov.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	@touch $(CHECKOV_STAMP)

check-java:
	@command -v java >/dev/null || test -x "$$JAVA_HOME/bin/java" || { echo "Java 17 is required by Spark: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless) and run make again"; exit 1; }

demo: $(STAMP) check-java
	$(PY) -m automation local --rows $(ROWS)

test: install check-java lint
	$(PY) -m pytest

# Style (ruff) and the architecture's import rules (import-linter: the contracts in pyproject.toml).
lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

bench: install check-java
	$(PY) -m benchmarks $(if $(QUICK),--quick,)

synth: $(STAMP)
	$(PY) -m automation synth --stack dev

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
	rm -rf .lake .bench .pytest_cache .ruff_cache .checkov dist
