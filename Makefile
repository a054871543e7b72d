# The two commands: `make demo` and `make test`. Everything else builds on `make install`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Checkov pins its own boto3 (see requirements-checkov.in), so it lives in a venv of its own.
CHECKOV_VENV := .venv-checkov
ROWS ?= 1000000
QUICK ?=
# Said before the first install starts; the README's table has the measured figure.
INSTALL_TIME := 1 to 3 minutes, depending on the network
CHECKOV_INSTALL_TIME := under a minute

# Bytecode is cached (Python's default, in git-ignored __pycache__/) for every command here, even
# where the environment sets PYTHONDONTWRITEBYTECODE (container images often do): the tests start
# hundreds of short CLI processes, and with it set each one compiled the project's modules from
# source again, about 0.08 CPU-seconds a call (`automation runs` on the emulator: 0.45 -> 0.37 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install venv checkov-venv check-python lock lock-upgrade demo test check fast-tests lint lint-static typecheck bench synth checkov clean \
  check-java emulator docs docs-check

install: venv checkov-venv

# Each venv is made equal to its lock every time (`tools/locks.py sync`: a second when nothing differs):
# what is missing or off its pin is installed with --require-hashes, what the lock does not name is
# removed. So a hand-installed `pip install botocore==X` is undone by the next `make` that needs the venv.
venv: check-python
	@test -x $(PY) || { echo "make: creating $(VENV) and installing requirements-dev.txt: pyspark, pulumi, boto3, moto, duckdb, ... (first run: $(INSTALL_TIME); later: seconds)"; $(PYTHON) -m venv $(VENV); }
	@$(PY) -m tools.locks sync requirements-dev.txt

checkov-venv: check-python
	@test -x $(CHECKOV_VENV)/bin/python || { echo "make: creating $(CHECKOV_VENV), Checkov's own venv (first run: $(CHECKOV_INSTALL_TIME))"; $(PYTHON) -m venv $(CHECKOV_VENV); }
	@$(CHECKOV_VENV)/bin/python -m tools.locks sync requirements-checkov.txt

check-python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: install python3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }

# The locks (tools/locks.py says which input makes which): `lock` after editing a *.in file keeps every
# other pin; `lock-upgrade` moves every package to the newest release that resolves. Then `make test`.
# uv compiles (seconds, where pip-compile takes minutes on this tree); pip installs (`make install`).
UV_COMPILE := $(VENV)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
  --custom-compile-command "make lock"
lock: venv
	$(UV_COMPILE) $(UPGRADE) requirements.in -o requirements.txt
	$(UV_COMPILE) $(UPGRADE) requirements-dev.in -c requirements.txt -o requirements-dev.txt
	$(UV_COMPILE) $(UPGRADE) requirements-checkov.in -o requirements-checkov.txt
	$(PY) -m tools.locks check

lock-upgrade:
	$(MAKE) lock UPGRADE=--upgrade

check-java:
	@command -v java >/dev/null || test -x "$$JAVA_HOME/bin/java" || { echo "Java 17 is required by Spark: install it (Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless) and run make again"; exit 1; }

demo: venv check-java
	$(PY) -m automation local --rows $(ROWS)

# The full gate, what CI runs: lint, then the whole suite on three workers (pytest-xdist; idle
# workers take queued tests from busy ones) beside `docs-check` (every example block made again), both
# to the end; docs-check's lines follow the tests'. Three workers on two cores: the emulator tests
# spend about half their time waiting for emulated runs and queries (54 % CPU measured), so a third
# worker fills the gaps. The tests start dozens of short JVMs (each `local` an e2e test runs, a
# Spark session per worker) on small data, where the JIT's optimising compiler costs more CPU than
# it saves: C1 only (TieredStopAtLevel=1) took `local --rows 20000` from 18.7 s to 14.4 s; one GC
# thread (ParallelGCThreads=1: the JVMs share two cores with each other) took the Spark tests of
# tests/etl/test_job.py and test_rejects_table.py from 88-96 to 84-85 JVM CPU-seconds. Only
# the tests' JVMs get it (`make demo` keeps the default); the JVM's "Picked up" notice goes to the
# Spark log with the rest of its stderr. They also map an archive of Spark's classes, made once per
# Java and pyspark by a small run (tools/jvm_archive.py: `local --rows 3000` 12.9 s -> 8.8 s).
# C1 only also shrinks the JIT's code cache from 240 MB to 48 MB (HotSpot multiplies it by five only
# for tiered compilation; `java -XX:TieredStopAtLevel=1 -XX:+PrintFlagsFinal -version` shows 50331648),
# and a test worker's Spark session fills 48 MB: its code-cache sweeper thread then threw compiled
# methods away for C1 to compile again. The default's 240 MB back took tests/etl/test_job.py from 78.5
# to 62.2 CPU-seconds (sweeper 4.7 -> 0, C1 13.4 -> 7.4); a short `local` run never fills it.
DOCS_LOG := .docs-check.log
JVM_ARCHIVE := $(VENV)/spark-classes.jsa
TEST_JVM := export JAVA_TOOL_OPTIONS="$${JAVA_TOOL_OPTIONS:+$$JAVA_TOOL_OPTIONS }-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m -XX:ParallelGCThreads=1"; \
  export JAVA_TOOL_OPTIONS="$$JAVA_TOOL_OPTIONS $$($(PY) -m tools.jvm_archive $(JVM_ARCHIVE))";
