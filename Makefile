# Two commands do all the set-up on a fresh machine:
#   make run    talk to linli in this terminal (embedded default: console, SQLite, in-process broker)
#   make test   the whole test suite (starts Redis and PostgreSQL when they are not running)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench faults catalogs clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	# pip writes bytecode for plain python only; linli worker runs its processes with -OO
	$(BIN)/python -OO -m compileall -q -j0 $(VENV)/lib linli
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/linli run

test: $(STAMP)
	scripts/services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check linli tests bench
	$(BIN)/ruff format --check linli tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The fault suite (docs/operations.md, "Faults, measured"): not in test or bench; it starts,
# kills and restarts its own redis-server and kills the connections of its own database
# (LINLI_FAULTS_POSTGRES_URL; FAULTS_ARGS="--only worker-kill --events 300").
faults: $(STAMP)
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

# Re-extract messages, update the zh_CN and en catalogs, compile the .mo files and list the
# zh_CN entries still to translate (docs/i18n.md). CHECK=1 fails while any are left.
catalogs: $(STAMP)
	$(BIN)/python -m linli.locale.catalogs $(if $(CHECK),--check)

clean:
	rm -rf $(VENV) var .pytest_cache
