# Set-up and everyday commands. `make run` and `make test` work on a fresh machine.
# Mesa 3.5 needs Python >= 3.12: use python3.12 (through pyenv when that is how it is installed).
PY312 := $(shell command -v python3.12 >/dev/null 2>&1 && python3.12 -c 'import sys' 2>/dev/null && echo python3.12 || \
           (ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1))
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run compare sweep report dashboard test install install-test install-notebooks notebooks bench

$(BIN)/python:
	@test -n "$(PY312)" || (echo "error: python3.12 not found; install Python >= 3.12" >&2; exit 2)
	$(PY312) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

# What the notebooks need (Jupyter included); `make notebooks` then opens them in Jupyter on this computer only.
install-notebooks: $(BIN)/python
	$(BIN)/pip install -q -e '.[notebooks]'

notebooks: install-notebooks
	$(BIN)/jupyter notebook --ip 127.0.0.1 notebooks/

install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'

run: install
	$(BIN)/relsim run $(ARGS)

# The common commands, e.g. `make compare ARGS=scenarios/retention_policies.yaml`,
# `make sweep ARGS="scenarios/wkh2000.yaml --workers 2"`, `make report ARGS=results/<folder>`.
compare: install
	$(BIN)/relsim compare $(ARGS)

sweep: install
	$(BIN)/relsim sweep $(ARGS)

report: install
	$(BIN)/relsim report $(ARGS)

dashboard: install
	$(BIN)/relsim dashboard $(ARGS)

test: install-test
	$(BIN)/python -m pytest -q $(ARGS)

# Performance benchmark (docs/performance.md): writes benchmarks/results/bench.json and scaling.png.
bench: install
	$(BIN)/python -m benchmarks $(ARGS)