# The type checker (single-threaded, 17 s on a fresh clone) runs beside them too, its lines after the
# tests': lint-static's second on its own first still stops a style or import-rule slip at once.
TYPES_LOG := .typecheck.log
test: install check-java lint-static
	@$(TEST_JVM) \
	$(PY) -m tools.docs --check > $(DOCS_LOG) 2>&1 & docs=$$!; \
	$(PY) -m mypy > $(TYPES_LOG) 2>&1 & types=$$!; \
	$(PY) -m pytest -n 3 --dist worksteal; tests=$$?; \
	wait $$types; types=$$?; \
	echo "== make typecheck (ran beside the tests)"; cat $(TYPES_LOG); \
	wait $$docs; docs=$$?; \
	echo "== make docs-check (ran beside the tests)"; cat $(DOCS_LOG); \
	test $$tests = 0 && test $$types = 0 && test $$docs = 0

# The inner loop, in about a minute: lint, then the tests that need neither Spark nor the CLI as a
# subprocess (markers `spark`, `cli`, `e2e`: tests/conftest.py, pyproject.toml). `make test` runs them all.
# The type checker runs beside these tests (its first run, with no .mypy_cache, takes about 13 s).
check: lint-static
	@$(MAKE) --no-print-directory -j2 typecheck fast-tests

fast-tests: venv
	$(PY) -m pytest -q -n 2 -m "not spark and not cli and not e2e"

# Every example block of README.md and docs/ (docs/benchmarks.md aside) made by running the command
# it shows (tools/docs/examples.py): `docs` rewrites them, `docs-check` fails when one differs.
docs: venv check-java
	@$(TEST_JVM) $(PY) -m tools.docs

docs-check: venv check-java
	@$(TEST_JVM) $(PY) -m tools.docs --check

# Style (ruff), the architecture's import rules (import-linter: the contracts in pyproject.toml), the
# locks hold their inputs (tools/locks.py), the GitHub workflows (tools/workflow_check.py: actionlint,
# GitHub's workflow schema, pinned actions and least permissions), and the type checker (mypy).
lint: lint-static typecheck

lint-static: venv
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m tools.locks check
	$(PY) -m tools.workflow_check

# The type checker over etl/, infra/, automation/, tools/ (pyproject.toml's [tool.mypy]).
typecheck: venv
	$(PY) -m mypy

bench: install check-java
	$(PY) -m benchmarks $(if $(QUICK),--quick,)

synth: venv
	$(PY) -m automation synth --stack dev

# The dev stack in an AWS API emulator on 127.0.0.1 (moto), for the AWS verbs without an account;
# job runs are played with pyarrow. Prints the environment to set; Ctrl-C stops it. PORT=N to move it.
PORT ?= 5000
emulator: venv
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
	rm -rf .lake .bench .pytest_cache .ruff_cache .mypy_cache .checkov dist .emulator $(DOCS_LOG) $(TYPES_LOG)

# Pulumi.yaml's config: block and docs/infrastructure.md's config table, made from the settings schema
# (infra/settings/schema.py); tests/infra/test_config_schema.py fails when either differs from it.
.PHONY: config
config: venv
	$(PY) -m tools.config_schema

# Mutation testing of the operations code ([tool.mutmut] in pyproject.toml says which modules; the kill
# rates and every survivor's explanation are in docs/testing.md): mutmut copies the code into mutants/,
# records which fast-tier test reaches which function, then runs each mutant against those tests only.
# MUTANTS='automation.aws.retries.*' runs some; `.venv/bin/mutmut show NAME` prints one mutant's diff.
# mutmut 3.8.1 gives up on a slow mutant by sending SIGXCPU to its pid from a timer thread, also when that
# process has ended and the pid went to another (mutmut/workers/timeout.py): a `make test` beside it lost
# a CLI process that way. So it runs in a PID namespace of its own where the kernel lets a user make one
# (`unshare`, util-linux), whose pids are mutmut's only; elsewhere it says so and runs as it is. The CLI's
# error log (the tests' failing commands write one) goes under mutants/, not ~/.cache. In the namespace a
# shell is process 1, not mutmut: process 1 inherits every orphaned process, and mutmut's `os.wait()` took
# one (a killed mutant's subprocess) for a mutant it never started and stopped on a KeyError.
.PHONY: mutate
MUTANTS ?=
PID_NAMESPACE = $(shell unshare --pid --fork --map-root-user --mount-proc true 2>/dev/null && echo yes)
OWN_PIDS = $(if $(PID_NAMESPACE),unshare --pid --fork --map-root-user --mount-proc sh -c '"$$0" "$$@"; exit $$?')
mutate: venv
	@test -n "$(PID_NAMESPACE)" || echo "make: no PID namespace here (unshare): run make mutate alone, nothing else beside it (docs/testing.md)"
	XDG_CACHE_HOME=$(CURDIR)/mutants/.cache $(OWN_PIDS) $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(VENV)/bin/mutmut results
